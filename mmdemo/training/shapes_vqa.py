"""Train the easy-VQA shapes model (``mmdemo.models.shapes_vqa``), one fusion at a time.

Why it is fast on a CPU: the 5,000 images (64x64) are decoded once into one uint8 tensor,
and each batch is a set of *images* with all of their questions (~10 each), so the CNN
encodes every image once per epoch instead of once per question; the gradient is the same
as with one image copy per question. Seeds, a seeded shuffle, 2 threads and
``torch.use_deterministic_algorithms`` make a run repeatable on the same machine.

CLI: ``python -m mmdemo train shapes-vqa [--fusion NAME|all] [--epochs N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, MissingPackageError, UnknownNameError
from mmdemo.models.shared.shapes_model import ShapesVqaNet
from mmdemo.models.shared.shapes_world import (
    ANSWERS,
    COLOUR_WORDS,
    FUSIONS,
    SHAPE_WORDS,
    Vocabulary,
)
from mmdemo.training.shapes_vqa_plots import plot_curves

log = logging.getLogger(__name__)

DEFAULT_OUT = Settings().assets_dir / "models" / "shapes_vqa"  # where the app loads them
DEFAULT_EPOCHS = 12
DEFAULT_SEED = 0
BATCH_IMAGES = 16  # ~150 questions per step; 250 steps per epoch
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4


@dataclass(frozen=True)
class Split:
    """One easy-VQA split as tensors; questions are sorted by image so a batch slices them."""

    images: torch.Tensor  # uint8 (n_images, 3, 64, 64)
    tokens: torch.Tensor  # int64 (n_questions, max_len), right-padded
    lengths: torch.Tensor  # int64 (n_questions,)
    labels: torch.Tensor  # int64 (n_questions,) index into ANSWERS
    image_rows: torch.Tensor  # int64 (n_questions,) row in ``images``
    starts: torch.Tensor  # int64 (n_images,) first question of each image
    counts: torch.Tensor  # int64 (n_images,) number of questions of each image

    @property
    def num_questions(self) -> int:
        return int(self.labels.numel())

    def batch(self, rows: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Images ``rows`` and all their questions: (images, tokens, lengths, index, labels)."""
        counts = self.counts[rows]
        questions = torch.cat(
            [
                torch.arange(int(s), int(s + c))
                for s, c in zip(self.starts[rows], counts, strict=True)
            ]
        )
        index = torch.repeat_interleave(torch.arange(len(rows)), counts)
        lengths = self.lengths[questions]
        tokens = self.tokens[questions, : int(lengths.max())]
        images = self.images[rows].float().div_(255.0)
        return images, tokens, lengths, index, self.labels[questions]


@dataclass(frozen=True)
class ShapesData:
    vocab: Vocabulary
    answers: tuple[str, ...]
    train: Split
    test: Split


def _easy_vqa():
    try:
        import easy_vqa
    except ImportError as err:
        raise MissingPackageError("easy-VQA dataset", "easy_vqa", "easy-vqa==1.0") from err
    return easy_vqa


def _build_split(
    questions: Sequence[str],
    answers: Sequence[str],
    image_ids: Sequence[int],
    paths: Mapping[int, str],
    vocab: Vocabulary,
    answer_list: Sequence[str],
    limit_images: int | None,
) -> Split:
    wanted = sorted(paths)[:limit_images] if limit_images else sorted(paths)
    row_of = {image_id: row for row, image_id in enumerate(wanted)}
    keep = [i for i, image_id in enumerate(image_ids) if image_id in row_of]
    keep.sort(key=lambda i: (row_of[image_ids[i]], i))  # grouped by image, stable
    images = np.stack(
        [np.asarray(Image.open(paths[image_id]).convert("RGB"), np.uint8) for image_id in wanted]
    )
    answer_index = {a: i for i, a in enumerate(answer_list)}
    tokens, lengths = vocab.encode_batch([questions[i] for i in keep])
    rows = torch.tensor([row_of[image_ids[i]] for i in keep], dtype=torch.long)
    counts = torch.bincount(rows, minlength=len(wanted))
    return Split(
        images=torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
        tokens=tokens,
        lengths=lengths,
        labels=torch.tensor([answer_index[answers[i]] for i in keep], dtype=torch.long),
        image_rows=rows,
        starts=torch.cumsum(counts, 0) - counts,
        counts=counts,
    )


