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

log = logging.getLogger(__name__)

CLASSES = ("negative", "neutral", "positive")
DEFAULT_SET = Settings().assets_dir / "quality" / "sentiment_en.tsv"
_EPS = 1e-6  # floor for probabilities in the log loss (VADER's shares are often exactly 0)


def load_labelled(path: str | Path) -> list[tuple[str, str]]:
    """(label, text) rows from ``label<TAB>text`` lines; skips '#' comments, blanks, header."""
    rows: list[tuple[str, str]] = []
    path = Path(path)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        label = label.strip().lower()
        if label == "label" and text.strip().lower() == "text":
            continue
        if not sep or not text.strip():
            raise BadInputError(f"{path}:{number}: expected 'label<TAB>text', got {line!r}.")
        if label not in CLASSES:
            raise BadInputError(
                f"{path}:{number}: unknown label {label!r}; use one of {', '.join(CLASSES)}."
            )
        rows.append((label, text.strip()))
    return rows


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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    rows = load_labelled(args.path)
    backend = build_vader()
    metrics = evaluate(backend, rows)
    fit = None
    if args.fit:
        compounds = [r.details["compound"] for r in backend.analyze_many([t for _, t in rows])]
        fit = fit_slopes(compounds, [label for label, _ in rows])
    sys.stdout.write(report_markdown(metrics, args.path, fit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
