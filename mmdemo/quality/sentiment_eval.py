"""Measure a sentiment backend on a labelled TSV and write the numbers as markdown.

Why a script and not a notebook: docs/quality.md quotes these numbers, and anyone can
re-run ``python -m mmdemo.quality.sentiment_eval`` to check them (``--fit`` also re-derives
the VADER calibration slopes). Works with any backend that has ``analyze_many``.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import platform
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.sentiment_sets import load_labelled, load_table

log = logging.getLogger(__name__)

CLASSES = ("negative", "neutral", "positive")
DEFAULT_SET = Settings().assets_dir / "quality" / "sentiment_en.tsv"
CHINESE_SET = Settings().assets_dir / "quality" / "sentiment_zh.tsv"
_EPS = 1e-6  # floor for probabilities in the log loss (VADER's shares are often exactly 0)


def _probability(result, label: str) -> float:
    return next((s.probability for s in result.probabilities if s.label == label), 0.0)


def _share_probabilities(details: dict) -> tuple[float, float, float] | None:
    """VADER's neg/neu/pos shares read as probabilities: the naive baseline for the log loss."""
    if not all(k in details for k in ("neg", "neu", "pos")):
        return None
    raw = [max(float(details[k]), _EPS) for k in ("neg", "neu", "pos")]
    total = sum(raw)
    return (raw[0] / total, raw[1] / total, raw[2] / total)


def evaluate(backend, rows: Sequence[tuple[str, str]]) -> dict:
    """Accuracy (3-class and positive/negative only), per-class P/R, confusion, mistakes."""
    if not rows:
        raise BadInputError("No labelled rows to evaluate.")
    results = backend.analyze_many([text for _, text in rows])
    confusion = {gold: dict.fromkeys(CLASSES, 0) for gold in CLASSES}
    misclassified = []
    log_loss = 0.0
    share_loss = 0.0
    share_ok = True
    confidence_hits: list[tuple[float, bool]] = []
    for (gold, text), result in zip(rows, results, strict=True):
        confusion[gold][result.label] += 1
        log_loss -= math.log(max(_probability(result, gold), _EPS))
        shares = _share_probabilities(result.details)
        if shares is None:
            share_ok = False
        else:
            share_loss -= math.log(shares[CLASSES.index(gold)])
        top = max(s.probability for s in result.probabilities)
        confidence_hits.append((top, result.label == gold))
        if result.label != gold:
            misclassified.append(
                {
                    "gold": gold,
                    "predicted": result.label,
                    "probability": round(_probability(result, result.label), 3),
                    "compound": result.details.get("compound"),
                    "text": text,
                }
            )
    n = len(rows)
    correct = sum(confusion[c][c] for c in CLASSES)
    binary = [(g, r.label) for (g, _), r in zip(rows, results, strict=True) if g != "neutral"]
    per_class = {}
    for c in CLASSES:
        predicted = sum(confusion[g][c] for g in CLASSES)
        support = sum(confusion[c].values())
        per_class[c] = {
            "precision": confusion[c][c] / predicted if predicted else 0.0,
            "recall": confusion[c][c] / support if support else 0.0,
            "support": support,
            "predicted": predicted,
        }
    return {
        "n": n,
        "counts": {c: per_class[c]["support"] for c in CLASSES},
        "accuracy": correct / n,
        "binary_n": len(binary),
        # neutral predictions on positive/negative sentences count as wrong here
        "binary_accuracy": (sum(g == p for g, p in binary) / len(binary)) if binary else 0.0,
        # the same sentences, counting only those the backend called positive or negative
        "decisive_n": sum(p != "neutral" for _, p in binary),
        "decisive_accuracy": _ratio(
            sum(g == p for g, p in binary), sum(p != "neutral" for _, p in binary)
        ),
        "per_class": per_class,
        "confusion": confusion,
        "log_loss": log_loss / n,
        "share_log_loss": share_loss / n if share_ok else None,
        "mean_confidence": sum(t for t, _ in confidence_hits) / n,
        "calibration": _calibration_bins(confidence_hits),
        "misclassified": misclassified,
        "model": results[0].model if results else "",
    }


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _calibration_bins(
    pairs: Iterable[tuple[float, bool]], edges: Sequence[float] = (0.0, 0.5, 0.7, 0.9, 1.01)
) -> list[dict]:
    """Mean top probability vs accuracy per confidence bin: is "80% sure" right 80% of the time?"""
    bins = []
    pairs = list(pairs)
    for low, high in itertools.pairwise(edges):
        inside = [(p, ok) for p, ok in pairs if low <= p < high]
        if inside:
            bins.append(
                {
                    "range": f"{low:.1f}-{min(high, 1.0):.1f}",
                    "n": len(inside),
                    "confidence": sum(p for p, _ in inside) / len(inside),
                    "accuracy": sum(ok for _, ok in inside) / len(inside),
                }
            )
    return bins


