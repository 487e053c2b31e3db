"""The Gradio page: ``page.build_ui`` discovers the tabs in ``ui/tabs`` (one file each),
``common`` holds what every tab shares, ``status`` the banner and status panel, and
``manage_panel`` the gallery management under the tabs. Never imports torch or faiss."""
