"""THE model server: the only code that builds models (``server.ModelServer``), with the
device choice, micro-batching of concurrent requests and the ``auto`` preset choice."""

from mmdemo.serving.server import ModelServer

__all__ = ["ModelServer"]