def fit_slopes(compounds: Sequence[float], labels: Sequence[str], folds: int = 5) -> dict:
    """Grid-search the two softmax slopes of the VADER calibration by mean log loss.

    Also reports the ``folds``-fold cross-validated log loss (fit on 4/5, score the rest),
    so the in-sample number is not the only evidence that two constants did not overfit.
    """
    from mmdemo.models.backends.vader_sentiment import probabilities_from_compound

    grid = [(a / 2, b / 2) for a in range(1, 31) for b in range(0, 41)]
    targets = [CLASSES.index(label) for label in labels]

    def loss(a: float, b: float, idx: Sequence[int]) -> float:
        total = 0.0
        for i in idx:
            p = probabilities_from_compound(compounds[i], a, b)[targets[i]]
            total -= math.log(max(p, _EPS))
        return total / len(idx)

    everything = range(len(compounds))
    best = min(grid, key=lambda ab: loss(*ab, everything))
    held_out = 0.0
    for k in range(folds):
        train = [i for i in everything if i % folds != k]
        test = [i for i in everything if i % folds == k]
        a, b = min(grid, key=lambda ab, train=train: loss(*ab, train))
        held_out += loss(a, b, test) * len(test)
    return {
        "polar_slope": best[0],
        "neutral_slope": best[1],
        "log_loss": loss(*best, everything),
        "cv_log_loss": held_out / len(compounds),
    }


def _machine() -> str:
    from mmdemo.core.machine import cpu_model

    cpu = cpu_model()
    return f"{platform.system()} {platform.machine()}, {cpu}, Python {platform.python_version()}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report_markdown(metrics: dict, path: Path, fit: dict | None = None) -> str:
    """The numbers as a markdown fragment for docs/quality.md."""
    m = metrics
    counts = ", ".join(f"{m['counts'][c]} {c}" for c in CLASSES)
    lines = [
        f"Model: {m['model']}. Set: `{path.name}`, {m['n']} sentences ({counts}).",
        f"Machine: {_machine()}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| accuracy, 3 classes | **{_pct(m['accuracy'])}** |",
        f"| accuracy, positive/negative sentences only ({m['binary_n']}; a neutral "
        f"prediction counts as wrong) | **{_pct(m['binary_accuracy'])}** |",
        f"| accuracy on the {m['decisive_n']} of those predicted positive or negative | "
        f"{_pct(m['decisive_accuracy'])} |",
        f"| log loss of the calibrated probabilities | {m['log_loss']:.3f} |",
    ]
    if m["share_log_loss"] is not None:
        lines.append(
            "| log loss of VADER's neg/neu/pos shares read as probabilities (floored at "
            f"1e-6) | {m['share_log_loss']:.3f} |"
        )
    lines.append(f"| log loss of a uniform guess | {math.log(3):.3f} |")
    lines += ["", "| class | precision | recall | support | predicted |", "|---|---|---|---|---|"]
    for c in CLASSES:
        pc = m["per_class"][c]
        lines.append(
            f"| {c} | {_pct(pc['precision'])} | {_pct(pc['recall'])} | {pc['support']} | "
            f"{pc['predicted']} |"
        )
    lines += ["", "Confusion matrix (rows: true label, columns: predicted):", ""]
    lines += ["| true \\ predicted | " + " | ".join(CLASSES) + " |", "|---|---|---|---|"]
    for gold in CLASSES:
        row = " | ".join(str(m["confusion"][gold][p]) for p in CLASSES)
        lines.append(f"| {gold} | {row} |")
    lines += ["", "Calibration (top probability vs how often the top label is right):", ""]
    lines += ["| top probability | n | mean top probability | accuracy |", "|---|---|---|---|"]
    for b in m["calibration"]:
        lines.append(
            f"| {b['range']} | {b['n']} | {_pct(b['confidence'])} | {_pct(b['accuracy'])} |"
        )
    if fit is not None:
        lines += [
            "",
            f"Fitted slopes: polar {fit['polar_slope']}, neutral {fit['neutral_slope']} "
            f"(log loss {fit['log_loss']:.3f} in-sample, {fit['cv_log_loss']:.3f} "
            "5-fold cross-validated).",
        ]
    lines += ["", f"Misclassified ({len(m['misclassified'])}):", ""]
    lines += ["| true | predicted (p) | compound | text |", "|---|---|---|---|"]
    for x in m["misclassified"]:
        text = x["text"].replace("|", "\\|")
        lines.append(
            f"| {x['gold']} | {x['predicted']} ({x['probability']:.2f}) | "
            f"{x['compound']:+.3f} | {text} |"
        )
    return "\n".join(lines) + "\n"


