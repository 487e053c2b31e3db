"""Fake captioners that name a test image's colour and count their calls (tests only).

Registered with ``register_fakes()`` (and removed with ``unregister_fakes()``) so the
gallery-captioning tests can tell which images were captioned in which run, and whether
the batched ``caption_many`` or the one-image ``caption`` was used. Real subclasses of
nothing: they only have the methods the captioning job looks for.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from mmdemo.core.results import CaptionResult
from mmdemo.models.registry import BackendSpec, add_backend, remove_backend

COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 200, 30),
    "blue": (30, 30, 220),
    "yellow": (240, 240, 20),
    "cyan": (20, 220, 220),
    "black": (0, 0, 0),
}
CALLS: list[str] = []  # one entry per captioned image: "one:<colour>" or "many:<colour>"


def colour_name(image: Image.Image) -> str:
    """The test colour nearest to the image's top-middle pixel (above the gradient stripe)."""
    pixel = np.array(image.getpixel((image.width // 2, image.height // 4)), dtype=float)
    return min(COLOURS, key=lambda name: float(np.sum((np.array(COLOURS[name]) - pixel) ** 2)))


class FakeCaptioner:
    """Only ``caption``: the job must call it once per image."""

    task = "caption"

    def __init__(self, spec):
        self.spec = spec

    def caption(self, image, **options):
        name = colour_name(image)
        if name == "black" and self.spec.option("fail_on_black"):
            raise RuntimeError("this backend cannot handle black images")
        CALLS.append(f"one:{name}")
        return CaptionResult(f"a {name} square", "fake colour namer")


class BatchFakeCaptioner(FakeCaptioner):
    """Also ``caption_many`` (like the BLIP backend): the job must prefer it."""

    def caption_many(self, images, **options):
        if self.spec.option("fail_on_black") and any(colour_name(i) == "black" for i in images):
            raise RuntimeError("the batch holds a black image")
        names = [colour_name(image) for image in images]
        CALLS.extend(f"many:{n}" for n in names)
        return [CaptionResult(f"a {n} square", "fake colour namer") for n in names]


def load_fake(spec, ctx):
    return BatchFakeCaptioner(spec) if spec.option("batched") else FakeCaptioner(spec)


FAKES = {
    "fake-caption-one": {},
    "fake-caption-many": {"batched": True},
    "fake-caption-fragile": {"batched": True, "fail_on_black": True},
}


def register_fakes() -> None:
    for name, options in FAKES.items():
        add_backend(BackendSpec("caption", name, load_fake, "test", options=options))


def unregister_fakes() -> None:
    for name in FAKES:
        remove_backend("caption", name)


def write_colour_photos(folder):
    """One small image per name in ``COLOURS`` (``red.png`` ...), for the fakes to name."""
    from tests.support.images import write_test_image

    for name, color in COLOURS.items():
        write_test_image(folder / f"{name}.png", color=color)
    return folder


def captioning_gallery(tmp_path, backend: str = "fake-caption-one"):
    """(server, gallery) over ``tmp_path/index``: the tiny embedder and a fake captioner."""
    from mmdemo.core.config import Settings
    from mmdemo.services.gallery import Gallery
    from mmdemo.serving import ModelServer

    settings = Settings(
        preset="tiny",
        backends=f"caption={backend}",
        index_dir=tmp_path / "index",
        index_default_gallery=False,
    )
    server = ModelServer(settings)
    return server, Gallery(server, settings)
