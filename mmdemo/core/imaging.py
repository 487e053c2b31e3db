"""The one safe image loader: every upload and every gallery file is decoded here.

Why one place: Pillow fails in many different ways (``UnidentifiedImageError``, ``OSError``
for truncated data, ``SyntaxError`` from a broken PNG, ``DecompressionBombError``...), and
its defaults are wrong for a model (``convert("RGB")`` turns transparent pixels black and
clips 16-bit images to white). Here every bad file becomes a ``BadImageError`` naming the
file and the problem, and every good one becomes a fully decoded 8-bit RGB image.

Bounded cost: the size is read from the header before any pixel is decoded, and an image is
refused when it has too many pixels (a decompression bomb), no pixels, or a shape too thin
for the models (``MAX_ASPECT``); a good image bigger than the models need is shrunk to
``WORKING_SIDE`` (JPEGs are decoded at a reduced scale with ``Image.draft``, so a big photo
never costs its full size in memory).

HEIC/HEIF (phone photos) are decoded by ``pillow-heif``, registered with Pillow once when
this module is imported, and get the same checks: the size from the container's header
before any pixel is decoded, the pixel and aspect limits, EXIF orientation (libheif applies
the container's rotation itself), 10/12-bit data reduced to 8 bits.

Why one module of ~530 lines rather than a loader per format: the security argument is that
*every* decode passes the same header check, limits and conversion, and that is easiest to
audit when there is exactly one path from bytes to pixels; the HEIC part is the registration
and one header reader, not a second loader.

Thread-safe: nothing here changes Pillow's or ``warnings``' global state, so the index can
decode images in worker threads.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mmdemo.core.errors import BadImageError, BadInputError

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".heic", ".heif"}
)

# Formats we let Pillow try, in this order. Restricting them keeps exotic decoders (and
# formats with no magic number, like TGA, that "recognise" a text file) out of the app.
# TIFF is allowed because 16-bit and float scientific images usually arrive as TIFF.
_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP", "DIB", "TIFF", "AVIF", "HEIF")
_FORMAT_NAMES = "JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC"
_WHITE = (255, 255, 255)
DEFAULT_MAX_PIXELS = 64_000_000  # the same default as Settings.max_image_pixels
# Why 100:1. The models' transforms scale the *short* side up (CLIP: 224 px, the lite
# embedder: 256 px), so the memory of one transform grows with the aspect ratio (~0.25 MiB
# per unit), whatever the file's own size. Measured peak RSS growth of one transform (2-core
# VM): lite Resize(256)+CenterCrop 4.8 MiB at 20:1, 25.6 MiB at 100:1, 238 MiB at 1000:1,
# 1.3 GiB at 5000:1 and 5.3 GiB (54 s) for a 1x20000 image; open_clip ViT-B-32's own
# preprocess 191 MiB at 1000:1, 1.0 GiB at 5000:1, 3.5 GiB at 20000:1. 100:1 is the largest
# round limit that keeps one transform near 25 MiB; banners (8:1), panoramas (<10:1) and
# strips like a 256x4 gradient pass. (ViLT, which fails above ~20:1, pads its own input.)
MAX_ASPECT = 100
# Why 2048 px. No model here looks at more than 640 px, but the transformers processors
# (BLIP, ViLT) turn the whole image into float32 before resizing: measured +606 / +439 MiB
# for one 8000x8000 image, +40 / +28 MiB at 2048x2048. 2048 keeps 3x the largest input.
WORKING_SIDE = 2048
_CHUNK = 1 << 20
# Why refuse JPEG-in-TIFF: with a strip shorter than the size it declares, Pillow's libtiff
# path decodes it without an error and leaves ~80 % of the pixels as uninitialised heap
# memory (Pillow 12.3 / libtiff 4.7; found by the fuzz tests), which a stored copy would then
# serve back. The other TIFF compressions report the short strip; JPEG itself is fine.
_UNSAFE_TIFF = frozenset({"jpeg", "tiff_jpeg"})


def _register_heif() -> bool:
    """Teach Pillow HEIC/HEIF through pillow-heif (once, at import, before any thread runs).

    Without the package (an old environment) HEIC files get the "not a supported format"
    message like any unknown file; nothing else changes.
    """
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        logger.info("pillow-heif is not installed: HEIC/HEIF images cannot be read")
        return False
    # Only the primary image: embedded previews, depth maps and auxiliary images would
    # cost decoding time and memory the models never use.
    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    return True


HEIF_SUPPORTED = _register_heif()


def _available_formats() -> tuple[str, ...]:
    """The allowed formats this Pillow build can open (``Image.open`` fails on unknown ones)."""
    Image.init()  # idempotent: registers every plugin once
    return tuple(f for f in _FORMATS if f in Image.OPEN)


def load_image(
    source: str | os.PathLike | bytes,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = WORKING_SIDE,
    min_side: int | None = None,
) -> Image.Image:
    """Decode ``source`` (a path or the file's bytes) into a new 8-bit RGB image, at most
    ``max_side`` pixels on its long side (thumbnails ask for less: a JPEG then decodes at
    1/8 scale, ~5x faster for a 12-megapixel photo).

    ``min_side``: the caller needs only this many pixels on the short side (an embedder
    whose transform resizes the short side to 224 px): a JPEG then decodes at the smallest
    DCT scale that keeps it (``Image.draft``) and any image is box-reduced by the largest
    whole factor that keeps it (``Image.reduce``), so the model's own resize has little
    left to do. The result's ``info["source_size"]`` is the upright size of the file.

    Raises ``BadImageError`` (and nothing else) for a missing, empty, non-image, corrupt,
    truncated, too-large or too-thin file; ``name`` is what the message calls the file.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = name or "upload"
        if len(source) == 0:
            raise _empty(name)
        return _decode(io.BytesIO(bytes(source)), name, max_pixels, max_side, min_side)

    path = Path(source)
    name = name or path.name or str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise BadImageError(name, "is a folder, not an image file", "Choose an image file.")
        if size == 0:
            raise _empty(name)
        with open(path, "rb") as fp:
            return _decode(fp, name, max_pixels, max_side, min_side)
    except FileNotFoundError:
        raise BadImageError(
            name, "file not found", "Check the path, or upload the image again."
        ) from None
    except PermissionError:
        raise BadImageError(
            name, "cannot be read (permission denied)", "Check the file's permissions."
        ) from None
    except BadImageError:  # our own (a ValueError too): passed on as it is
        raise
    except ValueError:  # the OS refuses the path itself: a NUL character in it
        raise BadImageError(
            name.replace("\x00", "\\0"), "is not a valid file path (it contains a NUL character)"
        ) from None
    except OSError as err:  # an I/O error reading the disk, not a decoding error
        raise BadImageError(name, f"cannot be read ({err.strerror or err})") from None


def _empty(name: str) -> BadImageError:
    return BadImageError(
        name,
        "the file is empty (0 bytes)",
        "The upload or copy probably failed; try again with the original file.",
    )


def _bomb(name: str, width: int, height: int, max_pixels: int) -> BadImageError:
    return BadImageError(
        name,
        f"the image is {width}x{height} pixels ({width * height:,}), more than the limit of "
        f"{max_pixels:,} pixels (a file this large could exhaust memory)",
        "Resize it below the limit, or raise MMDEMO_MAX_IMAGE_PIXELS if you trust the file.",
    )


def _ratio(long_side: int, short_side: int) -> str:
    ratio = long_side / short_side
    return f"{ratio:,.0f}" if ratio >= 1000 else f"{ratio:.1f}".removesuffix(".0")


def check_shape(
    name: str, width: int, height: int, max_pixels: int, max_aspect: float = MAX_ASPECT
) -> None:
    """Refuse a size no model can use: no pixels, too many (a bomb), or too thin a shape.

    Called with the header's size before decoding, and again with the decoded size.
    """
    if width < 1 or height < 1:
        raise BadImageError(
            name, f"the image is {width}x{height} pixels: it has no pixels", "Upload a picture."
        )
    if width * height > max_pixels:
        raise _bomb(name, width, height, max_pixels)
    long_side, short_side = max(width, height), min(width, height)
    if long_side > max_aspect * short_side:
        raise BadImageError(
            name,
            f"the image is {width}x{height} pixels: its long side is "
            f"{_ratio(long_side, short_side)} times its short side, more than the limit of "
            f"{max_aspect:g} to 1 (the models enlarge the short side, so the thinner an image, "
            "the more memory it costs: gigabytes for a 1-pixel line)",
            f"Crop it, or pad it to at most {max_aspect:g}:1, and upload it again.",
        )


def shrink_to_working_size(im: Image.Image, max_side: int = WORKING_SIDE) -> Image.Image:
    """``im`` with its long side at most ``max_side`` (in place; aspect ratio kept)."""
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return im


def _draft_jpeg(im: Image.Image, max_side: int, min_side: int | None = None) -> None:
    """Ask the JPEG decoder for a 1/2, 1/4 or 1/8 scale that is still >= ``max_side`` on the
    long side, or with ``min_side``, still >= ``min_side`` on the short side.

    Why: a 48-megapixel photo then decodes at 1/8 of the memory and time; the result is
    shrunk to ``max_side`` anyway. Other formats have no cheaper scale and decode in full.
    """
    width, height = im.size
    if im.format not in ("JPEG", "MPO"):
        return
    # with min_side the short side must stay >= it (the model would enlarge it back)
    scale = min_side / min(width, height) if min_side else max_side / max(width, height)
    if scale >= 1:
        return

    # draft keeps each side >= the size asked for; for min_side round up (to 224, not to
    # 223 from 223.99999 nor to 225 from 224.00001)
    def fit(v: float) -> int:
        return max(1, math.ceil(v - 1e-6) if min_side else int(v))

    im.draft(None, (fit(width * scale), fit(height * scale)))


def reduce_to_short_side(im: Image.Image, min_side: int) -> Image.Image:
    """``im`` box-reduced by the largest whole factor that keeps its short side >= ``min_side``.

    Why: a model's bicubic, antialiased resize costs in proportion to the pixels it reads
    (a 512 px PNG to 224 px: most of the preprocessing time); a box reduction first is
    several times cheaper and leaves it less than 2x to go.
    """
    factor = min(im.size) // min_side
    return im.reduce(factor) if factor >= 2 else im


_TRANSPOSED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height


def _upright_size(im: Image.Image) -> tuple[int, int]:
    """The file's size as a person sees it (after its EXIF orientation), before decoding."""
    try:
        orientation = im.getexif().get(0x0112)
    except Exception:  # unreadable EXIF: _exif_transpose will ignore it too
        orientation = None
    return (im.height, im.width) if orientation in _TRANSPOSED else im.size


def _declared_size(fp: IO[bytes], formats: tuple[str, ...]) -> tuple[int, int] | None:
    """Width and height read from the header alone, or None if no allowed format claims it.

    Why not ``Image.open``: it raises ``DecompressionBombError`` (which does not say the
    dimensions) or emits a warning before we can look at the size. The plugin factories
    are what ``Image.open`` itself calls; they parse the header and decode nothing.
    """
    try:
        prefix = fp.read(16)
        for fmt in formats:
            factory, accept = Image.OPEN[fmt]
            try:
                claimed = accept(prefix) if accept else True
            except Exception:  # a 1-3 byte file: DIB's check unpacks 4 bytes (struct.error)
                continue
            if not claimed or isinstance(claimed, str):
                continue
            fp.seek(0)
            try:
                return tuple(factory(fp, "").size)  # type: ignore[return-value]
            except Exception:  # not this format after all; Image.open will decide
                continue
        return None
    finally:
        fp.seek(0)


def _claiming_format(fp: IO[bytes], formats: tuple[str, ...]) -> str | None:
    """The allowed format whose magic number the file starts with, if any (no decoding)."""
    try:
        fp.seek(0)
        prefix = fp.read(16)
        for fmt in formats:
            accept = Image.OPEN[fmt][1]
            try:
                claimed = accept(prefix) if accept else False
            except Exception:  # a check that cannot read so short a prefix
                continue
            if claimed and not isinstance(claimed, str):
                return fmt
        return None
    finally:
        fp.seek(0)


def _decode(
    fp: IO[bytes],
    name: str,
    max_pixels: int,
    max_side: int = WORKING_SIDE,
    min_side: int | None = None,
) -> Image.Image:
    """Header check, full decode and conversion; maps every Pillow failure to BadImageError."""
    formats = _available_formats()
    declared = _declared_size(fp, formats)
    if declared:  # from the header alone: nothing decoded yet
        check_shape(name, declared[0], declared[1], max_pixels)
    try:
        im = Image.open(fp, formats=formats)
    except UnidentifiedImageError:
        claimed = _claiming_format(fp, formats)
        if claimed:  # e.g. a HEIC cut short inside its header: say so, not "not an image"
            raise BadImageError(
                name,
                f"the image header is corrupt or truncated (it starts like a {claimed} file)",
                "Re-export or re-download the file and try again.",
            ) from None
        raise BadImageError(
            name, f"is not an image in a supported format ({_FORMAT_NAMES})"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Pillow's own limit (MAX_IMAGE_PIXELS) fired: only when max_pixels is above it. The
        # warning arrives here as an exception when a caller turned warnings into errors.
        if declared:
            limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
            raise _bomb(name, declared[0], declared[1], limit) from None
        raise BadImageError(name, f"the image is too large ({err})") from None
    except Exception as err:  # a header so broken that the parser itself failed
        raise BadImageError(name, f"the image header is corrupt ({_detail(err)})") from None
    with im:
        check_shape(name, im.width, im.height, max_pixels)
        if im.format == "TIFF" and im.info.get("compression") in _UNSAFE_TIFF:
            raise BadImageError(
                name,
                "is a JPEG-compressed TIFF, which this server does not decode",
                "Convert it to JPEG or PNG and upload it again.",
            )
        try:
            im.seek(0)  # animated GIF/WebP/PNG, multi-page TIFF: the first frame
            source_size = _upright_size(im)
            _draft_jpeg(im, max_side, min_side)
            im.load()  # force the full decode now, so truncation is found here, not later
            oriented = _exif_transpose(im, name)
            out = shrink_to_working_size(to_rgb(oriented), max_side)
            if min_side:
                out = reduce_to_short_side(out, min_side)
            out.info["source_size"] = source_size
            return out
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise BadImageError(name, f"the image is too large ({err})") from None
        except Exception as err:
            logger.debug("could not decode %s", name, exc_info=True)
            raise BadImageError(
                name,
                f"the image data is corrupt or truncated ({_detail(err)})",
                "Re-export or re-download the file and try again.",
            ) from None


def _detail(err: Exception) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _exif_transpose(im: Image.Image, name: str) -> Image.Image:
    """Apply the EXIF orientation (phone photos); broken EXIF must not reject a good image."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception:
        logger.warning("%s: ignoring unreadable EXIF orientation", name, exc_info=True)
        return im.copy()


def to_rgb(im: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB the way a person would expect it to look."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return Image.fromarray(_scale_to_uint8(np.asarray(im)), "L").convert("RGB")
    if mode in ("RGBa", "La"):  # premultiplied alpha: un-premultiply first
        im = im.convert("RGBA" if mode == "RGBa" else "LA")
        mode = im.mode
    if mode in ("RGBA", "LA", "PA"):
        return _over_white(im.convert("RGBA"))
    if im.info.get("transparency") is not None:
        try:
            return _over_white(im.convert("RGBA"))
        except (TypeError, ValueError):  # a transparency value that does not fit the mode
            im = im.copy()  # (bytes on a 1-bit or RGB image, found by the fuzzer): ignore it
            del im.info["transparency"]
    if mode == "RGB":
        return im
    # 1, L, P, CMYK, YCbCr, LAB, HSV, RGBX...: Pillow's own conversions are right for these.
    return im.convert("RGB")


def _over_white(rgba: Image.Image) -> Image.Image:
    """Composite over white: transparent pixels would otherwise come out black."""
    background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _scale_to_uint8(arr: np.ndarray) -> np.ndarray:
    """Map 16-bit, 32-bit and float pixel values to 0..255, keeping their order.

    Pillow's ``convert`` clips these to 255 (16-bit images come out white). 16-bit data that
    uses the full range is scaled by 65535; data in a smaller range (a 10/12-bit sensor) by
    its own maximum so it is not near-black; floats in [0, 1] by 255; anything else is
    stretched min..max.
    """
    data = arr.astype(np.float64)
    finite = np.isfinite(data)
    if not finite.any():
        return np.zeros(arr.shape, np.uint8)
    data = np.where(finite, data, 0.0)
    lo, hi = float(data.min()), float(data.max())
    if np.issubdtype(arr.dtype, np.floating):
        if lo >= 0.0 and hi <= 1.0:
            lo, hi = 0.0, 1.0
    elif lo >= 0 and hi <= 65535:  # 16-bit data (I;16*, or "I" holding 16-bit values)
        lo, hi = 0.0, (65535.0 if hi >= 4096 else max(hi, 255.0))
    if hi <= lo:  # a flat image: keep it flat (black if zero, else mid-grey)
        return np.full(arr.shape, 0 if hi == 0 else 128, np.uint8)
    scaled = (data - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (content hash for duplicate detection)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        while chunk := fp.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def find_images(directory: str | os.PathLike) -> list[Path]:
    """Image files under ``directory``, recursively and sorted, skipping hidden files and folders.

    Hidden means a name starting with "." below ``directory`` (``.git``, ``.ipynb_checkpoints``,
    macOS ``._photo.jpg`` resource forks, which are not images). Symlinked folders are not
    followed, so a link loop cannot hang indexing.
    """
    root = Path(directory)
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise BadInputError(f"Image folder {root} {what}.")
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in filenames:
            if filename.startswith("."):
                continue
            if os.path.splitext(filename)[1].lower() in IMAGE_EXTENSIONS:
                path = Path(dirpath, filename)
                if path.is_file():  # skips broken symlinks
                    found.append(path)
    return sorted(found)


def require_inside(path: str | os.PathLike, root: str | os.PathLike, name: str) -> Path:
    """``path`` resolved, refused unless it lies under ``root`` (the server's upload folder).

    Why: handlers that skip Gradio's preprocessing receive the client's raw file payload,
    and a crafted API call could otherwise name any file on the server.
    """
    try:
        resolved = Path(os.fspath(path)).resolve()
    except (OSError, ValueError):  # a NUL character, a link loop: not one of our uploads
        resolved = None
    if resolved is None or not resolved.is_relative_to(Path(os.fspath(root)).resolve()):
        raise BadInputError(
            f"{name}: not a file uploaded to this app. Upload the image (from Python: "
            "gradio_client.handle_file(path))."
        )
    return resolved


def image_from_upload(
    value: Any,
    *,
    allowed_root: str | os.PathLike | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[Image.Image, str]:
    """Decode what a Gradio File/Image input hands a handler; returns (RGB image, display name).

    Accepts a file path, a dict with "path" (Gradio's FileData), an object with ``.path`` or
    ``.name`` (FileData, a tempfile wrapper), a one-item list of those, raw bytes, or an
    already-decoded PIL image / numpy array (``gr.Image(type="pil"/"numpy")``).
    """
    if isinstance(value, (list, tuple)):
        if len(value) > 1:
            raise BadInputError("Give one image here, not several.")
        value = value[0] if value else None
    if value is None or (isinstance(value, (str, bytes)) and not value):
        raise BadInputError("No image given: upload an image first.")
    if isinstance(value, np.ndarray):
        try:
            value = Image.fromarray(value)
        except (TypeError, ValueError) as err:
            raise BadImageError("upload", f"the array is not an image ({err})") from None
    if isinstance(value, Image.Image):  # decoded already: the same checks as a file gets
        check_shape("upload", value.width, value.height, max_pixels)
        return shrink_to_working_size(to_rgb(_exif_transpose(value, "upload"))), "upload"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return load_image(value, max_pixels=max_pixels), "upload"

    display: object = None
    if isinstance(value, dict):
        display = value.get("orig_name")
        path = value.get("path")
    elif isinstance(value, (str, os.PathLike)):
        path = value
    else:
        display = getattr(value, "orig_name", None)
        path = getattr(value, "path", None) or getattr(value, "name", None)
    if not path:
        raise BadInputError("No image given: upload an image first.")
    if not isinstance(path, (str, os.PathLike)):  # a crafted call: {"path": 5}
        raise BadInputError(
            f"The image must be an uploaded file (its path as text), not {type(path).__name__}. "
            "Upload the image (from Python: gradio_client.handle_file(path))."
        )
    if not isinstance(display, str) or not display:  # a name the client chose must be text
        display = Path(os.fspath(path)).name or "upload"
    if allowed_root is not None:
        path = require_inside(path, allowed_root, display)
    return load_image(path, name=display, max_pixels=max_pixels), display