class SnowNLPSentiment:
    """snownlp's P(positive) (naive Bayes on Chinese shopping reviews) with a neutral band.

    Why here and not a backend: it is the measured alternative to lite's cross-lingual head
    (it lost on the held-out half), kept so the comparison can be re-run. Below ``low``
    negative, above ``high`` positive, between them neutral; the band is tuned on the tune
    half by ``tune_band``.
    """

    def __init__(self, low: float = 0.5, high: float = 0.5):
        from snownlp import SnowNLP

        self._snow = SnowNLP
        self.low, self.high = low, high
        self.model_label = f"snownlp {_package_version('snownlp')} (band {low:.2f}-{high:.2f})"

    def scores(self, texts: Sequence[str]) -> list[float]:
        return [float(self._snow(t).sentiments) for t in texts]

    def analyze_many(self, texts: Sequence[str]):
        from mmdemo.core.sentiment_results import SentimentResult

        results = []
        for score in self.scores(texts):
            label = band_label(score, self.low, self.high)
            side = 0.5 if label == "neutral" else 0.25
            probs = ((1 - score) * (1 - side), side, score * (1 - side))
            details = {"p_positive": score}
            results.append(SentimentResult.of(probs, self.model_label, details, label=label))
        return results


def band_label(score: float, low: float, high: float) -> str:
    if score < low:
        return "negative"
    if score > high:
        return "positive"
    return "neutral"


def tune_band(scores: Sequence[float], labels: Sequence[str], step: float = 0.01) -> tuple:
    """(low, high, accuracy): the neutral band with the best accuracy on these rows (the
    narrowest-starting one on ties)."""
    grid = [round(i * step, 4) for i in range(round(1 / step) + 1)]
    best = (0.5, 0.5, -1.0)
    for low in grid:
        for high in (h for h in grid if h >= low):
            right = sum(band_label(s, low, high) == g for s, g in zip(scores, labels, strict=True))
            if right / len(labels) > best[2] + 1e-12:
                best = (low, high, right / len(labels))
    return best


def per_kind(backend, rows: Sequence[dict]) -> dict[str, tuple[int, int]]:
    """kind -> (right, total) on these rows (one batch through the backend)."""
    results = backend.analyze_many([r["text"] for r in rows])
    tally: dict[str, list[int]] = {}
    for row, result in zip(rows, results, strict=True):
        counts = tally.setdefault(row.get("kind", "all"), [0, 0])
        counts[0] += result.label == row["label"]
        counts[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(tally.items())}


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "(unknown version)"


def chinese_markdown(candidates: Sequence[tuple[str, object]], rows: Sequence[dict]) -> str:
    """Held-out 3-class accuracy of each candidate, overall and per kind, plus the first
    candidate's confusion matrix and mistakes."""
    held = [r for r in rows if r["split"] == "heldout"]
    pairs = [(r["label"], r["text"]) for r in held]
    kinds = sorted({r["kind"] for r in held})
    counts = ", ".join(f"{sum(r['label'] == c for r in held)} {c}" for c in CLASSES)
    lines = [
        f"Held-out half of `{CHINESE_SET.name}`: {len(held)} sentences ({counts}).",
        f"Machine: {_machine()}.",
        "",
        "| model | accuracy, 3 classes | " + " | ".join(kinds) + " |",
        "|---|---|" + "---|" * len(kinds),
    ]
    first = None
    for name, backend in candidates:
        metrics = evaluate(backend, pairs)
        first = first or (name, metrics)
        by_kind = per_kind(backend, held)
        cells = " | ".join(f"{by_kind[k][0]}/{by_kind[k][1]}" for k in kinds)
        lines.append(f"| {name} | **{_pct(metrics['accuracy'])}** | {cells} |")
    name, m = first
    lines += ["", f"{name}, confusion matrix (rows: true label, columns: predicted):", ""]
    lines += ["| true \\ predicted | " + " | ".join(CLASSES) + " |", "|---|---|---|---|"]
    for gold in CLASSES:
        lines.append(
            f"| {gold} | " + " | ".join(str(m["confusion"][gold][p]) for p in CLASSES) + " |"
        )
    lines += ["", f"{name}, misclassified ({len(m['misclassified'])}):", ""]
    lines += ["| true | predicted (p) | text |", "|---|---|---|"]
    for x in m["misclassified"]:
        text = x["text"].replace("|", "\\|")
        lines.append(f"| {x['gold']} | {x['predicted']} ({x['probability']:.2f}) | {text} |")
    return "\n".join(lines) + "\n"