def load_data(limit_images: int | None = None) -> ShapesData:
    """Both splits decoded once (~5 s); ``limit_images`` keeps the first N of each (tests)."""
    ev = _easy_vqa()
    started = time.perf_counter()
    answer_list = tuple(ev.get_answers())
    if set(answer_list) != set(ANSWERS):
        raise ValueError(f"unexpected easy-VQA answers {answer_list}")
    train_q, train_a, train_ids = ev.get_train_questions()
    test_q, test_a, test_ids = ev.get_test_questions()
    vocab = Vocabulary.from_questions(train_q)  # from the training questions only
    train = _build_split(
        train_q, train_a, train_ids, ev.get_train_image_paths(), vocab, answer_list, limit_images
    )
    test = _build_split(
        test_q, test_a, test_ids, ev.get_test_image_paths(), vocab, answer_list, limit_images
    )
    log.info(
        "easy-VQA loaded in %.1fs: %d train images / %d questions, %d test images / %d "
        "questions, vocabulary %d words",
        time.perf_counter() - started,
        len(train.images),
        train.num_questions,
        len(test.images),
        test.num_questions,
        len(vocab) - 2,
    )
    return ShapesData(vocab, answer_list, train, test)


def evaluate(net: ShapesVqaNet, split: Split, batch_images: int = 100) -> dict[str, float]:
    """Accuracy on ``split``: overall and by answer kind (yes/no, shape, colour)."""
    net.eval()
    predictions = []
    with torch.inference_mode():
        for start in range(0, len(split.images), batch_images):
            rows = torch.arange(start, min(start + batch_images, len(split.images)))
            images, tokens, lengths, index, _ = split.batch(rows)
            predictions.append(net(images, tokens, lengths, index).argmax(1))
    correct = torch.cat(predictions) == split.labels
    return _accuracy_by_kind(correct, split.labels)


