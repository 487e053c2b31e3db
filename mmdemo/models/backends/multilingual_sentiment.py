"""Sentiment in English and Chinese: a router between an English model and a multilingual one.

Why a router rather than one multilingual model: the English models are measured (VADER,
calibrated on sentiment_en.tsv) or published (DistilBERT SST-2), and a multilingual model
would change every English number; routing keeps English exactly as it was and gives
Chinese a model that reads it. Text with Chinese characters anywhere, or mostly in another
script, goes to the multilingual model; Latin-script text to the English one. Mixed text
("这个 app 太 buggy 了") has Chinese in it, so the multilingual model - which reads both
languages - judges it. Each result names the model that judged it (``result.model`` and
``details["judged_by"]``, the backend's name).

* ``lite-multilingual``: VADER + the cross-lingual e5 head (``e5_sentiment_head``), offline.
* ``multilingual-routed``: DistilBERT SST-2 + lxyuan's multilingual DistilBERT student
  (``full``; both from the hub).
* ``multilingual-routed-tiny``: their tiny random twins (tests).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mmdemo.core.errors import ModelLoadError
from mmdemo.core.i18n import has_cjk
from mmdemo.core.sentiment_results import SentimentResult
from mmdemo.core.text import mostly_non_latin
from mmdemo.models.backends.e5_sentiment_head import check_text
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec, Capabilities, get_backend

log = logging.getLogger(__name__)

ROUTE_SAMPLE = 2_000  # characters that decide the route (the script check stays cheap)


def routes_to_multilingual(text: str) -> bool:
    """Chinese characters anywhere, or a text mostly outside the Latin script."""
    sample = text[:ROUTE_SAMPLE]
    return has_cjk(sample) or mostly_non_latin(sample)


class RoutedSentiment(Backend):
    """English to ``english``, Chinese, mixed and other scripts to ``multilingual``."""

    task = "sentiment"

    def __init__(self, spec: BackendSpec, english, multilingual):
        """``multilingual`` may be the ModelLoadError that stopped it loading: English still
        works, and Chinese text gets that error (which says how to fix it)."""
        other = (
            "its Chinese model did not load"
            if isinstance(multilingual, ModelLoadError)
            else f"{multilingual.model_label} (Chinese)"
        )
        super().__init__(
            spec,
            english.device,
            english.dtype,
            model_label=f"{english.model_label} (English) + {other}",
        )
        self.english = english
        self.multilingual = multilingual

    def modules(self):
        return []  # the two models are the server's own entries, counted there (not twice)

    def analyze(self, text: str) -> SentimentResult:
        """Scores one text; raises BadInputError for empty or whitespace-only text."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in order; each model gets its texts in one batch."""
        cleaned = [check_text(t) for t in texts]
        routes = [routes_to_multilingual(t) for t in cleaned]
        results: dict[int, SentimentResult] = {}
        for backend, wanted in ((self.english, False), (self.multilingual, True)):
            chosen = [i for i, route in enumerate(routes) if route is wanted]
            if not chosen:
                continue
            if isinstance(backend, ModelLoadError):
                raise backend
            judged = backend.analyze_many([cleaned[i] for i in chosen])
            for i, result in zip(chosen, judged, strict=True):
                results[i] = _named(result, backend.spec.name)
        return [results[i] for i in range(len(cleaned))]


def _named(result: SentimentResult, judge: str) -> SentimentResult:
    details = {**result.details, "judged_by": judge}
    values = [s.probability for s in result.probabilities]
    return SentimentResult.of(values, result.model, details, label=result.label)


def _children(spec: BackendSpec) -> tuple[str, str]:
    return spec.option("english"), spec.option("multilingual")


def hub_files(spec: BackendSpec, settings) -> list:
    """What the two routed models fetch (``download`` and the Space's preload get both)."""
    found = []
    for name in _children(spec):
        for weights in get_backend(spec.task, name).weights(settings):
            if weights not in found:
                found.append(weights)
    return found


def load(spec: BackendSpec, ctx: LoadContext) -> RoutedSentiment:
    """Both models through the server (each loaded once, shared with its own menu entry).
    A multilingual model that cannot load (weights missing, package absent) does not take
    English down with it: the error is kept and raised for Chinese text only."""
    english_name, multilingual_name = _children(spec)
    english = ctx.get(spec.task, english_name)
    try:
        multilingual = ctx.get(spec.task, multilingual_name)
    except ModelLoadError as err:
        log.warning("%s: English only until this is fixed: %s", spec.name, err)
        multilingual = err
    backend = RoutedSentiment(spec, english, multilingual)
    log.info("Loaded %s for %s/%s", backend.model_label, spec.task, spec.name)
    return backend


SPECS = (
    BackendSpec(
        task="sentiment",
        name="lite-multilingual",
        load=load,
        hub_files=hub_files,
        label="VADER (English) + cross-lingual e5 head (Chinese)",
        description="VADER for English; Chinese and mixed text go to a logistic-regression "
        "head on multilingual-e5-small sentence vectors (offline)",
        options={"english": "vader", "multilingual": "e5-sentiment-head"},
        capabilities=Capabilities(languages=("en", "zh")),
    ),
    BackendSpec(
        task="sentiment",
        name="multilingual-routed",
        load=load,
        hub_files=hub_files,
        label="DistilBERT SST-2 (English) + multilingual DistilBERT (Chinese)",
        description="DistilBERT SST-2 for English; Chinese, mixed and other scripts go to "
        "lxyuan/distilbert-base-multilingual-cased-sentiments-student (3 classes)",
        options={"english": "distilbert-sst2", "multilingual": "distilbert-multilingual"},
        capabilities=Capabilities(languages=("en", "zh")),
    ),
    BackendSpec(
        task="sentiment",
        name="multilingual-routed-tiny",
        load=load,
        hub_files=hub_files,
        label="tiny random DistilBERTs, English + multilingual (tests)",
        description="the routed sentiment with two tiny random DistilBERTs (meaningless)",
        options={
            "english": "distilbert-sst2-tiny",
            "multilingual": "distilbert-multilingual-tiny",
        },
        capabilities=Capabilities(languages=("en", "zh")),
        is_random=True,
    ),
)
