"""Caption<->image retrieval and zero-shot Classify, English and Chinese, as markdown.

Why: the ``lite`` label bridge has knobs (USE share ``w``, ridge of the USE->MiniLM map;
earlier: class prompt, temperature, black-and-white weight) that must be set by
measurement, and the numbers that matter are on photos the knobs never saw. Two splits:

* **tuning** - the 16 gallery photos: captions in English (``captions.json``) and Chinese
  (``captions_zh.json``), plus the short English queries of ``quality/search_queries.json``;
  captions are matched against the 16 gallery photos. ``--grid`` measures every knob
  setting here, re-using the loaded models.
* **held-out** - ``assets/quality/heldout/`` (6 photos from other PyPI wheels), one English
  and one Chinese caption each (``heldout_captions.json``); each caption is matched against
  all 22 photos (gallery + held-out), so the gallery photos are distractors. Only the
  preset's own setting is reported here: it is never used to choose a knob.

Classify: each photo against one list of labels (one per photo of both splits plus
distractors, as a visitor would type them), with the Classify tab's default template.

    python -m mmdemo.quality.retrieval_eval [--preset lite] [--grid]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmdemo.core.config import Settings
from mmdemo.core.imaging import load_image

log = logging.getLogger(__name__)

ASSETS = Settings().assets_dir
CAPTIONS = ASSETS / "gallery" / "captions.json"
CAPTIONS_ZH = ASSETS / "gallery" / "captions_zh.json"
HELDOUT = ASSETS / "quality" / "heldout"
HELDOUT_CAPTIONS = ASSETS / "quality" / "heldout_captions.json"
QUERIES = ASSETS / "quality" / "search_queries.json"
CLASSIFY_TEMPLATE = "a photo of a {}."  # zero_shot.DEFAULT_TEMPLATE, what the tab sends
GRID = {
    "multilingual_weight": (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0),
    "map_ridge": (0.1, 1.0, 3.0),
}
# Queries with no photo in the gallery: their best score should fall below the threshold.
UNRELATED_QUERIES = (
    "a car engine",
    "a bowl of soup",
    "a dog playing in the snow",
    "a pizza",
    "a crowded football stadium",
    "a sailing boat at sea",
    "汽车发动机",
    "一碗汤",
    "雪地里玩耍的狗",
    "一个披萨",
)


@dataclass(frozen=True)
class Recall:
    caption_to_image_r1: float
    caption_to_image_r5: float
    image_to_caption_r1: float
    matched_scores: list[float]  # each caption's score with its own image


def recall(
    text_vectors: np.ndarray, image_vectors: np.ndarray, targets: np.ndarray | None = None
) -> Recall:
    """Text i belongs to image ``targets[i]`` (default: row i of each matrix belongs
    together); ties count against the true match. Image->caption R@1 is over the texts
    given, for the images that have one."""
    targets = np.arange(len(text_vectors)) if targets is None else np.asarray(targets)
    scores = text_vectors @ image_vectors.T
    matched = scores[np.arange(len(targets)), targets]
    caption_ranks = (scores > matched[:, None]).sum(axis=1)
    by_image = scores.T[targets]  # row i: caption i's image against every caption
    image_ranks = (by_image > matched[:, None]).sum(axis=1)
    return Recall(
        float((caption_ranks < 1).mean()),
        float((caption_ranks < 5).mean()),
        float((image_ranks < 1).mean()),
        [float(x) for x in matched],
    )


def gallery_pairs(path: Path = CAPTIONS) -> tuple[list[str], list[str], list]:
    captions = json.loads(path.read_text(encoding="utf-8"))
    names = sorted(captions)
    images = [load_image(path.parent / n, name=n) for n in names]
    return names, [captions[n] for n in names], images


@dataclass(frozen=True)
class Splits:
    """Everything both splits need, loaded once."""

    gallery: list[str]
    heldout: list[str]
    images: list  # gallery photos, then held-out photos
    captions: dict[str, dict[str, str]]  # language -> photo -> caption (both splits)
    queries: list[tuple[str, str]]  # (English search query, gallery photo)
    labels: dict[str, dict[str, str]]  # language -> photo -> Classify label
    distractors: dict[str, list[str]]  # language -> labels no photo shows


def load_splits() -> Splits:
    gallery_en = json.loads(CAPTIONS.read_text(encoding="utf-8"))
    gallery_zh = json.loads(CAPTIONS_ZH.read_text(encoding="utf-8"))
    held = json.loads(HELDOUT_CAPTIONS.read_text(encoding="utf-8"))
    gallery, heldout = sorted(gallery_en), sorted(held["en"])
    images = [load_image(CAPTIONS.parent / n, name=n) for n in gallery]
    images += [load_image(HELDOUT / n, name=n) for n in heldout]
    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["photos"]
    return Splits(
        gallery,
        heldout,
        images,
        {"en": {**gallery_en, **held["en"]}, "zh": {**gallery_zh, **held["zh"]}},
        [(q, photo) for photo in sorted(queries) for q in queries[photo]],
        {
            lang: {**held[f"gallery_labels_{lang}"], **held[f"labels_{lang}"]}
            for lang in ("en", "zh")
        },
        {lang: list(held[f"distractor_labels_{lang}"]) for lang in ("en", "zh")},
    )


@dataclass(frozen=True)
class Measured:
    """R@1/R@5 per (split, language, kind) and Classify accuracy per (split, language)."""

    retrieval: dict[tuple[str, str, str], Recall]
    classify: dict[tuple[str, str], float]


def measure_splits(embedder, data: Splits, image_vectors: np.ndarray | None = None) -> Measured:
    """Both splits, both languages, with one set of image vectors."""
    vectors = embedder.embed_images(data.images) if image_vectors is None else image_vectors
    ng = len(data.gallery)
    order = data.gallery + data.heldout
    out: dict[tuple[str, str, str], Recall] = {}
    for lang in ("en", "zh"):
        texts = embedder.embed_texts([data.captions[lang][n] for n in order])
        out["tuning", lang, "captions"] = recall(texts[:ng], vectors[:ng])
        out["held-out", lang, "captions"] = recall(
            texts[ng:], vectors, ng + np.arange(len(data.heldout))
        )
    query_vectors = embedder.embed_texts([q for q, _ in data.queries])
    targets = np.array([data.gallery.index(p) for _, p in data.queries])
    out["tuning", "en", "queries"] = recall(query_vectors, vectors[:ng], targets)
    accuracy = {}
    for lang in ("en", "zh"):
        labels = [data.labels[lang][n] for n in order] + data.distractors[lang]
        prompts = embedder.embed_texts([CLASSIFY_TEMPLATE.format(label) for label in labels])
        predicted = (vectors @ prompts.T).argmax(axis=1)
        right = predicted == np.arange(len(order))
        accuracy["tuning", lang] = float(right[:ng].mean())
        accuracy["held-out", lang] = float(right[ng:].mean())
    return Measured(out, accuracy)


def measure(embedder, texts: list[str], images: list) -> Recall:
    return recall(embedder.embed_texts(texts), embedder.embed_images(images))


def _set_knobs(embedder, weight: float, ridge: float) -> None:
    embedder.multilingual_weight, embedder.map_ridge = weight, ridge
    embedder.fit_map()


class _Memo:
    """An encoder's ``encode`` that remembers each text: the grid's knobs only recombine the
    two encoders' vectors, so each text is encoded once for the whole grid."""

    def __init__(self, encode):
        self.encode_uncached, self.seen = encode, {}

    def __call__(self, texts, **kwargs):
        import torch

        missing = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if missing:
            rows = self.encode_uncached(missing, **kwargs)
            for text, row in zip(missing, rows, strict=True):
                self.seen[text] = row
        rows = [self.seen[t] for t in texts]
        return torch.stack(rows) if isinstance(rows[0], torch.Tensor) else np.stack(rows)


