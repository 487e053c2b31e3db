"""Command line: ``python -m mmdemo index | search | caption | vqa | sentiment | info | ...``.

Every command takes ``--preset`` and ``--index-dir`` (else ``MMDEMO_*`` variables apply),
prints results on stdout (``--json`` for machines), and on a user mistake prints one
line to stderr and exits with status 2 - never a traceback (``-v`` shows details).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from mmdemo.config import Settings, settings_from_env
from mmdemo.errors import MMDemoError

log = logging.getLogger("mmdemo.cli")

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        help="model preset: auto, full, lite or tiny (default $MMDEMO_PRESET, else auto)",
    )
    parser.add_argument("--index-dir", type=Path, help="index folder; default $MMDEMO_INDEX_DIR")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")


def build_parser(with_training: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mmdemo", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser("index", help="add every image under DIR to the index")
    index.add_argument("directory", type=Path, metavar="DIR")
    index.add_argument(
        "--rebuild", action="store_true", help="start a fresh index (e.g. after changing the model)"
    )
    _common(index)

    search = commands.add_parser("search", help="search the index by text, image, or both")
    search.add_argument("text", metavar="TEXT", help='query text ("" with --image for image only)')
    search.add_argument("--image", type=Path, help="query image (mixed with TEXT if both given)")
    search.add_argument(
        "--weight",
        type=float,
        default=None,
        help="text weight when mixing TEXT with --image (0..1, default 0.3)",
    )
    search.add_argument("--k", type=int, default=10, help="number of results (clamped)")
    search.add_argument("--json", action="store_true", help="print a JSON list of results")
    _common(search)

    caption = commands.add_parser("caption", help="caption one image")
    caption.add_argument("image", type=Path, metavar="IMAGE")
    caption.add_argument("--json", action="store_true", help="print JSON")
    caption.add_argument("--model", help=MODEL_HELP.format(task="caption"))
    _common(caption)

    vqa = commands.add_parser("vqa", help="answer a question about one image")
    vqa.add_argument("image", type=Path, metavar="IMAGE")
    vqa.add_argument("question", metavar="QUESTION")
    vqa.add_argument("--top-k", type=int, default=5, help="number of answers (default 5)")
    vqa.add_argument("--json", action="store_true", help="print JSON")
    vqa.add_argument("--model", help=MODEL_HELP.format(task="VQA"))
    _common(vqa)

    from mmdemo.sentiment.fusion import DEFAULT_FUSION, DEFAULT_TEXT_WEIGHT, FUSIONS

    sentiment = commands.add_parser(
        "sentiment", help="sentiment of a text, an image, or both fused (late, caption, early)"
    )
    sentiment.add_argument("--text", help="the text")
    sentiment.add_argument("--image", type=Path, help="the image")
    sentiment.add_argument(
        "--fusion",
        default=DEFAULT_FUSION,
        choices=list(FUSIONS),
        help=f"how text and image are combined (default {DEFAULT_FUSION})",
    )
    sentiment.add_argument(
        "--weight",
        type=float,
        default=DEFAULT_TEXT_WEIGHT,
        help="text weight in late fusion: 1 = text only, 0 = image only "
        f"(default {DEFAULT_TEXT_WEIGHT})",
    )
    sentiment.add_argument("--json", action="store_true", help="print JSON")
    _common(sentiment)

    caption_all = commands.add_parser(
        "caption-gallery",
        help="caption every indexed image that has no caption yet (resumable)",
    )
    caption_all.add_argument(
        "--overwrite", action="store_true", help="caption again images that already have one"
    )
    caption_all.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="images per batch; the index is saved after each (default 8)",
    )
    _common(caption_all)

    info = commands.add_parser("info", help="show preset, models, device and index")
    info.add_argument("--json", action="store_true", help="print JSON")
    _common(info)

    from mmdemo.models.download import add_cli as add_download

    download = add_download(commands)
    download.set_defaults(handler=cmd_download)

    train = commands.add_parser(
        "train", help="train one of our own small models (shapes-vqa, sentiment-fusion)"
    )
    targets = train.add_subparsers(dest="target", required=True, metavar="MODEL")
    if with_training:  # the training modules import torch: only for `train` itself
        from mmdemo.training.sentiment_fusion import add_cli as add_sentiment_fusion
        from mmdemo.training.shapes_vqa import add_cli as add_shapes_vqa

        add_shapes_vqa(targets)
        add_sentiment_fusion(targets)
    return parser


def _settings(args: argparse.Namespace, **changes) -> Settings:
    settings = settings_from_env()
    if args.preset:
        changes["preset"] = args.preset
    if args.index_dir:
        changes["index_dir"] = args.index_dir
    return settings.replace(**changes)


def _services(settings: Settings):
    from mmdemo.gallery import Gallery
    from mmdemo.serving import ModelServer

    server = ModelServer(settings)
    return server, Gallery(server, settings)


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    settings = _settings(args, index_default_gallery=False)
    _, gallery = _services(settings)
    if args.rebuild:
        gallery.reset()
    with tqdm(total=0, unit="img", desc="Embedding", disable=None, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = gallery.add_directory(args.directory, progress=progress)
    print(report.summary())
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from mmdemo.gallery import DEFAULT_TEXT_WEIGHT
    from mmdemo.imaging import load_image

    settings = _settings(args)
    _, gallery = _services(settings)
    if args.image is not None:
        image = load_image(args.image, max_pixels=settings.max_image_pixels)
        weight = DEFAULT_TEXT_WEIGHT if args.weight is None else args.weight
        result = gallery.search_image(image, args.k, text=args.text, text_weight=weight)
    else:
        result = gallery.search_text(args.text, args.k)
    if args.json:
        print(
            json.dumps(
                [
                    {"path": h.path, "score": round(h.score, 6), "id": h.id, "caption": h.caption}
                    for h in result.hits
                ],
                indent=2,
            )
        )
    else:
        for hit in result.hits:
            print(f"{hit.score:7.3f}  {hit.id:>6}  {hit.path}")
    if not result.good_match:
        print(result.message, file=sys.stderr)
    return 0


MODEL_HELP = (
    "another {task} model the preset offers (e.g. vilt-vqa or routed-vqa with full); "
    "default: the preset's own"
)


def _scored(items) -> list[dict]:
    return [{"label": s.label, "probability": round(s.probability, 6)} for s in items]


def cmd_caption(args: argparse.Namespace) -> int:
    from mmdemo.imaging import load_image

    settings = _settings(args)
    image = load_image(args.image, max_pixels=settings.max_image_pixels)
    server, _ = _services(settings)
    result = server.get("caption", args.model).caption(image)
    random_weights = server.is_random("caption", args.model)
    if args.json:
        data = {
            "caption": result.caption,
            "method": result.method,
            "labels": _scored(result.labels),
            "nearest": _scored(result.nearest),
            "random_weights": random_weights,
        }
        print(json.dumps(data, indent=2))
        return 0
    print(result.caption)
    print(f"method: {result.method}")
    for s in result.labels:
        print(f"  {s.probability:6.3f}  {s.label}")
    if result.nearest:
        print("closest gallery captions:")
        for s in result.nearest:
            print(f"  {s.probability:6.3f}  {s.label}")
    if random_weights:
        print("note: random test weights (preset tiny): this caption is meaningless.")
    return 0


def cmd_vqa(args: argparse.Namespace) -> int:
    from mmdemo.imaging import load_image

    settings = _settings(args)
    image = load_image(args.image, max_pixels=settings.max_image_pixels)
    server, _ = _services(settings)
    result = server.get("vqa", args.model).answer(image, args.question, top_k=max(1, args.top_k))
    if args.json:
        data = {
            "answered": result.answered,
            "answers": [
                {"answer": s.label, "probability": round(s.probability, 6)} for s in result.answers
            ],
            "model": result.model,
            "message": result.message,
            "random_weights": server.is_random("vqa", args.model),
        }
        print(json.dumps(data, indent=2))
        return 0
    if not result.answered:
        print(result.message or "The model cannot answer this question.")
    else:
        for s in result.answers:
            print(f"{s.probability:6.3f}  {s.label}")
        if result.message:
            print(result.message)
    print(f"answered by: {result.model}")
    return 0


def cmd_sentiment(args: argparse.Namespace) -> int:
    from mmdemo.sentiment.fusion import SentimentFusion

    settings = _settings(args)
    server, _ = _services(settings)
    result = SentimentFusion(server).analyze(args.text, args.image, args.fusion, args.weight)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    weight = "" if result.text_weight is None else f", text weight {result.text_weight:.2f}"
    print(f"{result.label} ({result.fusion} fusion{weight})")
    print(f"{'':8} {'negative':>8} {'neutral':>8} {'positive':>8}")
    for name, values, extra in [
        *[(m.modality, m.values, f"  pulls {m.pull}; {m.source}") for m in result.modalities],
        ("fused", result.values, ""),
    ]:
        print(f"{name:8} " + " ".join(f"{v:8.3f}" for v in values) + extra)
    for note in result.notes:
        print(f"note: {note}")
    return 0


def cmd_caption_gallery(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mmdemo.caption_gallery import CAPTION_BATCH_SIZE, caption_gallery

    settings = _settings(args)
    server, gallery = _services(settings)
    batch_size = CAPTION_BATCH_SIZE if args.batch_size is None else args.batch_size
    with tqdm(total=0, unit="img", desc="Captioning", disable=None, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = caption_gallery(
            gallery, server, batch_size=batch_size, overwrite=args.overwrite, progress=progress
        )
    print(report.summary())
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    settings = _settings(args)
    server, gallery = _services(settings)
    info: dict = {
        "preset": server.preset,
        "preset_requested": server.choice.requested,
        "preset_reason": server.choice.reason,
        "device": str(server.device),
        "index_dir": str(settings.index_dir),
    }
    status = 0
    try:
        stats = gallery.stats()
        info["index"] = {
            "count": stats.count,
            "kind": stats.kind,
            "dim": stats.dim,
            "model_id": stats.model_id,
            "on_gpu": stats.on_gpu,
        }
    except MMDemoError as err:
        info["error"] = str(err)
        status = EXIT_USER_ERROR
    info["models"] = [vars(m) for m in server.loaded()]
    info["memory_mib"] = round(server.memory_report()["rss_mib"])
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(
            f"preset: {info['preset']} ({info['preset_reason']})\n"
            f"device: {info['device']}\nindex dir: {info['index_dir']}"
        )
        for model in server.loaded():
            note = " (random weights)" if model.is_random else ""
            print(
                f"model[{model.task}]: {model.model} on {model.device} {model.dtype}, "
                f"{model.parameters / 1e6:.1f}M params{note}"
            )
        if "index" in info:
            idx = info["index"]
            print(
                f"index: {idx['count']} images, {idx['kind']} search, {idx['dim']}-d, "
                f"{'GPU' if idx['on_gpu'] else 'CPU'}"
            )
        if "error" in info:
            print(f"error: {info['error']}", file=sys.stderr)
    return status


def cmd_download(args: argparse.Namespace) -> int:
    from mmdemo.models.download import run

    for line in run(args, settings_from_env()):
        print(line)
    return 0


COMMANDS = {
    "index": cmd_index,
    "search": cmd_search,
    "caption": cmd_caption,
    "vqa": cmd_vqa,
    "sentiment": cmd_sentiment,
    "caption-gallery": cmd_caption_gallery,
    "info": cmd_info,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # `--help` and every other command skip importing torch for the train parsers (~2-4 s).
    args = build_parser(with_training="train" in argv).parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command in COMMANDS:
            return COMMANDS[args.command](args)
        return args.handler(args)
    except MMDemoError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: one line unless -v asked for the traceback
        if getattr(args, "verbose", False):
            log.exception("Unexpected error")
        print(
            f"internal error: {type(err).__name__}: {err} (run with -v for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR
