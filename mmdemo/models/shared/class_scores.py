"""ImageNet class probabilities from any embedder: its own classifier, or CLIP zero-shot.

Why: the label-based caption and the photo VQA need "what objects are in this image".
The lite embedder has a real ImageNet classifier inside (``top_classes``); an open_clip
embedder answers the same question zero-shot over the 1000 class prompts, the standard
CLIP ImageNet recipe. Callers do not care which.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

from mmdemo.core.results import Scored
from mmdemo.models.shared.imagenet import class_prompt, imagenet_classes
from mmdemo.models.shared.text_cache import cached_text_vectors


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits along the last axis (max-subtracted, so no overflow)."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class ClassScorer:
    """``top(image, k)`` -> the k most probable ImageNet classes with probabilities."""

    def __init__(self, embedder, cache_dir=None):
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._names: list[str] | None = None
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def prompt_table(self) -> tuple[list[str], np.ndarray]:
        """Class names and the embeddings of "a photo of a {name}." (computed once, cached)."""
        with self._lock:
            if self._vectors is None:
                classes = imagenet_classes()
                self._names = [c.name for c in classes]
                self._vectors = cached_text_vectors(
                    self.embedder.embed_texts,
                    [class_prompt(c) for c in classes],
                    self.embedder.model_id,
                    self.cache_dir,
                )
        return self._names, self._vectors

    def top(self, image: Image.Image, k: int = 5) -> list[Scored]:
        if hasattr(self.embedder, "top_classes"):
            return self.embedder.top_classes(image, k)
        names, vectors = self.prompt_table()
        probs = softmax(
            self.embedder.logit_scale * (vectors @ self.embedder.embed_images([image])[0])
        )
        order = np.argsort(-probs)[:k]
        return [Scored(names[i], float(probs[i])) for i in order]
