"""Train the early-fusion sentiment head from a CSV of (image, text, label) rows.

Why a command and not a shipped model: no multimodal sentiment data set is available
offline, so people bring their own. The CSV has a header with ``image``, ``text`` and
``label`` columns (``label``: negative, neutral or positive; ``image`` relative to the
CSV's folder, or absolute). A row may leave ``image`` or ``text`` empty, not both.

Both are embedded once with the active embedder (the preset's), and the head
(``mmdemo.models.fusion_head``: logistic regression, or a small MLP with ``--hidden``) is
trained full-batch on [image vector, text vector]. *Modality dropout* zeroes one of the two
vectors of a random 20% of the examples at each step, so the head also answers for text
only or image only - which the app asks of it - instead of seeing zeros for the first time
there. A stratified 20% is held out and its accuracy reported (also per single modality),
so a head that only memorised says so. Seeded and repeatable on one machine.

CLI: ``python -m mmdemo train sentiment-fusion --data CSV [--preset NAME] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from mmdemo.core.errors import BadImageError, BadInputError
from mmdemo.core.results import Unreadable
from mmdemo.core.sentiment_results import CLASSES
from mmdemo.models.backends.fusion_head import FusionHeadNet, default_head_path, save_head

log = logging.getLogger(__name__)

DEFAULT_EPOCHS = 300
DEFAULT_LR = 0.01
DEFAULT_WEIGHT_DECAY = 1e-3
DEFAULT_VAL_FRACTION = 0.2
DEFAULT_MODALITY_DROPOUT = 0.2
MIN_ROWS = 4
MIN_ROWS_FOR_VALIDATION = 10
IMAGE_COLUMNS = ("image", "image_path", "path")


@dataclass(frozen=True)
class Example:
    """One CSV row: an image path and/or a text, and its label."""

    row: int  # line number in the CSV (the header is line 1)
    image: Path | None
    text: str | None
    label: str


@dataclass
class EmbeddedSet:
    """The usable examples as vectors; a missing modality is a zero vector."""

    image: np.ndarray  # (n, dim) float32
    text: np.ndarray  # (n, dim) float32
    labels: np.ndarray  # (n,) int64, index into ``classes``
    classes: tuple[str, ...]
    has_image: np.ndarray  # (n,) bool
    has_text: np.ndarray  # (n,) bool
    skipped: list[Unreadable] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)


# -- reading ---------------------------------------------------------------------------------
def read_examples(path: str | Path) -> list[Example]:
    """The CSV's rows; every problem is a BadInputError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path}: no such CSV file.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
            image_column = next((columns[c] for c in IMAGE_COLUMNS if c in columns), None)
            if image_column is None or "text" not in columns or "label" not in columns:
                raise BadInputError(
                    f"{path}: the header must name image, text and label columns; it has "
                    f"{', '.join(repr(c) for c in columns) or 'none'}."
                )
            examples = [
                _example(path, reader.line_num, row, image_column, columns)
                for row in reader
                if any((v or "").strip() for v in row.values() if isinstance(v, str))
            ]
    except UnicodeDecodeError as err:
        raise BadInputError(f"{path}: not UTF-8 text ({err.reason}).") from None
    except csv.Error as err:
        raise BadInputError(f"{path}: not a valid CSV file ({err}).") from None
    if not examples:
        raise BadInputError(f"{path}: no data rows after the header.")
    return examples


def _example(path: Path, line: int, row: dict, image_column: str, columns: dict) -> Example:
    label = (row.get(columns["label"]) or "").strip().lower()
    if label not in CLASSES:
        raise BadInputError(f"{path}:{line}: label {label!r} is not one of {', '.join(CLASSES)}.")
    text = (row.get(columns["text"]) or "").strip() or None
    image_name = (row.get(image_column) or "").strip()
    image = None
    if image_name:
        image = Path(image_name).expanduser()
        if not image.is_absolute():
            image = path.parent / image
    if image is None and text is None:
        raise BadInputError(f"{path}:{line}: the row has neither an image nor a text.")
    return Example(line, image, text, label)


