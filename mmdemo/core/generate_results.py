"""Text-to-image generation: the options a request may set, and what one generation produced.

Why here (core, no torch): the service, the API, the CLI and every generator backend share
one validated options object, so every bound (steps, size, seed, prompt length) is checked
once, before any model work, with one English message each (Chinese in
``locales/zh_generate.py``). ``GenerateResult.to_json`` is the one JSON shape of the API and
the CLI; the image itself travels as a file path in the API layer, never inside the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmdemo.core.errors import BadInputError, shown

MAX_STEPS = 8  # few-step distilled models: more steps buy little and cost seconds each on CPU
MIN_SIDE, MAX_SIDE, SIDE_MULTIPLE = 256, 768, 64  # the UNet/VAE downsample by 8 and 2**3
MAX_SEED = 2**31 - 1
MAX_GUIDANCE = 20.0
MAX_PROMPT_CHARS = 500
STOPPED = ("done", "cancelled", "time")


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(f"{name} must be a whole number, not {shown(value)}.")
    return value


def _fits(side: int) -> bool:
    return MIN_SIDE <= side <= MAX_SIDE and side % SIDE_MULTIPLE == 0


@dataclass(frozen=True)
class GenerateOptions:
    """Validated generation settings; invalid values raise ``BadInputError`` at once."""

    steps: int = 1
    seed: int = 0
    width: int = 512
    height: int = 512
    guidance_scale: float = 0.0  # turbo/distilled models are trained for 0 (no CFG)

    def __post_init__(self) -> None:
        if not 1 <= _whole("steps", self.steps) <= MAX_STEPS:
            raise BadInputError(f"steps must be between 1 and {MAX_STEPS}, not {self.steps}.")
        if not 0 <= _whole("seed", self.seed) <= MAX_SEED:
            raise BadInputError(f"The seed must be between 0 and {MAX_SEED}, not {self.seed}.")
        if not _fits(_whole("width", self.width)):
            raise BadInputError(
                f"The width must be a multiple of {SIDE_MULTIPLE} between {MIN_SIDE} and "
                f"{MAX_SIDE} pixels, not {self.width}."
            )
        if not _fits(_whole("height", self.height)):
            raise BadInputError(
                f"The height must be a multiple of {SIDE_MULTIPLE} between {MIN_SIDE} and "
                f"{MAX_SIDE} pixels, not {self.height}."
            )
        scale = self.guidance_scale
        if isinstance(scale, bool) or not isinstance(scale, int | float):
            raise BadInputError(f"guidance_scale must be a number, not {shown(scale)}.")
        if not 0.0 <= float(scale) <= MAX_GUIDANCE:
            raise BadInputError(
                f"guidance_scale must be between 0 and {MAX_GUIDANCE:g}, not {scale}."
            )
        object.__setattr__(self, "guidance_scale", float(scale))

    def to_json(self) -> dict:
        return {
            "steps": self.steps,
            "seed": self.seed,
            "width": self.width,
            "height": self.height,
            "guidance_scale": self.guidance_scale,
        }


def check_prompt(prompt: Any) -> str:
    """The prompt with its whitespace collapsed; refused when not text, empty or too long."""
    if not isinstance(prompt, str):
        raise BadInputError(f"The prompt must be text, not {type(prompt).__name__}.")
    text = " ".join(prompt.split())
    if not text:
        raise BadInputError("The prompt is empty: describe the image to draw.")
    if len(text) > MAX_PROMPT_CHARS:
        raise BadInputError(
            f"The prompt is {len(text)} characters long; the limit is {MAX_PROMPT_CHARS}."
        )
    return text


@dataclass
class GenerateResult:
    """One generation: the image (None when stopped before anything was decoded) and how.

    ``stopped`` is "done", "cancelled" (the visitor stopped it) or "time" (the per-request
    limit); ``steps_done`` says how far a stopped one got. ``note`` carries what a visitor
    should know about the model (e.g. that it ships no safety checker).
    """

    image: Any  # PIL.Image.Image | None
    prompt: str
    model: str
    backend: str
    steps: int
    seed: int
    width: int
    height: int
    seconds: float
    stopped: str = "done"
    steps_done: int = 0
    guidance_scale: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        if self.stopped not in STOPPED:
            raise ValueError(f"stopped must be one of {STOPPED}, not {self.stopped!r}")

    def to_json(self) -> dict:
        """Everything but the pixels (the API layer adds the image's path)."""
        return {
            "prompt": self.prompt,
            "model": self.model,
            "backend": self.backend,
            "steps": self.steps,
            "steps_done": self.steps_done,
            "seed": self.seed,
            "width": self.width,
            "height": self.height,
            "guidance_scale": self.guidance_scale,
            "seconds": round(self.seconds, 3),
            "stopped": self.stopped,
            "has_image": self.image is not None,
            "note": self.note,
        }
