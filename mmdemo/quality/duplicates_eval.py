"""Calibrate and measure near-duplicate finding (``services.duplicates``) per embedder.

Why augmented copies: nobody labels duplicates by hand, but we can make them. Each photo
gets six light copies a gallery really collects - half size, JPEG at quality 15, a light
crop (about 9 % off the edges), a 3 degree rotation (borders cut off), brighter by 25 %, and
a darker, smaller, recompressed one. Against them stand the distinct photos and, as the hard
negatives a semantic embedding confuses, four other pictures of each photo's subject: its
left and right halves, and its top-left and bottom-right corners at 60 % of each side (the
original's shape, like a zoomed-in second shot): the same subject and colours, but a
different picture (keeping one must not delete the other).

* **Calibration** on the default gallery's 16 photos (``assets/gallery``): all of them with
  their copies and part-crops in one gallery; every candidate pair's cosine and hash distance
  are scored, and the (cosine, hash) thresholds with the best F1 on pairs (ties: the
  strictest hash distance, then the middle of the cosines that reach it) are written to
  ``assets/quality/duplicates_thresholds.json`` for that model.
* **Held-out report** on ``assets/quality/heldout`` (6 photos nobody tuned on): their copies
  and halves mixed into a gallery of the 16 gallery photos, found with the written
  thresholds through ``find_duplicates`` - pair precision / recall, and the share of copies
  grouped with their original.

Run: ``python -m mmdemo.quality.duplicates_eval --preset lite`` (and ``tiny``); ``--write``
stores the calibrated thresholds. Numbers: docs/quality.md (near-duplicates).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance

from mmdemo.core.config import Settings
from mmdemo.core.imaging import find_images, load_image
from mmdemo.core.machine import cpu_model
from mmdemo.services import duplicates
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)

ASSETS = Settings().assets_dir
CALIBRATION = ASSETS / "gallery"
HELDOUT = ASSETS / "quality" / "heldout"
THRESHOLDS = ASSETS / duplicates.THRESHOLDS_FILE
WORKING_SIDE = 640  # photos are first brought to this long side (a phone photo's preview)


def _crop(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((int(0.05 * w), int(0.04 * h), int(0.97 * w), int(0.98 * h)))


def _rotate(image: Image.Image) -> Image.Image:
    w, h = image.size
    turned = image.rotate(3, resample=Image.Resampling.BICUBIC)
    return turned.crop((int(0.05 * w), int(0.05 * h), int(0.95 * w), int(0.95 * h)))


def _scale(image: Image.Image, factor: float) -> Image.Image:
    w, h = image.size
    return image.resize(
        (max(1, int(w * factor)), max(1, int(h * factor))), Image.Resampling.LANCZOS
    )


# name -> (make, JPEG quality or None for PNG)
COPIES: dict[str, tuple[Callable[[Image.Image], Image.Image], int | None]] = {
    "half_size": (lambda im: _scale(im, 0.5), None),
    "jpeg_q15": (lambda im: im, 15),
    "crop": (_crop, None),
    "rotate3": (_rotate, None),
    "brighter": (lambda im: ImageEnhance.Brightness(im).enhance(1.25), None),
    "dark_small_jpeg": (lambda im: _scale(ImageEnhance.Brightness(im).enhance(0.8), 0.6), 40),
}
# distinct pictures of the same subject: the two halves (another shape) and two corners
# at 60 % of each side (the same shape: a zoomed-in shot of part of the scene)
HALVES = ("left_half", "right_half", "top_left_60", "bottom_right_60")


@dataclass(frozen=True)
class Item:
    path: Path
    source: str  # the photo it came from
    kind: str  # "original", a COPIES name, or a HALVES name

    @property
    def truth(self) -> str:
        """Which group it truly belongs to: a photo and its copies share one; a half is alone."""
        return f"{self.source}/{self.kind}" if self.kind in HALVES else self.source


def make_set(photos: Sequence[Path], folder: Path, *, copies: bool = True) -> list[Item]:
    """Write each photo (at WORKING_SIDE), and with ``copies`` its copies and halves."""
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for photo in photos:
        image = load_image(photo, max_side=WORKING_SIDE)
        stem = photo.stem
        items.append(Item(_save(image, folder / f"{stem}.png", None), stem, "original"))
        if not copies:
            continue
        for kind, (make, quality) in COPIES.items():
            suffix = ".jpg" if quality else ".png"
            items.append(
                Item(_save(make(image), folder / f"{stem}_{kind}{suffix}", quality), stem, kind)
            )
        w, h = image.size
        cw, ch = int(0.6 * w), int(0.6 * h)
        boxes = ((0, 0, w // 2, h), (w - w // 2, 0, w, h), (0, 0, cw, ch), (w - cw, h - ch, w, h))
        for kind, box in zip(HALVES, boxes, strict=True):
            items.append(
                Item(_save(image.crop(box), folder / f"{stem}_{kind}.png", None), stem, kind)
            )
    return items


def _save(image: Image.Image, path: Path, quality: int | None) -> Path:
    if quality:
        image.convert("RGB").save(path, format="JPEG", quality=quality)
    else:
        image.save(path, format="PNG")
    return path


def _gallery(server: ModelServer, settings: Settings, folder: Path, items: list[Item]):
    gallery = Gallery(
        server, settings.replace(index_dir=folder / "index", index_default_gallery=False)
    )
    gallery.add_files([str(i.path) for i in items])
    by_path = {str(i.path): i for i in items}
    return gallery, {m.id: by_path[m.path] for m in gallery.index.items()}


def _true_pairs(truth: dict[int, Item]) -> set[tuple[int, int]]:
    return {
        (a, b)
        for a, b in itertools.combinations(sorted(truth), 2)
        if truth[a].truth == truth[b].truth
    }


def _scores(predicted: set, true: set) -> dict:
    hits = len(predicted & true)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(true)}


def _grouped_pairs(groups) -> set[tuple[int, int]]:
    return {pair for g in groups for pair in itertools.combinations(sorted(g), 2)}


def calibrate(server: ModelServer, settings: Settings, work: Path) -> dict:
    """The (cosine, hash distance) thresholds with the best pair F1 on the calibration set."""
    items = make_set(find_images(CALIBRATION), work / "calibration")
    gallery, truth = _gallery(server, settings, work / "calibration", items)
    candidates = duplicates.candidate_pairs([gallery], -1.0)
    metas = {m.id: m for m in gallery.index.items()}
    hashes = {i: duplicates.image_hash(gallery, metas[i]) for i in metas}
    true = _true_pairs(truth)
    cosines = sorted({round(c, 3) for c in candidates.values() if c > 0}) or [0.0]
    table = {}  # (threshold, distance) -> scores
    for threshold in cosines:
        above = {p: c for p, c in candidates.items() if c >= threshold}
        for distance in range(0, 33):
            pairs = duplicates.confirmed(above, hashes, distance)
            table[threshold, distance] = _scores(
                _grouped_pairs(duplicates.union_groups(pairs)), true
            )
    # the best F1; of the hash distances reaching it the strictest, and of the cosines
    # reaching it there the middle one (the widest margin either way: an exact edge learnt
    # on 16 photos missed held-out JPEG copies by 0.02)
    top = max(round(s["f1"], 6) for s in table.values())
    distance = min(d for (_, d), s in table.items() if round(s["f1"], 6) == top)
    plateau = sorted(t for (t, d), s in table.items() if d == distance and round(s["f1"], 6) == top)
    threshold = plateau[len(plateau) // 2]
    got = table[threshold, distance]
    got = {**got, "cosine_plateau": [plateau[0], plateau[-1]]}
    copy_pairs = [p for p in true]
    half_pairs = [
        (a, b) for a, b in itertools.combinations(sorted(truth), 2)
        if truth[a].source == truth[b].source and truth[a].truth != truth[b].truth
    ]  # fmt: skip
    return {
        "threshold": threshold,
        "max_hash_distance": distance,
        "calibration": {k: round(v, 4) if isinstance(v, float) else v for k, v in got.items()},
        "images": len(truth),
        "spread": {
            "copy_cosine_min": _lowest(candidates, copy_pairs),
            "copy_hash_max": max(_distance(hashes, p) for p in copy_pairs),
            "half_hash_min": min(_distance(hashes, p) for p in half_pairs),
            "half_cosine_max": max(candidates.get(p, -1.0) for p in half_pairs),
        },
    }


def _lowest(candidates, pairs) -> float:
    return round(min(candidates.get(p, -1.0) for p in pairs), 4)


def _distance(hashes, pair) -> int:
    a, b = hashes[pair[0]], hashes[pair[1]]
    return 64 if a is None or b is None else duplicates.hash_distance(a, b)


def heldout(server: ModelServer, settings: Settings, work: Path) -> dict:
    """Precision / recall of ``find_duplicates`` on the held-out copies mixed into the gallery."""
    base = make_set(find_images(CALIBRATION), work / "base", copies=False)
    mixed = make_set(find_images(HELDOUT), work / "heldout")
    gallery, truth = _gallery(server, settings, work / "heldout", base + mixed)
    report = duplicates.find_duplicates(gallery)
    predicted = _grouped_pairs(g.ids for g in report.groups)
    got = _scores(predicted, _true_pairs(truth))
    copies = [i for i, item in truth.items() if item.kind in COPIES]
    original = {item.source: i for i, item in truth.items() if item.kind == "original"}
    group_of = report.group_of()
    found = sum(
        1 for i in copies
        if i in group_of and group_of[i] == group_of.get(original[truth[i].source])
    )  # fmt: skip
    by_kind = {
        kind: sum(
            1 for i in copies
            if truth[i].kind == kind and i in group_of
            and group_of[i] == group_of.get(original[truth[i].source])
        )
        for kind in COPIES
    }  # fmt: skip
    return {
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in got.items()},
        "images": len(truth),
        "groups": len(report.groups),
        "copies_found": f"{found}/{len(copies)}",
        "found_by_kind": {k: f"{v}/{len(copies) // len(COPIES)}" for k, v in by_kind.items()},
        "method": report.method,
        "calibrated": report.calibrated,
    }


def write_thresholds(model_id: str, result: dict, preset: str) -> None:
    try:
        table = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {}
    table.setdefault(
        "about",
        "Near-duplicate thresholds per embedder model_id, written by "
        "python -m mmdemo.quality.duplicates_eval --write (docs/quality.md, near-duplicates).",
    )
    table.setdefault("models", {})[model_id] = {
        "threshold": result["threshold"],
        "max_hash_distance": result["max_hash_distance"],
        "preset": preset,
        "calibrated_on": "assets/gallery (16 photos, 6 copies and 4 part-crops each)",
        "calibration_pairs": result["calibration"],
    }
    THRESHOLDS.write_text(json.dumps(table, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="lite")
    parser.add_argument("--write", action="store_true", help="store the calibrated thresholds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(preset=args.preset, batch_size=16)
    server = ModelServer(settings)
    model_id = server.get("embed").model_id
    with tempfile.TemporaryDirectory(prefix="mmdemo-dups-") as tmp:
        result = calibrate(server, settings, Path(tmp))
        if args.write:
            write_thresholds(model_id, result, args.preset)
        held = heldout(server, settings, Path(tmp))
    out = {"preset": args.preset, "model_id": model_id, "calibration": result, "heldout": held}
    out["machine"] = f"{cpu_model()}, {os.cpu_count()} cores, no GPU used"
    sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return out


if __name__ == "__main__":
    main()
