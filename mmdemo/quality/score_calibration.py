"""Match-strength thresholds ("strong" / "possible" / "weak") per embedder and direction.

Why: a raw cosine means nothing to a visitor, and its scale differs per model and per
direction (``lite``'s vectors of two unrelated photos are ~0.8 alike, while its best
caption-to-photo scores are ~0.6). So each embedder carries two levels per direction,
chosen here on measured pairs, never by taste:

* image -> image: augmented copies of gallery photos (rotated, cropped, grey, JPEG
  re-encoded, ...) against their own original (true pairs) and against the other photos;
* text -> image: hand-written queries true of a photo (``assets/quality/search_queries.json``,
  and their Chinese versions in ``search_queries_zh.json`` when the embedder reads Chinese)
  against that photo, and queries for things no photo shows against every photo. Both
  languages share one set of levels (the search service has one), so both are pooled.

The false pairs are what a visitor would wrongly be shown: for image -> image, every other
gallery photo a copy's search returns (its own original comes first, the rest is padding);
for text -> image, the best photo of each absent-thing query (such a search has no right
answer, so its first hit is the one its verdict is about). *Possible* is the lowest score
that at most ``POSSIBLE_FALSE_RATE`` of the false pairs reach, *strong* the lowest that at
most ``STRONG_FALSE_RATE`` reach.

The photos and the absent-thing queries are split in two halves: the levels are chosen on
the ``tune`` half and reported on the ``held-out`` half, which they never saw (a Chinese
absent-thing query goes to the half of its English twin, so no translation leaks across).

    python -m mmdemo.quality.score_calibration [--preset lite]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from mmdemo.core.config import Settings
from mmdemo.core.i18n import has_cjk
from mmdemo.core.imaging import load_image
from mmdemo.services.search import match_strength

log = logging.getLogger(__name__)

QUERIES = Settings().assets_dir / "quality" / "search_queries.json"
QUERIES_ZH = Settings().assets_dir / "quality" / "search_queries_zh.json"
GALLERY = Settings().assets_dir / "gallery"
POSSIBLE_FALSE_RATE = 0.10  # "possible": worth a look; 1 false pair in 10 may get here
STRONG_FALSE_RATE = 0.01  # "strong": hardly ever a wrong photo (1 in 100 at most)


def _rotate_small(im: Image.Image) -> Image.Image:
    """A slightly tilted shot: 10 degrees, cropped to the middle so no black corners show."""
    tilted = im.rotate(10, resample=Image.Resampling.BICUBIC)
    return _crop(tilted, 0.75, 0.5, 0.5)


def _crop(im: Image.Image, share: float, cx: float, cy: float) -> Image.Image:
    w, h = im.size
    cw, ch = max(1, round(w * share)), max(1, round(h * share))
    left = round((w - cw) * cx)
    top = round((h - ch) * cy)
    return im.crop((left, top, left + cw, top + ch))


def _jpeg(im: Image.Image, quality: int, scale: float = 1.0) -> Image.Image:
    if scale != 1.0:
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        im = im.resize(size, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    im.convert("RGB").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


# What a visitor's copy of a gallery photo may have gone through.
AUGMENTATIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "rotated 90°": lambda im: im.rotate(90, expand=True),
    "tilted 10°": _rotate_small,
    "cropped to the centre 70%": lambda im: _crop(im, 0.7, 0.5, 0.5),
    "cropped to a corner 60%": lambda im: _crop(im, 0.6, 0.0, 0.0),
    "mirrored": ImageOps.mirror,
    "grey": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "JPEG quality 20": lambda im: _jpeg(im, 20),
    "half size, JPEG quality 50": lambda im: _jpeg(im, 50, 0.5),
}


@dataclass(frozen=True)
class Levels:
    """The two calibrated cosines of one direction: at or above ``strong`` is a strong
    match, at or above ``possible`` a possible one, below it weak."""

    possible: float
    strong: float


@dataclass(frozen=True)
class Pairs:
    """Scores of true pairs and of false pairs, with a label for each true pair."""

    true: np.ndarray
    false: np.ndarray
    true_labels: tuple[str, ...] = ()
    false_labels: tuple[str, ...] = ()  # text -> image: the absent-thing query of each


@dataclass(frozen=True)
class Separation:
    """How levels sort one set of pairs: shares of true pairs strong / at least possible,
    shares of false pairs weak / strong."""

    true_strong: float
    true_possible: float  # strong or possible
    false_weak: float
    false_strong: float


def split_halves(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Alternate items of the sorted list: (tune, held-out). Deterministic, and each half
    gets photos of every kind (the gallery is sorted by name, not by kind)."""
    ordered = sorted(names)
    return ordered[0::2], ordered[1::2]


