"""One file per tab. Each module has ``TITLE`` (the tab's label), ``ID`` (its Gradio id),
``ORDER`` (where it sits, smallest first) and ``build(ctx)``, which lays the tab out and
wires its events (each with an ``api_name``) to one ``services`` call apiece."""
