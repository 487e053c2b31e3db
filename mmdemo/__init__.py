"""mmdemo: an interactive multimodal model playground.

Importing the package is cheap on purpose (no torch, no faiss): heavy modules are
imported by the code that needs them, when it first needs them.
"""

__version__ = "0.1.0"
