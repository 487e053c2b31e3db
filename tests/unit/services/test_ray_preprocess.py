"""The PIL + numpy replay of torchvision preprocessing must give the very same tensor.

Why bit for bit: the Ray engine's index must equal the local engine's, so its decode tasks
may only swap torch out where nothing changes. Random noise images of many shapes (tall,
wide, tiny, already the target size, smaller than the crop) through the lite embedder's
transform, open_clip's and one with a padded crop; unknown steps give no twin at all.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image
from torchvision import transforms as T

from mmdemo.services.ray_preprocess import NumpyCompose, TwinPreprocess, numpy_twin

LITE = T.Compose(
    [
        T.Resize(256, interpolation=T.InterpolationMode.BICUBIC),
        T.CenterCrop(224),
        T.ToTensor(),
        T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
    ]
)


def _open_clip():
    open_clip = pytest.importorskip("open_clip")
    return open_clip.image_transform(64, is_train=False)


def _noise(width: int, height: int, seed: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), np.uint8)
    return Image.fromarray(pixels, "RGB")


SIZES = [(256, 256), (224, 224), (257, 300), (300, 257), (31, 900), (900, 31), (64, 64), (5, 7)]


@pytest.mark.parametrize("name", ["lite", "open_clip", "padded"])
def test_twin_gives_the_same_tensor_bit_for_bit(name):
    transform = {
        "lite": lambda: LITE,
        "open_clip": _open_clip,
        "padded": lambda: T.Compose([T.Resize([300]), T.CenterCrop((320, 200)), T.ToTensor()]),
    }[name]()
    twin = numpy_twin(transform)
    assert isinstance(twin, NumpyCompose)
    rng = random.Random(0)
    sizes = SIZES + [(rng.randint(8, 700), rng.randint(8, 700)) for _ in range(40)]
    for seed, (w, h) in enumerate(sizes):
        image = _noise(w, h, seed)
        want, got = transform(image).numpy(), twin(image)
        assert got.dtype == np.float32 and got.shape == want.shape, (w, h)
        assert np.array_equal(got, want), (name, w, h, float(np.abs(got - want).max()))


def test_the_decode_size_reads_from_the_twin_as_from_the_transform():
    from mmdemo.services.ingest import model_input_side

    class Holder:
        transform = LITE

    assert model_input_side(TwinPreprocess(numpy_twin(LITE))) == model_input_side(Holder()) == 256


@pytest.mark.parametrize(
    "steps",
    [
        [T.Resize(256), T.RandomHorizontalFlip(), T.ToTensor()],  # a step it does not know
        [T.Resize((256, 200)), T.ToTensor()],  # both sides given: not replayed
        [T.Resize(256, max_size=300), T.ToTensor()],
        [],
    ],
)
def test_unknown_or_unsupported_steps_give_no_twin(steps):
    assert numpy_twin(T.Compose(steps)) is None
    assert numpy_twin(None) is None
