"""How image sentiment behaves on the gallery, and what each fusion does when text and image
disagree, as markdown for docs/quality.md.

Why a script: there is no labelled image-sentiment set offline, so the honest evidence is a
table anyone can regenerate - each gallery photo's p(negative / neutral / positive) after
centring on the gallery itself, two edited photos (a grey, dim "rainy day" version of a
colourful one, and a warmer, brighter version of it) - and worked examples of the fusions.

    python -m mmdemo.quality.image_sentiment_eval [--preset lite] [--out FILE]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter

from mmdemo.config import PROJECT_ROOT, Settings

GALLERY = PROJECT_ROOT / "assets" / "gallery"
EDITED_FROM = "china_temple.jpg"  # colourful, outdoors: the photo a "rainy day" edit suits
EXAMPLES = [  # (text, image name): text and image disagree, except the last
    ("great, another rainy day", "grey"),
    ("What a terrible, awful day.", "flower.jpg"),
    ("I love this!", "grey"),
    ("What a lovely sunny day!", "bright"),
]


def grey_day(image: Image.Image) -> Image.Image:
    """A "rainy day" edit: no colour, lower contrast, darker, slightly blurred."""
    grey = image.convert("L").convert("RGB")
    grey = ImageEnhance.Contrast(grey).enhance(0.5)
    grey = ImageEnhance.Brightness(grey).enhance(0.75)
    return grey.filter(ImageFilter.GaussianBlur(2))


def bright_day(image: Image.Image) -> Image.Image:
    """The opposite edit: more saturated, brighter, warmer."""
    vivid = ImageEnhance.Color(image).enhance(1.6)
    vivid = ImageEnhance.Brightness(vivid).enhance(1.15)
    r, g, b = vivid.split()
    return Image.merge("RGB", (r.point(lambda v: min(255, v + 20)), g, b))


def images() -> dict[str, Image.Image]:
    """Every gallery photo by file name, plus the two edits ("grey", "bright")."""
    from mmdemo.imaging import IMAGE_EXTENSIONS, load_image

    found = {
        p.name: load_image(p)
        for p in sorted(GALLERY.iterdir())
        if p.suffix.lower() in IMAGE_EXTENSIONS
    }
    found["grey"] = grey_day(found[EDITED_FROM])
    found["bright"] = bright_day(found[EDITED_FROM])
    return found


def _row(name: str, result) -> str:
    p = [s.probability for s in result.probabilities]
    d = result.details
    return (
        f"| {name} | {p[0]:.2f} | {p[1]:.2f} | {p[2]:.2f} | {result.label} | "
        f"{d['raw_score']:+.4f} | {d['z_score']:+.2f} |"
    )


def gallery_table(server, pictures: dict[str, Image.Image]) -> list[str]:
    backend = server.get("image_sentiment")
    names = list(pictures)
    results = backend.analyze_many([pictures[n] for n in names])
    labels = [r.label for r in results[:-2]]
    lines = [
        f"Image sentiment model: {backend.model_label}; reference mean raw score "
        f"{backend.offset:+.4f} (sd {backend.spread:.4f}, {backend.references} photos), "
        f"scale {backend.scale:g}.",
        "",
        "| photo | p(neg) | p(neu) | p(pos) | label | raw happy−sad | z |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in zip(names, results, strict=True):
        shown = {
            "grey": f"*{EDITED_FROM}, grey rainy-day edit*",
            "bright": f"*{EDITED_FROM}, brighter warmer edit*",
        }.get(name, name)
        lines.append(_row(shown, result))
    counts = {c: labels.count(c) for c in ("negative", "neutral", "positive")}
    lines += [
        "",
        f"Gallery photos by label: {counts['negative']} negative, {counts['neutral']} neutral, "
        f"{counts['positive']} positive.",
    ]
    return lines


def fusion_examples(server, pictures: dict[str, Image.Image]) -> list[str]:
    from mmdemo.errors import MMDemoError
    from mmdemo.sentiment.fusion import SentimentFusion

    analyzer = SentimentFusion(server)
    lines = [
        "| text | image | fusion | text says | image says | fused (neg / neu / pos) |",
        "|---|---|---|---|---|---|",
    ]
    captions: dict[str, str] = {}
    for text, image_name in EXAMPLES:
        shown = {"grey": "grey edit", "bright": "bright edit"}.get(image_name, image_name)
        for fusion, weight in (("late", 0.5), ("late", 0.25), ("caption", 0.5), ("early", 0.5)):
            try:
                r = analyzer.analyze(text, pictures[image_name], fusion, weight)
            except MMDemoError as err:
                lines.append(f"| {text} | {shown} | {fusion} | — | — | not run: {err.reason} |")
                continue
            t, i = r.modality("text"), r.modality("image")
            if fusion == "caption":
                captions[image_name] = i.source.split("“", 1)[1].rstrip("”")
            name = f"late, text weight {weight}" if fusion == "late" else fusion
            p = r.values
            lines.append(
                f"| {text} | {shown} | {name} | {t.label} ({t.polarity:+.2f}) | "
                f"{i.label} ({i.polarity:+.2f}) | **{r.label}** "
                f"({p[0]:.2f} / {p[1]:.2f} / {p[2]:.2f}) |"
            )
    lines += ["", "Captions the caption bridge read:", ""]
    lines += [f"- {name}: “{caption}”" for name, caption in captions.items()]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="lite", help="model preset (default lite)")
    parser.add_argument("--index-dir", type=Path, help="where a trained fusion head would be")
    parser.add_argument("--out", type=Path, help="also write the markdown to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from mmdemo.serving import ModelServer

    changes = {"preset": args.preset, "index_default_gallery": False}
    if args.index_dir:
        changes["index_dir"] = args.index_dir
    server = ModelServer(Settings(**changes))
    pictures = images()
    lines = [f"Preset `{server.preset}`.", "", *gallery_table(server, pictures), ""]
    lines += fusion_examples(server, pictures)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
