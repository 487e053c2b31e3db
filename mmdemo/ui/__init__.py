"""The Gradio page: ``page.build_ui`` discovers the tabs in ``ui/tabs`` (one file each),
``common`` holds what every tab shares, ``status`` the banner and status panel; the
gallery is managed in its own tab (``tabs/gallery.py``). Never imports torch or faiss."""
