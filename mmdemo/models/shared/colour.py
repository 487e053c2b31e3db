"""What an image's colours say, for backends whose embedder cannot see them.

Greyness: the label bridge mixes "a black and white photo." into the vectors of grey
images (an ImageNet classifier cannot see colour), and the label caption says "A
black-and-white photo of ..." from the same measure.

Colour mood: perceived pleasantness rises with brightness and saturation (Valdez &
Mehrabian 1994); the lite image sentiment blends it with its happy/sad prompts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from mmdemo.models.shared.sentiment_maths import NEUTRAL_BELOW, three_class_from_margin

# Colourfulness (mean |pixel - grey|, 0-255 scale) at or below which an image counts fully
# as black-and-white, and above which not at all; linear in between.
GREY_FULL, GREY_NONE = 4.0, 8.0
GREY_PROMPT = "a black and white photo."
DARK = 48.0  # pixels darker than this (0-255) do not count towards colourfulness


def greyness(batch: torch.Tensor) -> torch.Tensor:
    """Per image in [0, 1]: how black-and-white it is (1 = no colour at all).

    ``batch`` is preprocessed (N, 3, H, W) in [-1, 1]. Colour is measured on the pixels that
    are not near-black, so a dark but colourful picture (a galaxy field) is not called grey.
    """
    pixels = (batch.float() + 1.0) * 127.5
    brightness = pixels.mean(1, keepdim=True)
    chroma = (pixels - brightness).abs().mean(1, keepdim=True)
    lit = (brightness > DARK).float()
    lit_share = lit.mean(dim=(1, 2, 3))
    lit_chroma = (chroma * lit).sum(dim=(1, 2, 3)) / lit.sum(dim=(1, 2, 3)).clamp(min=1.0)
    colourfulness = torch.where(lit_share > 0.01, lit_chroma, chroma.mean(dim=(1, 2, 3)))
    return ((GREY_NONE - colourfulness) / (GREY_NONE - GREY_FULL)).clamp(0.0, 1.0)


def image_greyness(image: Image.Image) -> float:
    """``greyness`` for a PIL image (on a 64x64 thumbnail: the measure is a mean)."""
    pixels = np.asarray(image.convert("RGB").resize((64, 64)), dtype=np.float32)
    batch = torch.from_numpy(pixels).permute(2, 0, 1)[None] / 127.5 - 1.0
    return float(greyness(batch)[0])


# Colour mood. Valdez & Mehrabian (1994): pleasure = 0.69 brightness + 0.22 saturation,
# all on standardised scales (the weights are their standardised regression coefficients).
PLEASURE_BRIGHTNESS, PLEASURE_SATURATION = 0.69, 0.22
COLOUR_SIDE = 128  # longest side of the copy we measure: means need no detail
# Predicted pleasure is in standard deviations; read as a probit, P(pleasant) = Phi(pleasure),
# and a probit is ~1.7 logits. A choice, not a fit: there is no labelled set offline.
COLOUR_SCALE = 1.7
MIN_SD = 0.05  # floor for a reference set with (nearly) identical photos


def colour_stats(image: Image.Image, side: int = COLOUR_SIDE) -> tuple[float, float]:
    """(brightness, saturation): mean HSV V and S in [0, 1], on a box-averaged small copy.

    Why HSV means: the cheapest standard brightness / saturation pair (about a millisecond),
    and image means are what Machajdik & Hanbury (2010) fed to the Valdez & Mehrabian
    formula. Box averaging first also calms the noise that makes near-black pixels look
    saturated.
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    factor = max(1, -(-max(rgb.size) // side))  # ceil: the copy is at most `side` px
    small = rgb.reduce(factor) if factor > 1 else rgb
    hsv = np.asarray(small.convert("HSV"), np.float32) / 255.0
    return float(hsv[..., 2].mean()), float(hsv[..., 1].mean())


@dataclass(frozen=True)
class ColourReference:
    """Mean and spread of brightness and saturation over the reference photos."""

    brightness_mean: float
    brightness_sd: float
    saturation_mean: float
    saturation_sd: float
    images: int

    @classmethod
    def of(cls, rows: np.ndarray) -> ColourReference:
        """From (n, 2) rows of (brightness, saturation); sds floored at MIN_SD."""
        rows = np.asarray(rows, np.float64).reshape(-1, 2)
        mean, sd = rows.mean(0), rows.std(0)
        return cls(
            float(mean[0]),
            max(float(sd[0]), MIN_SD),
            float(mean[1]),
            max(float(sd[1]), MIN_SD),
            len(rows),
        )


# The shipped gallery's own numbers (measured), used only when no reference photo is found.
GALLERY_COLOUR_REFERENCE = ColourReference(0.476, 0.154, 0.263, 0.289, 0)


@dataclass(frozen=True)
class ColourMood:
    """One image's colour cue: the measurements, their z-scores and the resulting margin."""

    brightness: float
    saturation: float
    brightness_z: float
    saturation_z: float
    pleasure: float  # 0.69 * brightness_z + 0.22 * saturation_z, in standard deviations
    margin: float  # log-odds positive vs negative

    def probabilities(self, neutral_below: float = NEUTRAL_BELOW) -> tuple[float, float, float]:
        return three_class_from_margin(self.margin, neutral_below)


def colour_mood(
    brightness: float,
    saturation: float,
    reference: ColourReference = GALLERY_COLOUR_REFERENCE,
    scale: float = COLOUR_SCALE,
) -> ColourMood:
    """Valdez & Mehrabian's pleasure from brightness and saturation, as a log-odds margin."""
    bz = (float(brightness) - reference.brightness_mean) / reference.brightness_sd
    sz = (float(saturation) - reference.saturation_mean) / reference.saturation_sd
    pleasure = PLEASURE_BRIGHTNESS * bz + PLEASURE_SATURATION * sz
    return ColourMood(float(brightness), float(saturation), bz, sz, pleasure, scale * pleasure)
