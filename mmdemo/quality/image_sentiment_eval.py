"""How image sentiment behaves on the gallery, and what each fusion does when text and image
disagree, as markdown for docs/quality.md.

Why a script: there is no labelled image-sentiment set offline, so the honest evidence is a
table anyone can regenerate - each gallery photo's two cues (zero-shot prompts, colour mood)
and the blended p(negative / neutral / positive) after centring on the gallery itself;
edited photos that change one thing at a time (no colour, darker, a grey "rainy day" edit,
a brighter and warmer edit) and a flat mid-grey square; the sarcasm example swept over the
text weight with and without the colour cue; and worked examples of the fusions.

    python -m mmdemo.quality.image_sentiment_eval [--preset lite] [--index-dir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter

from mmdemo.core.config import Settings

log = logging.getLogger(__name__)

GALLERY = Settings().assets_dir / "gallery"
EDITED_FROM = "china_temple.jpg"  # colourful, outdoors: the photo a "rainy day" edit suits
SARCASM = "great, another rainy day"
EXAMPLES = [  # (text, image name): text and image disagree, except the last two
    (SARCASM, "grey"),
    ("What a terrible, awful day.", "flower.jpg"),
    ("I love this!", "grey"),
    (SARCASM, EDITED_FROM),
    ("What a lovely sunny day!", "bright"),
]
SWEEP_WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)  # the text's share in late fusion
# how the edited images are named in the tables
SHOWN = {
    "greyscale": f"*{EDITED_FROM}, colour removed*",
    "darker": f"*{EDITED_FROM}, darker (brightness x0.75)*",
    "grey": f"*{EDITED_FROM}, grey rainy-day edit*",
    "bright": f"*{EDITED_FROM}, brighter warmer edit*",
    "flower-bright": "*flower.jpg, brighter warmer edit*",
    "mid-grey": "*flat mid-grey square (128, 128, 128)*",
}
SHORT = {"grey": "grey edit", "bright": "bright edit", EDITED_FROM: f"{EDITED_FROM} (original)"}


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
    """Every gallery photo by file name, then the edits and the grey square (names in SHOWN)."""
    from mmdemo.core.imaging import IMAGE_EXTENSIONS, load_image

    found = {
        p.name: load_image(p)
        for p in sorted(GALLERY.iterdir())
        if p.suffix.lower() in IMAGE_EXTENSIONS
    }
    source = found[EDITED_FROM]
    found["greyscale"] = source.convert("L").convert("RGB")
    found["darker"] = ImageEnhance.Brightness(source).enhance(0.75)
    found["grey"] = grey_day(source)
    found["bright"] = bright_day(source)
    found["flower-bright"] = bright_day(found["flower.jpg"])
    found["mid-grey"] = Image.new("RGB", (256, 256), (128, 128, 128))
    return found


def prompt_only(backend, result) -> tuple[float, float, float]:
    """The probabilities the zero-shot prompts alone give (what image sentiment was before)."""
    from mmdemo.models.shared.sentiment_maths import three_class_from_margin

    d = result.details
    return three_class_from_margin(d.get("prompt_margin", d["logit_margin"]), backend.neutral_below)


def _f(details: dict, key: str, fmt: str) -> str:
    return format(details[key], fmt) if key in details else "—"


def _row(name: str, result) -> str:
    p = [s.probability for s in result.probabilities]
    d = result.details
    prompt_pol = d.get("prompt_polarity", p[2] - p[0])
    return (
        f"| {name} | {d['z_score']:+.2f} | {prompt_pol:+.2f} | "
        f"{_f(d, 'colour_brightness', '.2f')} | {_f(d, 'colour_saturation', '.2f')} | "
        f"{_f(d, 'colour_pleasure', '+.2f')} | {_f(d, 'colour_polarity', '+.2f')} | "
        f"{p[0]:.2f} | {p[1]:.2f} | {p[2]:.2f} | {p[2] - p[0]:+.2f} | {result.label} |"
    )


def gallery_table(server, pictures: dict[str, Image.Image]) -> list[str]:
    from mmdemo.core.sentiment_results import label_of

    backend = server.get("image_sentiment")
    names = list(pictures)
    results = dict(zip(names, backend.analyze_many([pictures[n] for n in names]), strict=True))
    gallery = [n for n in names if n not in SHOWN]
    ref = backend.colour_reference
    lines = [
        f"Image sentiment model: {backend.model_label}.",
        "",
        f"Prompt cue: reference mean raw score {backend.offset:+.4f} (sd {backend.spread:.4f}, "
        f"{backend.references} photos), scale {backend.scale:g}.",
    ]
    if backend.colour_weight > 0:
        lines.append(
            f"Colour cue: reference brightness {ref.brightness_mean:.3f} (sd "
            f"{ref.brightness_sd:.3f}), saturation {ref.saturation_mean:.3f} (sd "
            f"{ref.saturation_sd:.3f}) over {ref.images} photos; margin = "
            f"{backend.colour_scale:g} x pleasure; colour weight {backend.colour_weight:g} "
            f"(prompts {1 - backend.colour_weight:g})."
        )
    lines += [
        "",
        "| photo | prompt z | prompt pol. | brightness V | saturation S | colour pleasure "
        "(SD) | colour pol. | p(neg) | p(neu) | p(pos) | blended pol. | label |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(SHOWN.get(n, n), results[n]) for n in names]
    now = [results[n].label for n in gallery]
    before = [label_of(prompt_only(backend, results[n])) for n in gallery]

    def counts(labels: list[str]) -> str:
        return ", ".join(f"{labels.count(c)} {c}" for c in ("negative", "neutral", "positive"))

    lines += [
        "",
        "*pol.* = p(pos) − p(neg) of that cue alone; *blended* = the backend's answer.",
        "",
        f"Gallery photos by label: {counts(now)} (prompts alone: {counts(before)}).",
    ]
    if backend.colour_weight > 0:
        lines += ["", f"What the UI says for the grey edit: “{results['grey'].details['note']}”"]
    return lines


def sarcasm_sweep(server, pictures: dict[str, Image.Image]) -> list[str]:
    """The sarcasm example over the text weight, with the prompts alone and with colour."""
    from mmdemo.core.sentiment_results import label_of, polarity
    from mmdemo.models.shared.sentiment_maths import late_fusion
    from mmdemo.services.sentiment import SentimentFusion

    backend = server.get("image_sentiment")
    text = server.get("sentiment").analyze(SARCASM)
    text_probs = [s.probability for s in text.probabilities]
    analyzer = SentimentFusion(server)
    head = " | ".join(f"text weight {w:g}" for w in SWEEP_WEIGHTS)
    lines = [
        f"“{SARCASM}”: the text model says {text.label} ({polarity(text_probs):+.2f}). Late "
        "fusion, fused label (polarity) as the image's share grows:",
        "",
        f"| image | image cue | image pol. | {head} |",
        "|---|---|---|" + "---|" * len(SWEEP_WEIGHTS),
    ]
    for name in ("grey", EDITED_FROM):
        result = backend.analyze(pictures[name])
        rows = [("prompts alone (before)", prompt_only(backend, result))]
        if backend.colour_weight > 0:
            rows.append(("prompts + colour (now)", None))
        for cue, image_probs in rows:
            cells = []
            for w in SWEEP_WEIGHTS:
                if image_probs is None:
                    fused = analyzer.analyze(SARCASM, pictures[name], "late", w).values
                else:
                    fused = late_fusion(text_probs, image_probs, w)
                cells.append(f"{label_of(fused)} ({polarity(fused):+.2f})")
            probs = image_probs or [s.probability for s in result.probabilities]
            lines.append(
                f"| {SHORT.get(name, name)} | {cue} | {polarity(probs):+.2f} | "
                + " | ".join(cells)
                + " |"
            )
    return lines


def fusion_examples(server, pictures: dict[str, Image.Image]) -> list[str]:
    from mmdemo.core.errors import MMDemoError
    from mmdemo.services.sentiment import SentimentFusion

    analyzer = SentimentFusion(server)
    lines = [
        "| text | image | fusion | text says | image says | fused (neg / neu / pos) |",
        "|---|---|---|---|---|---|",
    ]
    captions: dict[str, str] = {}
    for text, image_name in EXAMPLES:
        shown = SHORT.get(image_name, image_name)
        for fusion, weight in (("late", 0.5), ("late", 0.25), ("caption", 0.5), ("early", 0.5)):
            try:
                r = analyzer.analyze(text, pictures[image_name], fusion, weight)
            except MMDemoError as err:
                log.warning("%s fusion not run: %s", fusion, err)
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
    lines += [f"- {SHORT.get(n, n)}: “{caption}”" for n, caption in captions.items()]
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
    lines += [*sarcasm_sweep(server, pictures), ""]
    lines += fusion_examples(server, pictures)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