# -- embedding -------------------------------------------------------------------------------
def embed_examples(
    embedder,
    examples: Sequence[Example],
    max_pixels: int,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> EmbeddedSet:
    """Embed every example once; rows whose image cannot be read are skipped and listed."""
    from mmdemo.core.imaging import load_image

    dim = embedder.dim
    kept: list[Example] = []
    images: list[np.ndarray] = []
    texts: list[np.ndarray] = []
    skipped: list[Unreadable] = []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        decoded = []
        for example in chunk:
            try:
                picture = (
                    load_image(example.image, max_pixels=max_pixels) if example.image else None
                )
            except BadImageError as err:
                skipped.append(Unreadable(f"line {example.row}: {example.image}", str(err)))
                continue
            decoded.append((example, picture))
        with_image = [picture for _, picture in decoded if picture is not None]
        with_text = [example.text for example, _ in decoded if example.text is not None]
        image_vectors = iter(embedder.embed_images(with_image) if with_image else [])
        text_vectors = iter(embedder.embed_texts(with_text) if with_text else [])
        for example, picture in decoded:
            kept.append(example)
            images.append(next(image_vectors) if picture is not None else np.zeros(dim, np.float32))
            texts.append(
                next(text_vectors) if example.text is not None else np.zeros(dim, np.float32)
            )
        if progress:
            progress(min(start + batch_size, len(examples)), len(examples))
    classes = tuple(c for c in CLASSES if any(e.label == c for e in kept))
    return EmbeddedSet(
        image=np.asarray(images, np.float32).reshape(-1, dim),
        text=np.asarray(texts, np.float32).reshape(-1, dim),
        labels=np.asarray([classes.index(e.label) for e in kept], np.int64),
        classes=classes,
        has_image=np.asarray([e.image is not None for e in kept], bool),
        has_text=np.asarray([e.text is not None for e in kept], bool),
        skipped=skipped,
    )


# -- training --------------------------------------------------------------------------------
def split_indices(
    labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, validation) row indices; every class keeps a training row."""
    rng = np.random.default_rng(seed)
    if val_fraction <= 0 or len(labels) < MIN_ROWS_FOR_VALIDATION:
        return np.arange(len(labels)), np.zeros(0, np.int64)
    train, val = [], []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        take = min(round(len(rows) * val_fraction), len(rows) - 1)
        val.extend(rows[:take])
        train.extend(rows[take:])
    return np.sort(np.asarray(train, np.int64)), np.sort(np.asarray(val, np.int64))


def _accuracy(net, image, text, labels) -> float:
    with torch.inference_mode():
        return float((net(image, text).argmax(1) == labels).float().mean())


def fit_head(
    data: EmbeddedSet,
    *,
    hidden: int = 0,
    epochs: int = DEFAULT_EPOCHS,
    lr: float = DEFAULT_LR,
    weight_decay: float = DEFAULT_WEIGHT_DECAY,
    modality_dropout: float = DEFAULT_MODALITY_DROPOUT,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    seed: int = 0,
) -> tuple[FusionHeadNet, dict[str, Any]]:
    """Train on the training split (full batch, AdamW, class-balanced loss); report both."""
    if len(data) < MIN_ROWS:
        raise BadInputError(f"Only {len(data)} usable rows; at least {MIN_ROWS} are needed.")
    if len(data.classes) < 2:
        raise BadInputError(
            f"Every usable row is labelled {data.classes[0]!r}; at least two labels are needed."
        )
    if epochs < 1:
        raise BadInputError("--epochs must be at least 1.")
    if not 0.0 <= modality_dropout < 0.5:
        raise BadInputError("--modality-dropout must be in [0, 0.5).")
    train_rows, val_rows = split_indices(data.labels, val_fraction, seed)
    image = torch.from_numpy(data.image)
    text = torch.from_numpy(data.text)
    labels = torch.from_numpy(data.labels)
    both = torch.from_numpy(data.has_image & data.has_text)
    counts = torch.bincount(labels[train_rows], minlength=len(data.classes)).float()
    class_weights = counts.sum() / (len(data.classes) * counts.clamp(min=1))
    started = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = FusionHeadNet(image.shape[1], len(data.classes), hidden)
        optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
        generator = torch.Generator().manual_seed(seed)
        rows = torch.from_numpy(train_rows)
        losses = []
        net.train()
        for _ in range(epochs):
            keep_image, keep_text = _modality_masks(both[rows], modality_dropout, generator)
            logits = net(image[rows] * keep_image[:, None], text[rows] * keep_text[:, None])
            loss = F.cross_entropy(logits, labels[rows], weight=class_weights)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        net.eval()
    metrics: dict[str, Any] = {
        "classes": list(data.classes),
        "rows": len(data),
        "train_rows": len(train_rows),
        "val_rows": len(val_rows),
        "epochs": epochs,
        "hidden": hidden,
        "learning_rate": lr,
        "weight_decay": weight_decay,
        "modality_dropout": modality_dropout,
        "seed": seed,
        "final_loss": losses[-1],
        "train_accuracy": _accuracy(net, image[rows], text[rows], labels[rows]),
        "val_accuracy": None,
        "val_accuracy_text_only": None,
        "val_accuracy_image_only": None,
        "seconds": round(time.perf_counter() - started, 2),
    }
    if len(val_rows):
        v = torch.from_numpy(val_rows)
        zeros = torch.zeros_like(image[v])
        metrics["val_accuracy"] = _accuracy(net, image[v], text[v], labels[v])
        metrics["val_accuracy_text_only"] = _accuracy(net, zeros, text[v], labels[v])
        metrics["val_accuracy_image_only"] = _accuracy(net, image[v], zeros, labels[v])
    return net, metrics


def _modality_masks(both: torch.Tensor, rate: float, generator: torch.Generator):
    """Per row, 1.0 keeps a modality; rows with both lose one of them with ``rate`` each."""
    draw = torch.rand(len(both), generator=generator)
    drop_image = both & (draw < rate)
    drop_text = both & (draw >= rate) & (draw < 2 * rate)
    return (~drop_image).float(), (~drop_text).float()


def train_from_csv(
    server,
    data: str | Path,
    out: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    **options,
) -> dict[str, Any]:
    """Read, embed (with the server's embedder), train and save; returns the sidecar's data."""
    examples = read_examples(data)
    embedder = server.get("embed")
    embedded = embed_examples(
        embedder, examples, server.settings.max_image_pixels, progress=progress
    )
    net, metrics = fit_head(embedded, **options)
    out = Path(out) if out else default_head_path(server.settings)
    meta = {
        "embedder": embedder.model_id,
        "dim": embedder.dim,
        "preset": server.preset,
        "data": str(Path(data).resolve()),
        "skipped": [f"{u.path}: {u.reason}" for u in embedded.skipped],
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "random_weights": server.is_random("embed"),
        **metrics,
    }
    save_head(net, meta, out)
    return {**meta, "path": str(out)}


# -- CLI -------------------------------------------------------------------------------------
def add_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``sentiment-fusion`` target to the ``train`` command's sub-parsers."""
    parser = subparsers.add_parser(
        "sentiment-fusion",
        help="train the early-fusion sentiment head on a CSV of image,text,label rows",
        description=(
            "Embed each row's image and text with the preset's embedder and train a small "
            "head on them; writes head.pt and head.json (default: INDEX_DIR/sentiment_fusion/, "
            "where the app looks)."
        ),
    )
    parser.add_argument("--data", type=Path, required=True, metavar="CSV", help="the CSV file")
    parser.add_argument("--out", type=Path, metavar="PATH", help="where to write head.pt")
    parser.add_argument(
        "--preset", help="model preset whose embedder to train for (default $MMDEMO_PRESET)"
    )
    parser.add_argument("--index-dir", type=Path, help="index folder (default $MMDEMO_INDEX_DIR)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="full-batch steps")
    parser.add_argument(
        "--hidden", type=int, default=0, help="hidden units (default 0: logistic regression)"
    )
    parser.add_argument("--lr", type=float, default=DEFAULT_LR, help="learning rate")
    parser.add_argument(
        "--val-fraction", type=float, default=DEFAULT_VAL_FRACTION, help="held-out share"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")
    parser.set_defaults(report=run)
    return parser


def run(args: argparse.Namespace) -> list[str]:
    """Train; a short report (accuracy overall and per modality), for the CLI to print."""
    from tqdm import tqdm

    from mmdemo.core.config import settings_from_env
    from mmdemo.serving import ModelServer

    changes = {}
    if args.preset:
        changes["preset"] = args.preset
    if args.index_dir:
        changes["index_dir"] = args.index_dir
    if args.hidden < 0:
        raise BadInputError("--hidden must be 0 or more.")
    if not 0.0 <= args.val_fraction < 1.0:
        raise BadInputError("--val-fraction must be in [0, 1).")
    server = ModelServer(settings_from_env().replace(**changes))
    with tqdm(total=0, unit="row", desc="Embedding", disable=None, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = train_from_csv(
            server,
            args.data,
            args.out,
            progress=progress,
            hidden=args.hidden,
            epochs=args.epochs,
            lr=args.lr,
            val_fraction=args.val_fraction,
            seed=args.seed,
        )
    lines = [
        f"trained on {report['train_rows']} rows ({', '.join(report['classes'])}) with "
        f"{report['embedder']} ({report['dim']}-d), preset {report['preset']}",
        f"train accuracy {report['train_accuracy']:.3f}",
    ]
    if report["val_accuracy"] is not None:
        lines.append(
            f"held-out accuracy {report['val_accuracy']:.3f} on {report['val_rows']} rows "
            f"(text only {report['val_accuracy_text_only']:.3f}, image only "
            f"{report['val_accuracy_image_only']:.3f})"
        )
    else:
        lines.append(f"no held-out rows (fewer than {MIN_ROWS_FOR_VALIDATION} rows)")
    for skipped in report["skipped"]:
        lines.append(f"skipped {skipped}")
    if report["random_weights"]:
        lines.append("note: random test weights (preset tiny): this head is for tests only.")
    sidecar = Path(report["path"]).with_suffix(".json").name
    lines.append(f"saved {report['path']} (+ {sidecar}); the app uses it for the early fusion")
    return lines