def grid_rows(embedder, data: Splits) -> list[str]:
    """One markdown row per knob combination on the **tuning** split, re-using the models."""
    rows = []
    original = (embedder.multilingual_weight, embedder.map_ridge)
    encoders = (embedder.encoder, embedder.multilingual)
    for encoder in encoders:
        encoder.encode = _Memo(encoder.encode)
    try:
        for weight in GRID["multilingual_weight"]:
            for ridge in GRID["map_ridge"]:
                _set_knobs(embedder, weight, ridge)
                m = measure_splits(embedder, data)
                r = m.retrieval
                cells = [
                    r["tuning", "en", "captions"],
                    r["tuning", "en", "queries"],
                    r["tuning", "zh", "captions"],
                ]
                rows.append(
                    f"| {weight} | {ridge} | "
                    + " | ".join(
                        f"{c.caption_to_image_r1:.2f} / {c.caption_to_image_r5:.2f}" for c in cells
                    )
                    + f" | {m.classify['tuning', 'en']:.2f} | {m.classify['tuning', 'zh']:.2f} |"
                )
    finally:
        _set_knobs(embedder, *original)
        for encoder in encoders:
            del encoder.encode  # back to the class's method
    return rows


def report(embedder, data: Splits, measured: Measured) -> list[str]:
    r, c = measured.retrieval, measured.classify
    out = [
        f"Model: `{embedder.model_id}`. Tuning split: {len(data.gallery)} gallery photos "
        f"(captions matched against those {len(data.gallery)}; plus {len(data.queries)} short "
        f"English search queries). Held-out split: {len(data.heldout)} photos, each caption "
        f"matched against all {len(data.images)} photos.\n",
        "| split | language | texts | caption→image R@1 | caption→image R@5 | image→caption R@1 |",
        "|---|---|---|---|---|---|",
    ]
    for (split, lang, kind), rec in r.items():
        out.append(
            f"| {split} | {lang} | {kind} | {rec.caption_to_image_r1:.2f} | "
            f"{rec.caption_to_image_r5:.2f} | {rec.image_to_caption_r1:.2f} |"
        )
    n_labels = len(data.images) + len(data.distractors["en"])
    out += [
        f"\nZero-shot Classify, each photo against the same {n_labels} labels "
        f'(template "{CLASSIFY_TEMPLATE}"), top-1 accuracy:\n',
        "| split | English labels | Chinese labels |",
        "|---|---|---|",
        *[f"| {s} | {c[s, 'en']:.2f} | {c[s, 'zh']:.2f} |" for s in ("tuning", "held-out")],
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mmdemo.quality.retrieval_eval")
    parser.add_argument("--preset", default="lite")
    parser.add_argument("--grid", action="store_true", help="also measure every lite knob setting")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from mmdemo.serving import ModelServer

    settings = Settings(preset=args.preset, index_default_gallery=False)
    embedder = ModelServer(settings).get("embed")
    data = load_splits()
    image_vectors = embedder.embed_images(data.images)
    measured = measure_splits(embedder, data, image_vectors)
    out = report(embedder, data, measured)
    ng = len(data.gallery)
    names = data.gallery + data.heldout
    out += [
        "\nEach caption's score with its own photo:\n",
        "| photo | split | English | Chinese |",
        "|---|---|---|---|",
    ]
    scores = {
        lang: measured.retrieval["tuning", lang, "captions"].matched_scores
        + measured.retrieval["held-out", lang, "captions"].matched_scores
        for lang in ("en", "zh")
    }
    out += [
        f"| {n} | {'tuning' if i < ng else 'held-out'} | {e:.2f} | {z:.2f} |"
        for i, (n, e, z) in enumerate(zip(names, scores["en"], scores["zh"], strict=True))
    ]
    unrelated = embedder.embed_texts(list(UNRELATED_QUERIES)) @ image_vectors[:ng].T
    out += [
        "\nBest score of queries with no matching gallery photo (should be below the threshold "
        f"{embedder.thresholds.get('text')}):\n",
        "| query | best score |",
        "|---|---|",
        *[f"| {q} | {s:.2f} |" for q, s in zip(UNRELATED_QUERIES, unrelated.max(1), strict=True)],
    ]
    pairwise = image_vectors[:ng] @ image_vectors[:ng].T
    np.fill_diagonal(pairwise, -1)
    out.append(
        f"\nImage→image: the most similar *other* gallery photo scores {pairwise.max():.2f} "
        f"at most and {np.median(pairwise.max(1)):.2f} at the median."
    )
    if args.grid and hasattr(embedder, "multilingual_weight"):
        out += [
            "\nTuning split only (R@1 / R@5; Classify top-1):\n",
            "| USE share w | map ridge | en captions | en queries | zh captions | Classify en | "
            "Classify zh |",
            "|---|---|---|---|---|---|---|",
            *grid_rows(embedder, data),
        ]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
