"""HEIC/HEIF through the one safe loader: real files made by pillow-heif in the test.

Phone photos arrive as HEIC; they must decode like any JPEG (colours, orientation,
transparency), fail with a message naming the file when corrupt, be refused from the
header alone when they claim too many pixels or too thin a shape, and be stored (for
serving back) re-encoded, never as HEIC.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from mmdemo.core import imaging
from mmdemo.core.errors import BadImageError
from mmdemo.core.imaging import IMAGE_EXTENSIONS, find_images, load_image

pillow_heif = pytest.importorskip("pillow_heif")

RED = (200, 30, 30)


def heic_bytes(image: Image.Image, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, format="HEIF", quality=95, **save)
    return out.getvalue()


def two_colour(size=(96, 48)) -> Image.Image:
    """Left half red, right half blue: orientation and colours can both be checked."""
    image = Image.new("RGB", size, RED)
    image.paste((30, 30, 200), (size[0] // 2, 0, size[0], size[1]))
    return image


def near(pixel, colour, tolerance=20) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_loader_registered_heif_and_finds_heic_files(tmp_path):
    assert imaging.HEIF_SUPPORTED
    assert {".heic", ".heif"} <= IMAGE_EXTENSIONS
    (tmp_path / "IMG_0001.HEIC").write_bytes(heic_bytes(two_colour()))
    (tmp_path / "b.heif").write_bytes(heic_bytes(two_colour()))
    assert [p.name for p in find_images(tmp_path)] == ["IMG_0001.HEIC", "b.heif"]


def test_real_heic_decodes_to_rgb_with_its_colours(tmp_path):
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(heic_bytes(two_colour()))
    for source in (path, path.read_bytes()):
        image = load_image(source, name="IMG_0001.HEIC")
        assert image.mode == "RGB" and image.size == (96, 48)
        assert near(image.getpixel((10, 24)), RED)
        assert near(image.getpixel((85, 24)), (30, 30, 200))


def test_heic_orientation_is_applied_once(tmp_path):
    """A camera's rotation (saved as EXIF orientation 6, stored by libheif as a transform)
    turns the landscape pixels upright, exactly once."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = heic_bytes(two_colour(), exif=exif.tobytes())
    image = load_image(data, name="portrait.heic")
    assert image.size == (48, 96)
    assert near(image.getpixel((24, 10)), RED)  # left (red) is now the top
    assert near(image.getpixel((24, 85)), (30, 30, 200))


def test_transparent_heic_is_composited_over_white():
    clear = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    image = load_image(heic_bytes(clear), name="cutout.heic")
    assert image.mode == "RGB"
    assert near(image.getpixel((16, 16)), (255, 255, 255), tolerance=3)


def test_big_heic_is_shrunk_to_the_working_size():
    image = load_image(heic_bytes(Image.new("RGB", (2600, 1300), RED)), name="big.heic")
    assert max(image.size) == imaging.WORKING_SIDE


@pytest.mark.parametrize("cut", [40, 300])
def test_heic_cut_inside_its_header_is_named_corrupt(cut):
    data = heic_bytes(two_colour())
    with pytest.raises(BadImageError) as info:
        load_image(data[:cut], name="cut.heic")
    assert info.value.filename == "cut.heic"
    assert "corrupt or truncated" in info.value.problem


def test_heic_with_its_image_data_cut_short_is_corrupt():
    rng = np.random.default_rng(0)
    noise = Image.fromarray((rng.random((240, 320, 3)) * 255).astype(np.uint8))
    data = heic_bytes(noise)
    with pytest.raises(BadImageError) as info:
        load_image(data[: len(data) * 2 // 3], name="half.heic")
    assert "corrupt or truncated" in info.value.problem


def patched_size(data: bytes, width: int, height: int) -> bytes:
    """The same file with its ``ispe`` (image spatial extents) box claiming another size."""
    at = data.find(b"ispe")
    assert at > 0
    # box type, then version + flags (4 bytes), then width and height (32-bit big-endian)
    return data[: at + 8] + struct.pack(">II", width, height) + data[at + 16 :]


def test_oversized_heic_header_is_refused_before_decoding(monkeypatch):
    """A 2 KB file claiming 20000x20000 pixels: refused from the header, decoder never run."""
    from pillow_heif.as_plugin import HeifImageFile

    def no_decoding(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(HeifImageFile, "load", no_decoding)
    # 640x480: a size the encoder stores as it is (odd sizes get a crop box that would
    # still say the small size; libheif then refuses the decoded size, tested below)
    bomb = patched_size(heic_bytes(two_colour((640, 480))), 20000, 20000)
    with pytest.raises(BadImageError) as info:
        load_image(bomb, name="bomb.heic", max_pixels=64_000_000)
    assert "20000x20000" in info.value.problem and "limit of 64,000,000" in info.value.problem


def test_heic_whose_header_and_data_disagree_is_corrupt():
    """A cropped (odd-sized) image with a huge coded size: libheif checks the decoded size
    against the signalled one, so the lie ends as a corrupt file, with bounded memory."""
    lie = patched_size(heic_bytes(two_colour((96, 48))), 20000, 20000)
    with pytest.raises(BadImageError, match="corrupt or truncated"):
        load_image(lie, name="lie.heic")


def test_too_thin_heic_is_refused():
    with pytest.raises(BadImageError, match="100 to 1"):
        load_image(heic_bytes(Image.new("RGB", (2020, 16), RED)), name="strip.heic")


def test_stored_heic_upload_is_re_encoded_never_served_as_heic(tmp_path):
    """``stored_files`` names copies from the decoded format: HEIC is not one a browser may
    be served, so the copy is a PNG of the decoded pixels."""
    from mmdemo.services.stored_files import safe_bytes, sha256_of, store_copy

    data = heic_bytes(two_colour())
    stored, suffix = safe_bytes(data, "IMG_0001.HEIC", 64_000_000)
    assert suffix == ".png" and stored[:8] == b"\x89PNG\r\n\x1a\n"
    upload = tmp_path / "IMG_0001.HEIC"
    upload.write_bytes(data)
    copy = store_copy(
        upload, sha256_of(data), tmp_path / "store", name="IMG_0001.HEIC", max_pixels=64_000_000
    )
    assert copy.endswith(".png")
    with Image.open(copy) as served:
        assert served.format == "PNG" and served.size == (96, 48)