def choose_levels(pairs: Pairs, digits: int = 2) -> Levels:
    """The lowest scores (on a grid of ``digits`` decimals) that at most POSSIBLE_FALSE_RATE
    and STRONG_FALSE_RATE of the false pairs reach."""
    step = 10.0**-digits

    def lowest(rate: float, start: float) -> float:
        level = round(start, digits)
        while (pairs.false >= level).mean() > rate:
            level = round(level + step, digits)
        return level

    possible = lowest(POSSIBLE_FALSE_RATE, float(np.floor(pairs.false.min() / step) * step))
    return Levels(possible, lowest(STRONG_FALSE_RATE, possible))


def separation(pairs: Pairs, levels: Levels) -> Separation:
    return Separation(
        float((pairs.true >= levels.strong).mean()),
        float((pairs.true >= levels.possible).mean()),
        float((pairs.false < levels.possible).mean()),
        float((pairs.false >= levels.strong).mean()),
    )


def strength_of(score: float, levels: Levels) -> str | None:
    """The word the app would show (the same function the search service uses)."""
    return match_strength(score, levels.possible, levels.strong)


# -- the measured pairs -------------------------------------------------------------------
def image_pairs(
    embed_images,
    photos: dict[str, Image.Image],
    names: Sequence[str],
    gallery: np.ndarray,
    order: Sequence[str],
) -> Pairs:
    """Augmented copies of each photo in ``names`` against their original (true) and against
    every other photo of the gallery (false); ``gallery`` holds the vectors of ``order``."""
    true, false, labels = [], [], []
    for name in names:
        i = list(order).index(name)
        scores = embed_images([fn(photos[name]) for fn in AUGMENTATIONS.values()]) @ gallery.T
        true.extend(scores[:, i].tolist())
        labels.extend(f"{name}, {aug}" for aug in AUGMENTATIONS)
        false.extend(np.delete(scores, i, axis=1).ravel().tolist())
    return Pairs(np.array(true), np.array(false), tuple(labels))


def text_pairs(
    embed_texts,
    gallery: np.ndarray,
    order: Sequence[str],
    names: Sequence[str],
    queries: dict,
    absent: Sequence[str],
) -> Pairs:
    """True queries of each photo in ``names`` against it (true); each absent-thing query
    against its best photo of the gallery (false)."""
    true, labels = [], []
    for name in names:
        texts = list(queries[name])
        true.extend((embed_texts(texts) @ gallery[list(order).index(name)]).tolist())
        labels.extend(f'"{t}" → {name}' for t in texts)
    false = (embed_texts(list(absent)) @ gallery.T).max(axis=1)
    return Pairs(np.array(true), false, tuple(labels), tuple(absent))


def load_queries(path: Path = QUERIES) -> tuple[dict[str, list[str]], list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: list(v) for k, v in data["photos"].items()}, list(data["absent"])


def reads_chinese(embedder) -> bool:
    spec = getattr(embedder, "spec", None)
    return spec is not None and spec.capabilities.reads("一只猫")


def split_absent(absent: Sequence[str], twins: Sequence[str]) -> tuple[list[str], list[str]]:
    """Halves of the absent-thing queries (``split_halves``), each English query joined by
    its translation (``twins[i]`` translates ``absent[i]``; empty: English only)."""
    tune, held = split_halves(absent)
    twin_of = dict(zip(absent, twins, strict=True)) if twins else {}
    return (
        tune + [twin_of[q] for q in tune if q in twin_of],
        held + [twin_of[q] for q in held if q in twin_of],
    )


@dataclass(frozen=True)
class Calibration:
    """Levels chosen on the tune half and their separation on both halves, per direction."""

    model_id: str
    levels: dict[str, Levels]  # "text", "image"
    tune: dict[str, Separation]
    held_out: dict[str, Separation]
    held_pairs: dict[str, Pairs]

    def thresholds(self) -> dict[str, float]:
        """The backend's ``thresholds`` option (``services/search.py`` reads these keys)."""
        out = {}
        for direction, lv in self.levels.items():
            out[direction] = lv.possible
            out[f"{direction}_strong"] = lv.strong
        return out