def build_backend(name: str):
    """A sentiment backend of ``lite``, built by the model server like every other."""
    from mmdemo.serving import ModelServer

    settings = Settings(preset="lite", backends=f"sentiment={name}", index_default_gallery=False)
    return ModelServer(settings).get("sentiment")


def head_backend(path: Path):
    """lite's router with another head file (e.g. one trained with ``--english-only``)."""
    from mmdemo.models.backends import e5_sentiment_head as e5
    from mmdemo.models.backends.multilingual_sentiment import RoutedSentiment

    router = build_backend("lite-multilingual")
    own = router.multilingual
    head = e5.load_head(Path(path), own.encoder.dim)
    other = e5.E5SentimentHead(own.spec, own.encoder, head)
    return RoutedSentiment(router.spec, router.english, other)


def chinese_candidates(
    rows: Sequence[dict], extra_heads: Sequence[Path] = ()
) -> list[tuple[str, object]]:
    """lite's router (its Chinese head), snownlp with its band tuned on the tune half, and
    VADER (what lite had before); ``extra_heads`` are other head files to compare."""
    tune = [r for r in rows if r["split"] == "tune"]
    snow = SnowNLPSentiment()
    low, high, tune_accuracy = tune_band(
        snow.scores([r["text"] for r in tune]), [r["label"] for r in tune]
    )
    log.info("snownlp band %.2f-%.2f (tune accuracy %.3f)", low, high, tune_accuracy)
    return [
        ("VADER + cross-lingual e5 head (`lite-multilingual`)", build_backend("lite-multilingual")),
        (
            f"snownlp, neutral band {low:.2f}-{high:.2f} tuned on the tune half",
            SnowNLPSentiment(low, high),
        ),
        ("snownlp, cut at 0.5 (no neutral)", SnowNLPSentiment()),
        ("VADER alone (lite before)", build_backend("vader")),
    ] + [(f"head `{p}`", head_backend(p)) for p in extra_heads]


def build_vader():
    """The VADER backend, built by the model server like every other backend."""
    from mmdemo.core.config import Settings
    from mmdemo.serving import ModelServer

    settings = Settings(preset="lite", backends="sentiment=vader", index_default_gallery=False)
    return ModelServer(settings).get("sentiment")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mmdemo.quality.sentiment_eval",
        description="Evaluate the VADER sentiment backend on a labelled TSV; markdown to stdout.",
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--fit", action="store_true", help="also re-fit the calibration slopes")
    parser.add_argument(
        "--chinese",
        action="store_true",
        help="compare the Chinese candidates on the held-out half of sentiment_zh.tsv",
    )
    parser.add_argument(
        "--extra-head",
        type=Path,
        action="append",
        default=[],
        help="with --chinese: also measure lite's router with this head file",
    )
    parser.add_argument(
        "--backend", default="vader", help="lite sentiment backend for the English set"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.chinese:
        rows = load_table(args.path if args.path != DEFAULT_SET else CHINESE_SET)
        sys.stdout.write(chinese_markdown(chinese_candidates(rows, args.extra_head), rows))
        return 0
    rows = load_labelled(args.path)
    backend = build_vader() if args.backend == "vader" else build_backend(args.backend)
    metrics = evaluate(backend, rows)
    fit = None
    if args.fit:
        compounds = [r.details["compound"] for r in backend.analyze_many([t for _, t in rows])]
        fit = fit_slopes(compounds, [label for label, _ in rows])
    sys.stdout.write(report_markdown(metrics, args.path, fit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
