"""What a backend of each task offers: ``typing.Protocol`` classes, no implementation.

Why: the services call backends by task, never by class, so any backend that has these
methods serves the task (the lite label bridge and open_clip are both an ``Embedder``).
The protocols are the contract a new backend file must meet; ``runtime_checkable`` lets a
unit test check every registered backend against its task's protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image

from mmdemo.core.chat_results import ChatOptions, ChatReply, ChatTurn
from mmdemo.core.explain_results import ExplainResult
from mmdemo.core.generate_results import GenerateOptions, GenerateResult
from mmdemo.core.results import CaptionResult, LabelScore, ModelInfo, VqaResult
from mmdemo.core.sentiment_results import SentimentResult


@runtime_checkable
class Backend(Protocol):
    """Every backend: which spec built it, and what it reports for the status panel."""

    spec: Any
    model_label: str

    def info(self) -> ModelInfo: ...


@runtime_checkable
class Embedder(Backend, Protocol):
    """Images and texts into one L2-normalised float32 space of ``dim`` dimensions."""

    model_id: str  # names the vector space: an index refuses vectors of another model_id
    dim: int
    logit_scale: float  # the temperature turning cosines into softmax logits
    thresholds: dict[str, float]  # match levels: "text"/"image" (possible), "*_strong"

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray: ...
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray: ...
    def preprocess_image(self, image: Image.Image) -> Any: ...  # CPU, thread-safe
    def embed_image_tensors(self, batch: Any) -> np.ndarray: ...  # the device hot path


@runtime_checkable
class Explainer(Backend, Protocol):
    """An embedder that can show where a text matched in an image (a relevance grid).

    ``explains`` names the method ("" when this model cannot); ``baseline=True`` gives the
    simpler map the evaluation compares with (docs/quality.md)."""

    explains: str

    def explain(
        self, image: Image.Image, query: str, *, baseline: bool = False
    ) -> ExplainResult: ...


@runtime_checkable
class Classifier(Backend, Protocol):
    def classify(
        self, image: Image.Image, labels: str | Sequence[str], template: str = ...
    ) -> list[LabelScore]: ...


@runtime_checkable
class Captioner(Backend, Protocol):
    def caption(self, image: Image.Image, **options: Any) -> CaptionResult: ...


@runtime_checkable
class VqaModel(Backend, Protocol):
    def answer(
        self, image: Image.Image, question: str, top_k: int = 5, **options: Any
    ) -> VqaResult: ...


@runtime_checkable
class SentimentModel(Backend, Protocol):
    """Text sentiment (task ``sentiment``) or image sentiment (task ``image_sentiment``)."""

    def analyze(self, item: Any) -> SentimentResult: ...
    def analyze_many(self, items: Sequence[Any]) -> list[SentimentResult]: ...


@runtime_checkable
class FusionHeadModel(Backend, Protocol):
    """The early-fusion head: (n, 3) probabilities from image and/or text vectors."""

    meta: dict
    classes: tuple[str, ...]

    def predict(self, image_vectors: np.ndarray | None, text_vectors: np.ndarray | None): ...
    def is_stale(self) -> bool: ...


@runtime_checkable
class Matcher(Backend, Protocol):
    """Image-text matching: the probability (0..1) that a text describes an image."""

    def match(self, image: Image.Image, text: str) -> float: ...
    def match_many(self, pairs: Sequence[tuple[Image.Image, str]]) -> list[float]: ...


@runtime_checkable
class ImageGenerator(Backend, Protocol):
    """Text to image: ``generate(prompt, GenerateOptions, on_step=, cancel=, deadline=)``
    -> ``GenerateResult``, reporting each step and stopping at the next one when asked."""

    def generate(
        self,
        prompt: str,
        options: GenerateOptions,
        *,
        on_step: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
        deadline: float | None = None,
    ) -> GenerateResult: ...


@runtime_checkable
class ChatModel(Backend, Protocol):
    """A conversation about an image: ``stream_reply(image, turns, ChatOptions, cancel,
    deadline)`` yields ``str`` text deltas, then exactly one ``ChatReply``; closing it stops
    generation at the next token."""

    def stream_reply(
        self,
        image: Image.Image | None,
        turns: Sequence[ChatTurn],
        options: ChatOptions,
        cancel: threading.Event,
        deadline: float | None = None,
    ) -> Iterator[str | ChatReply]: ...


# The protocol every backend of a task must satisfy (checked by a unit test).
TASK_PROTOCOLS: dict[str, type] = {
    "embed": Embedder,
    "classify": Classifier,
    "caption": Captioner,
    "vqa": VqaModel,
    "sentiment": SentimentModel,
    "image_sentiment": SentimentModel,
    "sentiment_head": FusionHeadModel,
    "match": Matcher,
    "generate": ImageGenerator,
    "chat": ChatModel,
}