def calibrate(
    embedder, gallery: Path = GALLERY, queries: Path = QUERIES, queries_zh: Path | None = QUERIES_ZH
) -> Calibration:
    """Measure both directions on both halves with one loaded embedder; Chinese queries join
    the English ones when the embedder reads Chinese and ``queries_zh`` exists."""
    true_queries, absent = load_queries(queries)
    twins: list[str] = []
    if queries_zh is not None and queries_zh.is_file() and reads_chinese(embedder):
        zh_queries, twins = load_queries(queries_zh)
        for name, texts in zh_queries.items():
            true_queries[name] = true_queries[name] + texts
    names = sorted(true_queries)
    photos = {n: load_image(gallery / n, name=n) for n in names}
    vectors = embedder.embed_images([photos[n] for n in names])

    def both(split_names, split_absent) -> dict[str, Pairs]:
        return {
            "text": text_pairs(
                embedder.embed_texts, vectors, names, split_names, true_queries, split_absent
            ),
            "image": image_pairs(embedder.embed_images, photos, split_names, vectors, names),
        }

    (tune_names, held_names) = split_halves(names)
    (tune_absent, held_absent) = split_absent(absent, twins)
    tune, held = both(tune_names, tune_absent), both(held_names, held_absent)
    levels = {d: choose_levels(tune[d]) for d in ("text", "image")}
    return Calibration(
        model_id=embedder.model_id,
        levels=levels,
        tune={d: separation(tune[d], levels[d]) for d in levels},
        held_out={d: separation(held[d], levels[d]) for d in levels},
        held_pairs=held,
    )


# -- the report -----------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def report(cal: Calibration) -> str:
    """Markdown for docs/quality.md."""
    names = {"text": "text → image", "image": "image → image"}
    out = [
        f"Model: `{cal.model_id}`.\n",
        "| direction | possible ≥ | strong ≥ | half | true pairs strong | true pairs at least "
        "possible | false pairs weak | false pairs strong |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d, lv in cal.levels.items():
        for half, sep in (("tune", cal.tune[d]), ("**held-out**", cal.held_out[d])):
            out.append(
                f"| {names[d]} | {lv.possible:.2f} | {lv.strong:.2f} | {half} | "
                f"{_pct(sep.true_strong)} | {_pct(sep.true_possible)} | "
                f"{_pct(sep.false_weak)} | {_pct(sep.false_strong)} |"
            )
    img, txt = cal.held_pairs["image"], cal.held_pairs["text"]
    out.append(
        f"\nHeld-out half: text → image {len(txt.true)} true pairs (queries × their photo) and "
        f"{len(txt.false)} false ones (absent-thing queries × their best photo); image → image "
        f"{len(img.true)} true pairs (augmented copies × their original) and {len(img.false)} "
        "false ones (copies × every other gallery photo)."
    )
    lv = cal.levels["image"]
    out += ["\nHeld-out image copies by augmentation:\n"]
    out += ["| augmentation | at least possible | strong | lowest score |", "|---|---|---|---|"]
    for aug in AUGMENTATIONS:
        scores = np.array(
            [s for s, lab in zip(img.true, img.true_labels, strict=True) if lab.endswith(aug)]
        )
        out.append(
            f"| {aug} | {_pct((scores >= lv.possible).mean())} | "
            f"{_pct((scores >= lv.strong).mean())} | {scores.min():.3f} |"
        )
    tl = cal.levels["text"]
    if any(has_cjk(lab) for lab in txt.true_labels):
        out += ["\nHeld-out text → image by language:\n"]
        out += [
            "| language | true pairs strong | true pairs at least possible | false pairs weak | "
            "false pairs strong |",
            "|---|---|---|---|---|",
        ]
        for lang, want in (("English", False), ("Chinese", True)):
            sub = Pairs(
                np.array(
                    [
                        s
                        for s, lab in zip(txt.true, txt.true_labels, strict=True)
                        if has_cjk(lab) == want
                    ]
                ),
                np.array(
                    [
                        s
                        for s, q in zip(txt.false, txt.false_labels, strict=True)
                        if has_cjk(q) == want
                    ]
                ),
            )
            sep = separation(sub, tl)
            out.append(
                f"| {lang} | {_pct(sep.true_strong)} | {_pct(sep.true_possible)} | "
                f"{_pct(sep.false_weak)} | {_pct(sep.false_strong)} |"
            )
    out += ["\nHeld-out text queries and their photo:\n", "| query → photo | score | strength |"]
    out.append("|---|---|---|")
    out += [
        f"| {lab} | {s:.3f} | {strength_of(s, tl)} |"
        for s, lab in sorted(zip(txt.true, txt.true_labels, strict=True), reverse=True)
    ]
    out += ["\nHeld-out absent-thing queries, best photo in the gallery:\n"]
    out += ["| query | best score | strength |", "|---|---|---|"]
    out += [
        f"| {q} | {s:.3f} | {strength_of(s, tl)} |"
        for s, q in sorted(zip(txt.false, txt.false_labels, strict=True), reverse=True)
    ]
    out.append(f"\nFor the backend file: `{json.dumps(cal.thresholds())}`")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mmdemo.quality.score_calibration")
    parser.add_argument("--preset", default="lite")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from mmdemo.serving import ModelServer

    settings = Settings(preset=args.preset, index_default_gallery=False)
    embedder = ModelServer(settings).get("embed")
    sys.stdout.write(report(calibrate(embedder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
