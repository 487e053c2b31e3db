"""One file per backend. Each module declares ``SPECS`` (a tuple of ``BackendSpec``) beside
its backend class and its ``load``; ``mmdemo.models.registry`` discovers them.

Rules for a backend module: import only torch, numpy, PIL and ``mmdemo`` at the top (open_clip,
transformers, timm and other optional packages inside ``load``, so discovery stays cheap and
a missing package is reported when the backend is used); never import another backend
(shared pieces live in ``mmdemo.models.shared``); find shipped files through
``settings.assets_dir``.
"""
