"""Unit tests for mmdemo.core.imaging: every edge case is made in tmp_path, no binary fixtures."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, ImageFile

from mmdemo.core.errors import BadImageError, BadInputError
from mmdemo.core.imaging import (
    IMAGE_EXTENSIONS,
    MAX_ASPECT,
    WORKING_SIDE,
    check_shape,
    file_sha256,
    find_images,
    image_from_upload,
    load_image,
    to_rgb,
)

WHITE = (255, 255, 255)


def _close(actual, expected, tol=6) -> bool:
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(actual, expected, strict=True))


def _assert_rgb(im: Image.Image) -> None:
    assert isinstance(im, Image.Image)
    assert im.mode == "RGB"


# --- transparency --------------------------------------------------------------------------


def test_rgba_transparent_pixels_become_white(tmp_path):
    im = Image.new("RGBA", (4, 2), (255, 0, 0, 255))
    im.putpixel((0, 0), (0, 0, 0, 0))  # fully transparent black: must not stay black
    im.putpixel((1, 0), (0, 0, 255, 128))  # half-transparent blue: blended with white
    path = tmp_path / "alpha.png"
    im.save(path)

    out = load_image(path)

    _assert_rgb(out)
    assert out.getpixel((0, 0)) == WHITE
    assert _close(out.getpixel((1, 0)), (127, 127, 255), tol=2)
    assert out.getpixel((2, 1)) == (255, 0, 0)


def test_palette_with_transparency_becomes_white(tmp_path):
    im = Image.new("P", (4, 2), 1)
    im.putpalette([0, 0, 0, 0, 200, 0] + [0] * (254 * 3))  # 0 = black, 1 = green
    im.putpixel((0, 0), 0)
    path = tmp_path / "palette.png"
    im.save(path, transparency=0)  # palette index 0 (black) is transparent
    assert Image.open(path).mode == "P"

    out = load_image(path)

    _assert_rgb(out)
    assert out.getpixel((0, 0)) == WHITE
    assert out.getpixel((1, 0)) == (0, 200, 0)


def test_la_transparent_pixels_become_white(tmp_path):
    im = Image.new("LA", (3, 1), (40, 255))
    im.putpixel((0, 0), (0, 0))
    path = tmp_path / "la.png"
    im.save(path)
    assert Image.open(path).mode == "LA"

    out = load_image(path)

    assert out.getpixel((0, 0)) == WHITE
    assert out.getpixel((1, 0)) == (40, 40, 40)


def test_rgb_with_transparent_colour_key_becomes_white(tmp_path):
    im = Image.new("RGB", (2, 1), (10, 20, 30))
    im.putpixel((1, 0), (90, 90, 90))
    path = tmp_path / "trns.png"
    im.save(path, transparency=(10, 20, 30))

    out = load_image(path)

    assert out.getpixel((0, 0)) == WHITE
    assert out.getpixel((1, 0)) == (90, 90, 90)


# --- other modes -----------------------------------------------------------------------------


def test_cmyk_converts_to_rgb(tmp_path):
    im = Image.new("CMYK", (2, 1), (0, 255, 255, 0))  # red in CMYK
    im.putpixel((1, 0), (0, 0, 0, 255))  # black
    path = tmp_path / "cmyk.tif"
    im.save(path)
    assert Image.open(path).mode == "CMYK"

    out = load_image(path)

    _assert_rgb(out)
    assert out.getpixel((0, 0)) == (255, 0, 0)
    assert out.getpixel((1, 0)) == (0, 0, 0)


def _row_values(im: Image.Image) -> np.ndarray:
    arr = np.asarray(im)
    assert (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all()
    return arr[0, :, 0].astype(int)


def _assert_order_preserved(values: np.ndarray) -> None:
    assert (np.diff(values) >= 0).all(), values
    assert values[0] < 40 and values[-1] > 215, values  # spans the range: not all white/black


def test_16bit_gradient_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 256).astype(np.uint16)
    arr = np.tile(ramp, (4, 1))
    path = tmp_path / "gray16.png"
    Image.fromarray(arr).save(path)
    assert Image.open(path).mode.startswith("I")
    assert Image.open(path).convert("RGB").getpixel((128, 0)) == WHITE  # what we guard against

    values = _row_values(load_image(path))

    _assert_order_preserved(values)
    assert 100 < values[128] < 156  # mid-grey stays mid-grey


def test_12bit_data_in_16bit_file_is_scaled_by_its_max(tmp_path):
    ramp = np.linspace(0, 4000, 64).astype(np.uint16)  # a 12-bit sensor stored as 16-bit
    path = tmp_path / "gray12.png"
    Image.fromarray(np.tile(ramp, (2, 1))).save(path)

    _assert_order_preserved(_row_values(load_image(path)))


def test_16bit_big_endian(tmp_path):
    ramp = np.linspace(0, 65535, 32).astype(">u2")
    im = Image.frombytes("I;16B", (32, 1), ramp.tobytes())
    assert im.mode == "I;16B"

    out, _ = image_from_upload(im)

    _assert_order_preserved(_row_values(out))


def test_32bit_int_with_negative_values_is_stretched(tmp_path):
    arr = np.tile(np.linspace(-100_000, 300_000, 50).astype(np.int32), (2, 1))
    path = tmp_path / "int32.tif"
    Image.fromarray(arr, "I").save(path)
    assert Image.open(path).mode == "I"

    _assert_order_preserved(_row_values(load_image(path)))


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (-3.5, 1200.0)])
def test_float_image_is_scaled(tmp_path, low, high):
    arr = np.tile(np.linspace(low, high, 100).astype(np.float32), (3, 1))
    path = tmp_path / "float.tif"
    Image.fromarray(arr, "F").save(path)
    assert Image.open(path).mode == "F"

    values = _row_values(load_image(path))

    _assert_order_preserved(values)
    if (low, high) == (0.0, 1.0):
        assert abs(values[50] - round(255 * 50 / 99)) <= 1  # [0, 1] floats map linearly


def test_float_image_in_unit_range_is_not_stretched(tmp_path):
    path = tmp_path / "float_part.tif"
    Image.fromarray(np.tile(np.float32([0.2, 0.4, 0.6]), (2, 1)), "F").save(path)

    assert _row_values(load_image(path)).tolist() == [51, 102, 153]


def test_one_bit_image(tmp_path):
    im = Image.new("1", (2, 1), 0)
    im.putpixel((1, 0), 1)
    path = tmp_path / "bw.png"
    im.save(path)
    assert Image.open(path).mode == "1"

    out = load_image(path)

    assert out.getpixel((0, 0)) == (0, 0, 0)
    assert out.getpixel((1, 0)) == WHITE


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = tmp_path / "gray.png"
    Image.new("L", (3, 3), 77).save(path)

    out = load_image(path)

    _assert_rgb(out)
    assert out.getpixel((1, 1)) == (77, 77, 77)


def test_lab_image_converts_to_rgb(tmp_path):
    path = tmp_path / "lab.tif"
    Image.new("LAB", (2, 2), (255, 128, 128)).save(path)  # L=100, a=b=0: white
    assert Image.open(path).mode == "LAB"

    assert _close(load_image(path).getpixel((0, 0)), WHITE, tol=3)


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [("HSV", (0, 255, 255), (255, 0, 0)), ("YCbCr", (76, 85, 255), (255, 0, 0))],
)
def test_hsv_and_ycbcr_convert_to_rgb(mode, value, expected):
    out, _ = image_from_upload(Image.new(mode, (2, 2), value))
    assert _close(out.getpixel((0, 0)), expected, tol=3)


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (64, 32), (255, 0, 0))
    im.paste((0, 0, 255), (32, 0, 64, 32))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "rotated.jpg"
    im.save(path, exif=exif, quality=95)

    out = load_image(path)

    assert out.size == (32, 64)  # width and height swapped
    assert _close(out.getpixel((16, 4)), (255, 0, 0), tol=40)  # the left edge is now on top
    assert _close(out.getpixel((16, 60)), (0, 0, 255), tol=40)


def test_animated_gif_gives_first_frame(tmp_path):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (8, 8), c) for c in colours]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    with Image.open(path) as check:
        assert check.n_frames == 3

    out = load_image(path)

    _assert_rgb(out)
    assert out.getpixel((4, 4)) == (255, 0, 0)


def test_result_is_fully_decoded_and_detached_from_the_file(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (16, 16), (0, 128, 0)).save(path)

    out = load_image(path)
    path.unlink()

    assert _close(out.getpixel((8, 8)), (0, 128, 0))
    assert len(out.tobytes()) == 16 * 16 * 3


def test_bytes_source_and_default_names(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (5, 4), (1, 2, 3)).save(buf, format="PNG")

    assert load_image(buf.getvalue()).getpixel((0, 0)) == (1, 2, 3)
    with pytest.raises(BadImageError) as info:
        load_image(b"")
    assert info.value.filename == "upload"
    with pytest.raises(BadImageError) as info:
        load_image(tmp_path / "sub" / "nothere.png")
    assert info.value.filename == "nothere.png"
    with pytest.raises(BadImageError) as info:
        load_image(b"", name="holiday.jpg")
    assert str(info.value).startswith("holiday.jpg: ")


# --- bad files ---------------------------------------------------------------------------------


def _noise_image(size=(256, 256)) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (*size[::-1], 3), dtype=np.uint8))


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_file_is_refused_with_its_name(tmp_path, suffix):
    path = tmp_path / f"cut_short{suffix}"
    _noise_image().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(BadImageError) as info:
        load_image(path)

    assert info.value.filename == f"cut_short{suffix}"
    assert f"cut_short{suffix}" in str(info.value)
    assert "corrupt or truncated" in str(info.value)


def test_truncated_load_does_not_touch_pillow_or_warning_globals(tmp_path):
    path = tmp_path / "cut.jpg"
    _noise_image().save(path)
    path.write_bytes(path.read_bytes()[:3000])
    filters_before = list(warnings.filters)

    with pytest.raises(BadImageError):
        load_image(path)

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert list(warnings.filters) == filters_before


def test_text_file_renamed_png_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are my shopping notes, not a picture\n" * 20)

    with pytest.raises(BadImageError) as info:
        load_image(path)

    assert info.value.filename == "notes.png"
    assert "not an image" in info.value.problem


def test_formats_outside_the_allowlist_are_refused(tmp_path):
    """Pillow opens dozens of formats; we accept only common photo formats (and TIFF)."""
    path = tmp_path / "really_a_ppm.png"
    Image.new("RGB", (4, 4), (5, 5, 5)).save(path, format="PPM")
    assert Image.open(path).format == "PPM"  # Pillow alone would take it

    with pytest.raises(BadImageError, match="not an image in a supported format"):
        load_image(path)


def test_png_signature_with_garbage_header(tmp_path):
    path = tmp_path / "garbage.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))

    with pytest.raises(BadImageError) as info:
        load_image(path)
    assert "garbage.png" in str(info.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.touch()

    with pytest.raises(BadImageError) as info:
        load_image(path)

    assert info.value.filename == "empty.jpg"
    assert "empty" in info.value.problem and "0 bytes" in info.value.problem


def test_missing_file(tmp_path):
    with pytest.raises(BadImageError) as info:
        load_image(tmp_path / "ghost.png")

    assert info.value.filename == "ghost.png"
    assert "not found" in info.value.problem


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(BadImageError) as info:
        load_image(tmp_path)
    assert "folder" in info.value.problem


def test_bad_image_error_is_a_user_facing_input_error(tmp_path):
    with pytest.raises(BadInputError):
        load_image(tmp_path / "ghost.png")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose IHDR declares width x height RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)  # far too little data, but the header is valid
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_fast_with_dimensions(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_declaring(50_000, 50_000))
    assert path.stat().st_size < 200
    assert struct.unpack(">II", path.read_bytes()[16:24]) == (50_000, 50_000)
    with pytest.raises(Image.DecompressionBombError):  # Pillow's refusal names no dimensions
        Image.open(path)

    def no_decoding(*args, **kwargs):
        raise AssertionError("pixels were decoded before the size was checked")

    with pytest.MonkeyPatch.context() as patch:  # refused from the header: nothing decoded
        patch.setattr(ImageFile.ImageFile, "load", no_decoding)
        with pytest.raises(BadImageError) as info:
            load_image(path)

    message = str(info.value)
    assert "bomb.png" in message
    assert "50000x50000" in message
    assert "64,000,000" in message  # the limit


def test_bomb_above_pillows_own_limit_still_names_dimensions(tmp_path):
    """With max_pixels above Pillow's limit, Pillow's DecompressionBombError is caught."""
    path = tmp_path / "huge.png"
    path.write_bytes(_png_declaring(50_000, 50_000))

    with pytest.raises(BadImageError) as info:
        load_image(path, max_pixels=10**12)
    assert "50000x50000" in str(info.value)


def test_pillow_bomb_warning_raised_as_error_is_caught(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(_png_declaring(10_000, 10_000))  # between Pillow's warn and error limits
    with warnings.catch_warnings():  # the caller (not our code) turned warnings into errors
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(BadImageError) as info:
            load_image(path, max_pixels=10**12)
    assert "10000x10000" in str(info.value)


def test_large_image_refused_before_pillow_warns(tmp_path):
    """Between Pillow's warning and error limits, we refuse first: no warning is emitted."""
    path = tmp_path / "big.png"
    path.write_bytes(_png_declaring(10_000, 10_000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(BadImageError, match="10000x10000"):
            load_image(path)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_size_checked_after_open_when_header_sniffing_fails(tmp_path, monkeypatch):
    """Defence in depth: if the header pre-check cannot read a size, the opened image's is used."""
    import mmdemo.core.imaging

    monkeypatch.setattr(mmdemo.core.imaging, "_declared_size", lambda fp, formats: None)
    path = tmp_path / "square.png"
    Image.new("RGB", (100, 100)).save(path)

    with pytest.raises(BadImageError, match="100x100"):
        load_image(path, max_pixels=9_999)


def test_max_pixels_boundary(tmp_path):
    path = tmp_path / "square.png"
    Image.new("RGB", (100, 100), (9, 9, 9)).save(path)

    assert load_image(path, max_pixels=10_000).size == (100, 100)
    with pytest.raises(BadImageError) as info:
        load_image(path, max_pixels=9_999)
    assert "100x100" in str(info.value)


# --- shape limits and the working size ---------------------------------------------------------


def _no_decoding(*args, **kwargs):
    raise AssertionError("pixels were decoded before the shape was checked")


@pytest.mark.parametrize("size", [(1, 60_000), (60_000, 1), (3, 301)])
def test_too_thin_an_image_is_refused_from_its_header(tmp_path, size):
    """A 319-byte 1x60000 PNG once cost 1.1 GiB in the model's transform: refused unread."""
    path = tmp_path / "thin.png"
    path.write_bytes(_png_declaring(*size))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ImageFile.ImageFile, "load", _no_decoding)
        with pytest.raises(BadImageError) as info:
            load_image(path)
    message = str(info.value)
    assert f"thin.png: the image is {size[0]}x{size[1]} pixels" in message
    assert f"more than the limit of {MAX_ASPECT} to 1" in message
    assert "Crop it, or pad it" in message


def test_the_aspect_limit_boundary(tmp_path):
    path = tmp_path / "strip.png"
    Image.new("RGB", (3, 3 * MAX_ASPECT), (1, 2, 3)).save(path)
    assert load_image(path).size == (3, 3 * MAX_ASPECT)
    Image.new("RGB", (3, 3 * MAX_ASPECT + 1), (1, 2, 3)).save(path)
    with pytest.raises(BadImageError, match=r"long side is 100\.3 times its short side"):
        load_image(path)


@pytest.mark.parametrize(("width", "height"), [(0, 5), (5, 0), (0, 0)])
def test_an_image_of_no_pixels_is_refused(width, height):
    with pytest.raises(BadImageError, match=rf"{width}x{height} pixels: it has no pixels"):
        check_shape("x.gif", width, height, max_pixels=100)


def test_decoded_images_and_arrays_get_the_same_shape_checks():
    for value in (Image.new("RGB", (1, 500)), np.zeros((500, 1, 3), np.uint8)):
        with pytest.raises(BadImageError, match="upload: the image is 1x500 pixels"):
            image_from_upload(value)
    with pytest.raises(BadImageError, match="more than the limit of 99 pixels"):
        image_from_upload(Image.new("RGB", (10, 10)), max_pixels=99)


def test_a_big_image_is_shrunk_to_the_working_size(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (3 * WORKING_SIDE, WORKING_SIDE), (0, 90, 0)).save(path)
    image = load_image(path)
    assert image.size == (WORKING_SIDE, round(WORKING_SIDE / 3))
    assert image.getpixel((5, 5)) == (0, 90, 0)
    decoded, _ = image_from_upload(Image.new("RGB", (100, 2 * WORKING_SIDE)))
    assert decoded.size == (50, WORKING_SIDE)
    small = tmp_path / "small.png"
    Image.new("RGB", (WORKING_SIDE, 70)).save(small)
    assert load_image(small).size == (WORKING_SIDE, 70)  # at the limit: untouched


def test_a_big_jpeg_is_decoded_at_a_reduced_scale(tmp_path, monkeypatch):
    """``Image.draft``: a 6000x4000 JPEG decodes at half scale (measured: 72 MiB and 0.3 s
    against 225 MiB and 1.0 s in full), then shrinks to the working size; EXIF still turns it.
    """
    from PIL import JpegImagePlugin

    drafts = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafts.append(size)
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    photo = Image.new("RGB", (6000, 4000), (200, 20, 20))
    exif = photo.getexif()
    exif[0x0112] = 6  # shown turned 90 degrees
    path = tmp_path / "phone.jpg"
    photo.save(path, quality=80, exif=exif.tobytes())

    image = load_image(path)
    assert drafts == [(2048, 1365)]  # asked for at least the working size
    assert image.size == (1365, WORKING_SIDE)  # turned, then shrunk
    assert _close(image.getpixel((600, 1000)), (200, 20, 20), tol=12)


# --- find_images, file_sha256 --------------------------------------------------------------------


def test_find_images_recursive_sorted_filtered(tmp_path):
    root = tmp_path / ".parent_may_be_hidden" / "gallery"  # hidden *above* the root is fine
    wanted = ["a.jpg", "B.PNG", "sub/c.webp", "sub/deeper/d.GIF", "z.JpEg", "y.bmp"]
    unwanted = [
        "notes.txt",
        "photo.tiff",
        "noext",
        ".hidden.jpg",
        ".cache/e.jpg",
        "sub/._f.jpg",
        "sub/.git/g.png",
    ]
    for rel in wanted + unwanted:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    (root / "folder.png").mkdir()  # a folder named like an image is not a file

    found = find_images(root)

    assert found == sorted(root / rel for rel in wanted)
    assert all(isinstance(p, Path) for p in found)


def test_find_images_missing_folder(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        find_images(tmp_path / "nope")


def test_image_extensions():
    assert {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".heic", ".heif"} == IMAGE_EXTENSIONS


@pytest.mark.parametrize("size", [0, 1, 3 * (1 << 20) + 17])  # empty, tiny, several chunks
def test_file_sha256_matches_hashlib(tmp_path, size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "blob.bin"
    path.write_bytes(data)

    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(str(path)) == hashlib.sha256(data).hexdigest()


# --- image_from_upload ---------------------------------------------------------------------------


@pytest.fixture
def upload_path(tmp_path) -> Path:
    path = tmp_path / "gradio" / "abc123" / "beach.png"
    path.parent.mkdir(parents=True)
    Image.new("RGB", (6, 4), (0, 0, 200)).save(path)
    return path


@pytest.mark.parametrize(
    ("form", "expected_name"),
    [
        ("str", "beach.png"),
        ("pathlib", "beach.png"),
        ("dict", "beach.png"),
        ("dict_orig_name", "My Beach.png"),
        ("object_path", "beach.png"),
        ("object_name", "beach.png"),
        ("list", "beach.png"),
    ],
)
def test_image_from_upload_forms(upload_path, form, expected_name):
    value = {
        "str": str(upload_path),
        "pathlib": upload_path,
        "dict": {"path": str(upload_path), "meta": {"_type": "gradio.FileData"}},
        "dict_orig_name": {"path": str(upload_path), "orig_name": "My Beach.png"},
        "object_path": SimpleNamespace(path=str(upload_path)),
        "object_name": SimpleNamespace(name=str(upload_path)),  # a tempfile wrapper
        "list": [str(upload_path)],
    }[form]

    image, name = image_from_upload(value)

    _assert_rgb(image)
    assert image.size == (6, 4)
    assert image.getpixel((0, 0)) == (0, 0, 200)
    assert name == expected_name


@pytest.mark.parametrize("value", [None, "", [], {"path": None}, SimpleNamespace(path=None)])
def test_image_from_upload_nothing_given(value):
    with pytest.raises(BadInputError) as info:
        image_from_upload(value)
    assert str(info.value) == "No image given: upload an image first."
    assert not isinstance(info.value, BadImageError)


def test_image_from_upload_bad_file_uses_display_name(tmp_path):
    path = tmp_path / "tmpXYZ.png"
    path.write_text("not an image")

    with pytest.raises(BadImageError) as info:
        image_from_upload({"path": str(path), "orig_name": "cat.png"})
    assert info.value.filename == "cat.png"


def test_image_from_upload_decoded_values():
    rgba = Image.new("RGBA", (3, 3), (0, 0, 0, 0))
    image, name = image_from_upload(rgba)
    assert image.mode == "RGB" and image.getpixel((1, 1)) == WHITE
    assert name == "upload"

    array = np.zeros((2, 5, 3), np.uint8)
    array[..., 1] = 99
    image, _ = image_from_upload(array)
    assert image.size == (5, 2) and image.getpixel((0, 0)) == (0, 99, 0)


def test_image_from_upload_several_files_refused(upload_path):
    with pytest.raises(BadInputError, match="one image"):
        image_from_upload([str(upload_path), str(upload_path)])


def test_a_path_the_os_cannot_take_is_not_an_upload(tmp_path):
    from mmdemo.core.imaging import require_inside

    with pytest.raises(BadInputError, match=r"x\.png: not a file uploaded to this app"):
        require_inside(str(tmp_path / "a\x00.png"), tmp_path, "x.png")


def test_require_inside_refuses_paths_outside_the_upload_root(tmp_path, upload_path):
    from mmdemo.core.imaging import require_inside

    root = upload_path.parent
    assert require_inside(upload_path, root, "x.png") == upload_path.resolve()
    outside = tmp_path.parent / "elsewhere.png"
    for sneaky in (outside, root / ".." / ".." / "elsewhere.png"):
        with pytest.raises(BadInputError, match="not a file uploaded to this app"):
            require_inside(sneaky, root, "x.png")
    with pytest.raises(BadInputError, match="not a file uploaded"):
        image_from_upload({"path": str(upload_path)}, allowed_root=tmp_path / "uploads")


def _tiff_declaring_more_than_its_strip(compression: str) -> bytes:
    """A 12x9 TIFF whose header then claims 128 px width: the strip is far too short."""
    out = io.BytesIO()
    Image.new("RGB", (12, 9), (200, 30, 30)).save(out, "TIFF", compression=compression)
    data = bytearray(out.getvalue())
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, entry)[0] == 256:  # ImageWidth
            struct.pack_into("<HII", data, entry + 2, 4, 1, 128)
    return bytes(data)


@pytest.mark.parametrize("compression", ["jpeg", "tiff_lzw", "packbits", "raw"])
def test_a_tiff_short_of_pixels_is_refused_never_filled_with_heap_memory(compression):
    """Pillow decodes a short JPEG-in-TIFF strip without an error, the rest of the picture
    being whatever was in memory: such files are refused; the others report the truncation."""
    with pytest.raises(BadImageError, match=r"JPEG-compressed TIFF|corrupt or truncated"):
        load_image(_tiff_declaring_more_than_its_strip(compression))


def test_a_good_lzw_tiff_still_loads():
    out = io.BytesIO()
    Image.new("RGB", (12, 9), (1, 2, 3)).save(out, "TIFF", compression="tiff_lzw")
    assert load_image(out.getvalue()).getpixel((0, 0)) == (1, 2, 3)


@pytest.mark.parametrize("mode", ["1", "L", "RGB", "P"])
def test_a_transparency_value_that_does_not_fit_the_mode_is_ignored(mode):
    """Found by the fuzzer: bytes as the transparency of a 1-bit image broke Pillow's convert."""
    im = Image.new(mode, (2, 2))
    im.info["transparency"] = b"\x00"
    out = to_rgb(im)
    assert out.mode == "RGB" and out.size == (2, 2)
