"""Measure the ACTIVE preset live, through the app's one ModelServer: recall@k, zero-shot
accuracy, sentiment accuracy / macro-F1 / confusion - on the bundled sets or a visitor's CSV.

Why live, and why these sets: the page's models are the ones measured (no second copy is
loaded), and the bundled run repeats docs/quality.md's protocols on the same files, so its
numbers can be checked against the published ones:

* retrieval: ``assets/gallery/captions*.json`` (the bundled caption files of the 16 gallery
  photos - the split lite's knobs were tuned on) against those 16 photos, and the held-out
  captions (``assets/quality/heldout_captions.json``) against all 22 photos;
* zero-shot: the 6 held-out photos, each against the 25 labels of both splits + distractors,
  with the Classify tab's template (``retrieval_eval``'s protocol);
* sentiment: ``sentiment_en.tsv`` (all 190; VADER's calibration slopes were fitted on it)
  and the held-out half of ``sentiment_zh.tsv`` (70; never used to choose anything).

The metric pieces are ``retrieval_eval``'s and ``sentiment_eval``'s (``load_splits``, the
template, ``evaluate``'s confusion); this module adds recall at any k and macro-F1.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from mmdemo.core.errors import BadInputError
from mmdemo.core.evaluation_results import (
    RECALL_KS,
    AccuracyScore,
    EvaluationReport,
    RetrievalScore,
    SentimentScore,
)
from mmdemo.core.i18n import has_cjk
from mmdemo.core.imaging import load_image
from mmdemo.core.sentiment_sets import load_labelled, load_table
from mmdemo.quality import retrieval_eval, sentiment_eval
from mmdemo.quality.evaluation_csv import CsvProblems, EvaluationRows, read_rows, row_problem

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
CLASSES = sentiment_eval.CLASSES


# -- metrics (pure numpy: tested exactly on hand-made cases) ------------------------------
def caption_ranks(text_vectors: np.ndarray, image_vectors: np.ndarray, targets) -> np.ndarray:
    """How many images score strictly above each text's own image (0 = first): the same
    rule as ``retrieval_eval.recall``, so R@1/R@5 agree with the published numbers."""
    scores = np.asarray(text_vectors) @ np.asarray(image_vectors).T
    targets = np.asarray(targets)
    matched = scores[np.arange(len(targets)), targets]
    return (scores > matched[:, None]).sum(axis=1)


def recall_at(ranks: Sequence[int], ks: Sequence[int] = RECALL_KS) -> dict[int, float]:
    """k -> share of ranks below k."""
    ranks = np.asarray(ranks)
    if not len(ranks):
        raise BadInputError("No texts to rank.")
    return {k: float((ranks < k).mean()) for k in ks}


def confusion_matrix(
    gold: Sequence[str], predicted: Sequence[str], classes: Sequence[str]
) -> tuple[tuple[int, ...], ...]:
    """counts[i][j]: items of class ``classes[i]`` predicted as ``classes[j]``."""
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=int)
    for g, p in zip(gold, predicted, strict=True):
        counts[index[g], index[p]] += 1
    return tuple(tuple(int(x) for x in row) for row in counts)


def macro_f1(confusion: Sequence[Sequence[int]]) -> float:
    """The mean F1 over the classes that occur (as a true label or a prediction): a class
    nobody wrote and nothing predicted would otherwise count as a perfect or a zero F1."""
    counts = np.asarray(confusion, dtype=float)
    support, predicted, right = counts.sum(1), counts.sum(0), np.diag(counts)
    present = (support + predicted) > 0
    if not present.any():
        return 0.0
    f1 = np.divide(2 * right, support + predicted, out=np.zeros_like(right), where=present)
    return float(f1[present].mean())


def accuracy_of(confusion: Sequence[Sequence[int]]) -> float:
    counts = np.asarray(confusion)
    return float(np.trace(counts) / counts.sum()) if counts.sum() else 0.0


# -- one visitor, one run -----------------------------------------------------------------
class RunGuard:
    """At most one evaluation per key (a browser session) at a time: a second click while
    one runs is refused at once instead of queueing a second full run."""

    def __init__(self):
        self._running: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, key: str | None) -> Iterator[None]:
        key = key or "anonymous"
        with self._lock:
            if key in self._running:
                raise BadInputError(
                    "An evaluation is already running for you; wait for it to finish."
                )
            self._running.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(key)


# -- the pieces, on any rows -------------------------------------------------------------
def _language(texts: Sequence[str]) -> str:
    cjk = [has_cjk(t) for t in texts]
    return "zh" if all(cjk) else "en" if not any(cjk) else "mixed"


def retrieval_score(embedder, dataset, language, texts, image_vectors, targets) -> RetrievalScore:
    ranks = caption_ranks(embedder.embed_texts(list(texts)), image_vectors, targets)
    return RetrievalScore(dataset, language, len(texts), len(image_vectors), recall_at(ranks))


def zero_shot_score(embedder, dataset, language, image_vectors, gold, labels) -> AccuracyScore:
    """Each photo against every label of ``labels`` (the Classify tab's template); the
    softmax of Classify keeps the order, so the top label is the arg-max similarity."""
    labels = list(dict.fromkeys(labels))
    prompts = [retrieval_eval.CLASSIFY_TEMPLATE.format(label) for label in labels]
    predicted_index = (np.asarray(image_vectors) @ embedder.embed_texts(prompts).T).argmax(1)
    predicted = [labels[i] for i in predicted_index]
    confusion = confusion_matrix(gold, predicted, labels)
    return AccuracyScore(
        dataset, language, len(gold), tuple(labels), accuracy_of(confusion), macro_f1(confusion)
    )


def sentiment_score(backend, dataset, language, rows) -> SentimentScore:
    """``rows``: (label, text). sentiment_eval.evaluate's confusion, as a matrix."""
    measured = sentiment_eval.evaluate(backend, list(rows))
    confusion = tuple(tuple(measured["confusion"][g][p] for p in CLASSES) for g in CLASSES)
    return SentimentScore(
        dataset, language, len(rows), measured["accuracy"], macro_f1(confusion), CLASSES, confusion
    )


def _report(server, source, started, **scores) -> EvaluationReport:
    models = {
        "embed": server.spec_for("embed").name,
        "sentiment": server.spec_for("sentiment").name,
    }
    random = server.is_random("embed") or server.is_random("sentiment")
    notes = ()
    if random:
        notes = ("Random test weights (preset tiny): these numbers are meaningless.",)
    return EvaluationReport(
        server.preset,
        source,
        models,
        notes=notes,
        random_weights=random,
        seconds=time.perf_counter() - started,
        **scores,
    )


def _quiet(fraction: float, what: str) -> None:
    log.info("evaluation %.0f%%: %s", 100 * fraction, what)


# -- the bundled sets --------------------------------------------------------------------
def evaluate_bundled(server, progress: Progress | None = None) -> EvaluationReport:
    """Every bundled set on the active preset (see the module docstring for which)."""
    progress = progress or _quiet
    started = time.perf_counter()
    progress(0.0, "Reading the bundled photos")
    data = retrieval_eval.load_splits()
    embedder = server.get("embed")
    progress(0.1, f"Embedding {len(data.images)} photos")
    vectors = embedder.embed_images(data.images)
    ng, nh = len(data.gallery), len(data.heldout)
    order = data.gallery + data.heldout
    retrieval, zero_shot = [], []
    for step, lang in enumerate(("en", "zh")):
        progress(0.3 + 0.1 * step, f"Ranking the captions and labels ({lang})")
        suffix = "" if lang == "en" else "_zh"
        texts = [data.captions[lang][n] for n in order]
        retrieval.append(
            retrieval_score(
                embedder, f"gallery captions (captions{suffix}.json, tuning split)", lang,
                texts[:ng], vectors[:ng], np.arange(ng),
            )
        )  # fmt: skip
        retrieval.append(
            retrieval_score(
                embedder, f"held-out captions ({retrieval_eval.HELDOUT_CAPTIONS.name})", lang,
                texts[ng:], vectors, ng + np.arange(nh),
            )
        )  # fmt: skip
        labels = [data.labels[lang][n] for n in order] + data.distractors[lang]
        zero_shot.append(
            zero_shot_score(
                embedder, f"held-out photos ({retrieval_eval.HELDOUT.name}/)", lang,
                vectors[ng:], [data.labels[lang][n] for n in data.heldout], labels,
            )
        )  # fmt: skip
    progress(0.5, "Sentiment: English set")
    backend = server.get("sentiment")
    sentiment = [
        sentiment_score(
            backend,
            f"{sentiment_eval.DEFAULT_SET.name} (all; VADER's calibration was fitted on it)",
            "en",
            load_labelled(sentiment_eval.DEFAULT_SET),
        )
    ]
    progress(0.75, "Sentiment: Chinese held-out half")
    held = [r for r in load_table(sentiment_eval.CHINESE_SET) if r["split"] == "heldout"]
    sentiment.append(
        sentiment_score(
            backend,
            f"{sentiment_eval.CHINESE_SET.name} (held-out half)",
            "zh",
            [(r["label"], r["text"]) for r in held],
        )
    )
    progress(1.0, "Done")
    return _report(
        server,
        "bundled",
        started,
        retrieval=tuple(retrieval),
        zero_shot=tuple(zero_shot),
        sentiment=tuple(sentiment),
    )


# -- a visitor's CSV ---------------------------------------------------------------------
def check_image_count(count: int, limit: int) -> None:
    if count > limit:
        raise BadInputError(f"{count} images were uploaded; at most {limit} at once.")


def _load_images(rows: EvaluationRows, uploaded: Mapping[str, Path], max_pixels: int) -> dict:
    """Each image a row names, through the safe loader; a bad file names its first row."""
    images, problems = {}, []
    for name in rows.images:
        try:
            images[name] = load_image(uploaded[name], name=name, max_pixels=max_pixels)
        except BadInputError as err:
            problems.append(row_problem(rows.first_row(name), "image", str(err)))
    if problems:
        raise CsvProblems(problems)
    return images


def evaluate_csv(
    server,
    data: bytes,
    uploaded: Mapping[str, Path],
    *,
    max_images: int,
    progress: Progress | None = None,
) -> EvaluationReport:
    """The metrics a CSV's rows feed (``evaluation_csv``), on the active preset.
    ``uploaded``: file name -> path of each image given with the CSV."""
    progress = progress or _quiet
    started = time.perf_counter()
    check_image_count(len(uploaded), max_images)
    rows = read_rows(data, uploaded)
    progress(0.05, "Reading the images")
    images = _load_images(rows, uploaded, server.settings.max_image_pixels)
    retrieval, zero_shot, sentiment = (), (), ()
    if images:
        embedder = server.get("embed")
        progress(0.2, f"Embedding {len(images)} images")
        names = list(images)
        vectors = embedder.embed_images([images[n] for n in names])
        where = {n: i for i, n in enumerate(names)}
        if rows.retrieval:
            progress(0.5, "Ranking the texts")
            candidates = list(dict.fromkeys(i for i, _ in rows.retrieval))
            own = vectors[[where[n] for n in candidates]]
            texts = [t for _, t in rows.retrieval]
            targets = [candidates.index(i) for i, _ in rows.retrieval]
            retrieval = (
                retrieval_score(embedder, "your CSV", _language(texts), texts, own, targets),
            )
        if rows.zero_shot:
            progress(0.65, "Zero-shot labels")
            labels = [label for _, label in rows.zero_shot]
            photos = vectors[[where[i] for i, _ in rows.zero_shot]]
            zero_shot = (
                zero_shot_score(embedder, "your CSV", _language(labels), photos, labels, labels),
            )
    if rows.sentiment:
        progress(0.8, "Sentiment")
        texts = [t for _, t in rows.sentiment]
        sentiment = (
            sentiment_score(server.get("sentiment"), "your CSV", _language(texts), rows.sentiment),
        )
    progress(1.0, "Done")
    return _report(
        server, "csv", started, retrieval=retrieval, zero_shot=zero_shot, sentiment=sentiment
    )