def _accuracy_by_kind(correct: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    kinds = {
        "yes/no": {"yes", "no"},
        "shape": set(SHAPE_WORDS),
        "color": set(COLOUR_WORDS),
    }
    result = {"all": float(correct.float().mean())}
    for kind, words in kinds.items():
        mask = torch.tensor([ANSWERS[int(i)] in words for i in labels])
        result[kind] = float(correct[mask].float().mean()) if mask.any() else float("nan")
    return result


def train(
    fusion: str,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    out_dir: Path | None = DEFAULT_OUT,
    *,
    data: ShapesData | None = None,
    limit_images: int | None = None,
    batch_images: int = BATCH_IMAGES,
    lr: float = LEARNING_RATE,
    threads: int = 2,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train one fusion; save ``shapes_vqa_{fusion}.pt`` + ``metrics_{fusion}.json`` in out_dir.

    ``data`` lets several fusions share one decoded dataset; ``out_dir=None`` saves nothing
    (tests). Returns the metrics (per-epoch train loss/accuracy, test accuracy, seconds).
    """
    if fusion not in FUSIONS:
        raise UnknownNameError("fusion", fusion, FUSIONS)
    if epochs < 1:
        raise ValueError("epochs must be at least 1")
    data = data or load_data(limit_images)
    # Model answers are indexed by ANSWERS; map the dataset's order onto it once.
    remap = torch.tensor([ANSWERS.index(a) for a in data.answers], dtype=torch.long)
    old_threads = torch.get_num_threads()
    old_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(seed)
        net = ShapesVqaNet(len(data.vocab), fusion)
        shuffler = torch.Generator().manual_seed(seed)
        steps_per_epoch = -(-len(data.train.images) // batch_images)
        optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15
        )
        train_split = _remapped(data.train, remap)
        test_split = _remapped(data.test, remap)
        metrics: dict[str, Any] = {
            "fusion": fusion,
            "seed": seed,
            "epochs": epochs,
            "batch_images": batch_images,
            "learning_rate": lr,
            "threads": threads,
            "train_questions": train_split.num_questions,
            "test_questions": test_split.num_questions,
            "parameters": sum(p.numel() for p in net.parameters()),
            "train_loss": [],
            "train_accuracy": [],
            "test_accuracy": [],
            "test_accuracy_by_kind": [],
            "epoch_seconds": [],
        }
        started = time.perf_counter()
        for epoch in range(1, epochs + 1):
            epoch_started = time.perf_counter()
            net.train()
            loss_sum, correct, seen = 0.0, 0, 0
            order = torch.randperm(len(train_split.images), generator=shuffler)
            for start in range(0, len(order), batch_images):
                images, tokens, lengths, index, labels = train_split.batch(
                    order[start : start + batch_images]
                )
                logits = net(images, tokens, lengths, index)
                loss = F.cross_entropy(logits, labels)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                loss_sum += float(loss.detach()) * len(labels)
                correct += int((logits.argmax(1) == labels).sum())
                seen += len(labels)
            test = evaluate(net, test_split)
            metrics["train_loss"].append(round(loss_sum / seen, 5))
            metrics["train_accuracy"].append(round(correct / seen, 5))
            metrics["test_accuracy"].append(round(test["all"], 5))
            metrics["test_accuracy_by_kind"].append({k: round(v, 5) for k, v in test.items()})
            metrics["epoch_seconds"].append(round(time.perf_counter() - epoch_started, 2))
            log.info(
                "shapes-vqa %s epoch %d/%d: loss %.4f, train acc %.4f, test acc %.4f "
                "(yes/no %.3f, shape %.3f, color %.3f) in %.1fs",
                fusion,
                epoch,
                epochs,
                metrics["train_loss"][-1],
                metrics["train_accuracy"][-1],
                metrics["test_accuracy"][-1],
                test["yes/no"],
                test["shape"],
                test["color"],
                metrics["epoch_seconds"][-1],
            )
            if on_epoch:
                on_epoch(metrics)
        metrics["seconds"] = round(time.perf_counter() - started, 1)
        metrics["final_test_accuracy"] = metrics["test_accuracy"][-1]
        metrics["machine"] = _machine(threads)
        if out_dir is not None:
            save(net, data.vocab, metrics, Path(out_dir))
        return metrics
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_deterministic)


def _remapped(split: Split, remap: torch.Tensor) -> Split:
    return Split(
        split.images,
        split.tokens,
        split.lengths,
        remap[split.labels],
        split.image_rows,
        split.starts,
        split.counts,
    )


def _machine(threads: int) -> str:
    from mmdemo.core.machine import cpu_model

    cpu = cpu_model()
    return f"{cpu}, {threads} torch threads, torch {torch.__version__}, no GPU used"


def save(net: ShapesVqaNet, vocab: Vocabulary, metrics: dict[str, Any], out_dir: Path) -> Path:
    """Write the weights (loadable with ``weights_only=True``) and the metrics JSON."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fusion = net.fusion
    checkpoint = {
        "format": "mmdemo.shapes_vqa/1",
        "fusion": fusion,
        "state_dict": {
            k: v.detach().clone().float() if v.is_floating_point() else v.clone()
            for k, v in net.state_dict().items()
        },
        "vocab": list(vocab.words),
        "answers": list(ANSWERS),
        "config": dict(net.config),
        "test_accuracy": float(metrics["final_test_accuracy"]),
        "seed": int(metrics["seed"]),
        "epochs": int(metrics["epochs"]),
    }
    path = out_dir / f"shapes_vqa_{fusion}.pt"
    torch.save(checkpoint, path)
    (out_dir / f"metrics_{fusion}.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log.info("Saved %s (%.0f KB)", path, path.stat().st_size / 1024)
    return path


# -- CLI ---------------------------------------------------------------------------------
def add_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``shapes-vqa`` target to the ``train`` command's sub-parsers.

    Wiring: ``train = commands.add_parser("train"); add_cli(train.add_subparsers(dest="target",
    required=True))``; the parsed args carry ``handler=run``.
    """
    parser = subparsers.add_parser(
        "shapes-vqa",
        help="train the easy-VQA shapes model (CNN + GRU + a fusion) on the CPU",
        description=(
            "Train the easy-VQA shapes model on the CPU (seeded and repeatable) and write "
            "shapes_vqa_FUSION.pt, metrics_FUSION.json and training_curves.png to --out."
        ),
    )
    parser.add_argument(
        "--fusion",
        default="all",
        choices=[*FUSIONS, "all"],
        help="which fusion to train (default: all four, one after another)",
    )
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="passes over the data")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-epoch progress")
    parser.set_defaults(report=run)
    return parser


def run(args: argparse.Namespace) -> list[str]:
    """Train the chosen fusion(s), redraw the curves; the accuracy table, for the CLI."""
    if not args.quiet:  # progress on the CLI's log handler even when it is at WARNING
        log.setLevel(logging.INFO)
        if not logging.getLogger().handlers:
            logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    if args.epochs < 1:
        raise BadInputError("--epochs must be at least 1.")
    if args.threads < 1:
        raise BadInputError("--threads must be at least 1.")
    fusions = list(FUSIONS) if args.fusion == "all" else [args.fusion]
    out = Path(args.out)
    data = load_data()
    results = {
        f: train(f, args.epochs, args.seed, out, data=data, threads=args.threads) for f in fusions
    }
    everything = {}
    for fusion in FUSIONS:  # redraw with every fusion trained so far, not just this run's
        metrics_file = out / f"metrics_{fusion}.json"
        if fusion in results:
            everything[fusion] = results[fusion]
        elif metrics_file.is_file():
            everything[fusion] = json.loads(metrics_file.read_text())
    curves = plot_curves(everything, out / "training_curves.png")
    lines = [
        f"{'fusion':<10} {'test acc':>8} {'yes/no':>7} {'shape':>7} {'color':>7} "
        f"{'epochs':>6} {'seconds':>8}"
    ]
    for fusion, m in results.items():
        kinds = m["test_accuracy_by_kind"][-1]
        lines.append(
            f"{fusion:<10} {m['final_test_accuracy']:>8.4f} {kinds['yes/no']:>7.4f} "
            f"{kinds['shape']:>7.4f} {kinds['color']:>7.4f} {m['epochs']:>6d} {m['seconds']:>8.1f}"
        )
    lines.append(f"weights, metrics and {curves.name} in {out}")
    return lines
