"""The vector index: FAISS behind numpy in / numpy out, saved atomically with a manifest.

``VectorIndex`` (``vector_index``) keeps the state and the lock; the pure parts live beside
it: ``validation`` (checking vectors and metadata), ``kernels`` (search), ``storage``
(files, manifest, atomic save) and ``runtime`` (faiss itself, threads, GPUs). Importing
this package imports numpy only; faiss loads on first use.
"""

from mmdemo.index.vector_index import VectorIndex

__all__ = ["VectorIndex"]
