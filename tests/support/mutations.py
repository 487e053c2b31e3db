"""Mutated image files for fuzzing the one safe image loader, and the guards a fuzz loop needs.

* ``seed_images()``: small valid files of every format the loader accepts, written by Pillow
  (several modes each: palette, alpha, 16-bit, float, CMYK, animated, multi-page, EXIF),
  plus the test picture of ``tests/support/images.py`` as PNG, JPEG, GIF and WebP.
* ``mutations()``: a hypothesis strategy of (seed, operations) that ``mutate`` turns into
  bytes: bit flips, byte sets, inserts, deletes, truncation, boundary integers, another
  format's header spliced in, huge declared sizes written into the real header fields
  (PNG IHDR with its CRC fixed, GIF screen and frame, BMP, JPEG SOF, WebP VP8/VP8L/VP8X,
  TIFF tags, AVIF ispe), and optionally every PNG chunk CRC recomputed so that mutated
  chunk data gets past the CRC check into the decoders. ``random_mutation`` draws the same
  from a plain ``Random``, for runs of 10^5 inputs.
* ``PeakRss``: the peak resident memory one call adds (Linux: the high-water mark is reset
  before the call through ``/proc/self/clear_refs``), so a single input can be blamed.
* ``cpu_time_limit``: interrupts a call that spins for too long with ``TooSlow``, a
  ``BaseException`` so that no ``except Exception`` in the code under test can swallow it,
  and ends the process when a call hangs where no signal handler can run.
"""

from __future__ import annotations

import contextlib
import faulthandler
import functools
import io
import random
import signal
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

# -- seed files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    name: str  # e.g. "png-rgba"
    suffix: str  # the extension a file of it would have
    data: bytes


def _picture(mode: str, size: tuple[int, int] = (12, 9)):
    """A small picture with a gradient, a block and a few distinct pixels, in ``mode``."""
    from PIL import Image

    base = Image.linear_gradient("L").resize(size)
    rgb = Image.merge("RGB", (base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), base))
    rgb.paste((200, 30, 30), (1, 1, 5, 4))
    if mode == "RGB":
        return rgb
    if mode == "RGBA":
        alpha = base.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        return Image.merge("RGBA", (*rgb.split(), alpha))
    if mode == "LA":
        return Image.merge("LA", (base, base.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    if mode == "P":
        return rgb.quantize(16)
    if mode == "I;16":
        return Image.frombytes("I;16", size, (np.asarray(base).astype("<u2") * 257).tobytes())
    if mode == "F":
        return base.convert("F")
    return rgb.convert(mode)  # L, 1, CMYK


def _save(image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@functools.cache
def seed_images() -> tuple[Seed, ...]:
    """Small valid files, each a few hundred bytes; only formats this Pillow can write."""
    from PIL import Image, features

    p = _picture
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees
    palette_alpha = p("P")
    palette_alpha.info["transparency"] = 0
    seeds = [
        ("png-rgb", ".png", lambda: _save(p("RGB"), "PNG")),
        ("png-rgba", ".png", lambda: _save(p("RGBA"), "PNG")),
        ("png-la", ".png", lambda: _save(p("LA"), "PNG")),
        ("png-palette-alpha", ".png", lambda: _save(palette_alpha, "PNG")),
        ("png-16bit", ".png", lambda: _save(p("I;16"), "PNG")),
        ("png-1bit", ".png", lambda: _save(p("1"), "PNG")),
        ("png-text-exif", ".png", lambda: _save(p("RGB"), "PNG", exif=exif, dpi=(72, 72))),
        (
            "apng",
            ".png",
            lambda: _save(p("RGBA"), "PNG", save_all=True, append_images=[p("RGBA")], duration=5),
        ),
        ("jpeg", ".jpg", lambda: _save(p("RGB"), "JPEG", quality=80)),
        ("jpeg-progressive", ".jpg", lambda: _save(p("RGB"), "JPEG", progressive=True)),
        ("jpeg-gray", ".jpg", lambda: _save(p("L"), "JPEG")),
        ("jpeg-cmyk", ".jpg", lambda: _save(p("CMYK"), "JPEG")),
        ("jpeg-exif", ".jpg", lambda: _save(p("RGB"), "JPEG", exif=exif)),
        ("gif", ".gif", lambda: _save(p("P"), "GIF")),
        (
            "gif-animated",
            ".gif",
            lambda: _save(
                p("P"), "GIF", save_all=True, append_images=[p("L")], transparency=0, loop=0
            ),
        ),
        ("bmp", ".bmp", lambda: _save(p("RGB"), "BMP")),
        ("bmp-palette", ".bmp", lambda: _save(p("P"), "BMP")),
        ("bmp-1bit", ".bmp", lambda: _save(p("1"), "BMP")),
        ("tiff", ".tif", lambda: _save(p("RGB"), "TIFF")),
        ("tiff-deflate", ".tif", lambda: _save(p("RGBA"), "TIFF", compression="tiff_deflate")),
        ("tiff-lzw", ".tif", lambda: _save(p("RGB"), "TIFF", compression="tiff_lzw")),
        ("tiff-packbits", ".tif", lambda: _save(p("L"), "TIFF", compression="packbits")),
        # no JPEG-in-TIFF seed: the loader refuses that compression (imaging._UNSAFE_TIFF)
        ("tiff-16bit", ".tif", lambda: _save(p("I;16"), "TIFF")),
        ("tiff-float", ".tif", lambda: _save(p("F"), "TIFF")),
        ("tiff-cmyk", ".tif", lambda: _save(p("CMYK"), "TIFF")),
        (
            "tiff-pages",
            ".tif",
            lambda: _save(p("RGB"), "TIFF", save_all=True, append_images=[p("L")]),
        ),
    ]
    if features.check("webp"):
        seeds += [
            ("webp", ".webp", lambda: _save(p("RGB"), "WEBP", quality=60)),
            ("webp-lossless-alpha", ".webp", lambda: _save(p("RGBA"), "WEBP", lossless=True)),
            (
                "webp-animated",
                ".webp",
                lambda: _save(
                    p("RGBA"), "WEBP", save_all=True, append_images=[p("RGBA")], duration=5
                ),
            ),
        ]
    if features.check("avif"):
        seeds.append(("avif", ".avif", lambda: _save(p("RGB"), "AVIF", quality=50)))
    # the picture every other test uploads (tests/support/images.py), in the formats a
    # visitor most often sends
    for fmt, suffix in (("png", ".png"), ("jpeg", ".jpg"), ("gif", ".gif"), ("webp", ".webp")):
        if fmt != "webp" or features.check("webp"):
            seeds.append((f"test-image-{fmt}", suffix, functools.partial(_test_image, suffix)))
    return tuple(Seed(name, suffix, make()) for name, suffix, make in seeds)


def _test_image(suffix: str) -> bytes:
    """``tests/support/images.write_test_image``'s file, as bytes."""
    import tempfile

    from tests.support.images import write_test_image

    with tempfile.TemporaryDirectory() as folder:
        return write_test_image(Path(folder) / f"seed{suffix}").read_bytes()


# -- header surgery ------------------------------------------------------------------------


def fix_png_crcs(data: bytes) -> bytes:
    """Recompute every chunk CRC of a PNG (mutated chunk data then reaches the decoders)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    out = bytearray(data)
    pos = 8
    while pos + 8 <= len(out):
        (length,) = struct.unpack_from(">I", out, pos)
        end = pos + 8 + length
        if end + 4 > len(out):
            break
        struct.pack_into(">I", out, end, zlib.crc32(out[pos + 4 : end]))
        pos = end + 4
    return bytes(out)


def _gif_frame_offset(data: bytes) -> int | None:
    """Offset of the first image descriptor (0x2C) of a GIF, or None."""
    if len(data) < 13:
        return None
    pos = 13
    if data[10] & 0x80:
        pos += 3 * (2 << (data[10] & 7))
    while pos < len(data):
        if data[pos] == 0x2C:
            return pos
        if data[pos] != 0x21 or pos + 2 > len(data):
            return None
        pos += 2  # introducer and label, then sub-blocks up to a zero length
        while pos < len(data) and data[pos]:
            pos += data[pos] + 1
        pos += 1
    return None


def _tiff_size_entries(data: bytes) -> tuple[str, list[int]] | None:
    """Byte order and the offsets of the ImageWidth/ImageLength entries of the first IFD."""
    if data[:4] not in (b"II*\x00", b"MM\x00*") or len(data) < 8:
        return None
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack_from(order + "H", data, ifd)
    found = []
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(data):
            break
        (tag,) = struct.unpack_from(order + "H", data, entry)
        if tag in (256, 257):
            found.append(entry)
    return order, found


def set_declared_size(data: bytes, width: int, height: int) -> bytes:
    """``data`` with the width and height its header declares replaced (where they are found).

    Values are wrapped into each field's width, so 2**32 - 1 and friends reach the parsers.
    """
    out = bytearray(data)
    w32, h32 = width & 0xFFFFFFFF, height & 0xFFFFFFFF
    w16, h16 = width & 0xFFFF, height & 0xFFFF
    if data.startswith(b"\x89PNG") and len(out) >= 33 and out[12:16] == b"IHDR":
        struct.pack_into(">II", out, 16, w32, h32)
        struct.pack_into(">I", out, 29, zlib.crc32(out[12:29]))
    elif data[:3] == b"GIF" and len(out) >= 10:
        struct.pack_into("<HH", out, 6, w16, h16)
        frame = _gif_frame_offset(data)
        if frame is not None and frame + 9 <= len(out):
            struct.pack_into("<HH", out, frame + 5, w16, h16)
    elif data[:2] == b"BM" and len(out) >= 26:
        struct.pack_into("<II", out, 18, w32, h32)  # signed in the file: 2**31.. is negative
    elif data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 9 <= len(out) and out[pos] == 0xFF:
            marker = out[pos + 1]
            (length,) = struct.unpack_from(">H", out, pos + 2)
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                struct.pack_into(">HH", out, pos + 5, h16, w16)
                break
            pos += 2 + length
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(out) >= 30:
        chunk = bytes(out[12:16])
        if chunk == b"VP8X":
            out[24:27] = ((width - 1) & 0xFFFFFF).to_bytes(3, "little")
            out[27:30] = ((height - 1) & 0xFFFFFF).to_bytes(3, "little")
        elif chunk == b"VP8L":
            bits = ((width - 1) & 0x3FFF) | (((height - 1) & 0x3FFF) << 14)
            bits |= struct.unpack_from("<I", out, 21)[0] & ~0x0FFFFFFF & 0xFFFFFFFF
            struct.pack_into("<I", out, 21, bits)
        elif chunk == b"VP8 ":
            struct.pack_into("<HH", out, 26, w16, h16)  # 14 bits each plus 2 scale bits
    elif tiff := _tiff_size_entries(data):
        order, entries = tiff
        for entry in entries:
            (tag,) = struct.unpack_from(order + "H", out, entry)
            struct.pack_into(order + "HII", out, entry + 2, 4, 1, w32 if tag == 256 else h32)
    elif (ispe := data.find(b"ispe")) >= 0 and ispe + 16 <= len(out):
        struct.pack_into(">II", out, ispe + 8, w32, h32)  # AVIF: after version and flags
    return bytes(out)


# -- mutations -----------------------------------------------------------------------------

INTERESTING_SIZES = (
    0, 1, 2, 7, 255, 256, 511, 512, 513, 4096, 16383, 16384, 65535, 65536,
    1 << 20, 1 << 24, (1 << 31) - 1, 1 << 31, (1 << 32) - 1,
)  # fmt: skip
INTERESTING_INTS = (0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)

_position = st.integers(0, 1 << 16)
_size = st.sampled_from(INTERESTING_SIZES) | st.integers(0, (1 << 32) - 1)
OPERATION_KINDS = ("flip", "set", "insert", "delete", "truncate", "int", "splice", "repeat", "size")
OPERATION = st.one_of(
    st.tuples(st.just("flip"), _position, st.integers(0, 7)),
    st.tuples(st.just("set"), _position, st.integers(0, 255)),
    st.tuples(st.just("insert"), _position, st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("delete"), _position, st.integers(1, 64)),
    st.tuples(st.just("truncate"), _position),
    st.tuples(
        st.just("int"),
        _position,
        st.sampled_from((1, 2, 4)),
        st.sampled_from("<>"),
        st.sampled_from(INTERESTING_INTS),
    ),
    st.tuples(st.just("splice"), st.integers(0, 1 << 10), st.integers(1, 64), st.integers(0, 99)),
    st.tuples(st.just("repeat"), _position, st.integers(1, 64), st.integers(1, 64)),
    st.tuples(st.just("size"), _size, _size),
)


def random_operations(rnd: random.Random, max_ops: int, min_ops: int = 0) -> list[tuple]:
    """The same operations as ``OPERATION`` drawn from a plain ``Random``: the slow tier
    mutates 10^5 files, where hypothesis's own cost per drawn example would dominate."""
    ops: list[tuple] = []
    for _ in range(rnd.randint(min_ops, max_ops)):
        kind, at = rnd.choice(OPERATION_KINDS), rnd.randrange(1 << 16)
        if kind == "flip":
            ops.append((kind, at, rnd.randrange(8)))
        elif kind == "set":
            ops.append((kind, at, rnd.randrange(256)))
        elif kind == "insert":
            ops.append((kind, at, rnd.randbytes(rnd.randint(1, 64))))
        elif kind in ("delete", "truncate"):
            ops.append((kind, at, rnd.randint(1, 64)) if kind == "delete" else (kind, at))
        elif kind == "int":
            width, order = rnd.choice((1, 2, 4)), rnd.choice("<>")
            ops.append((kind, at, width, order, rnd.choice(INTERESTING_INTS)))
        elif kind == "splice":
            ops.append((kind, at % (1 << 10), rnd.randint(1, 64), rnd.randrange(100)))
        elif kind == "repeat":
            ops.append((kind, at, rnd.randint(1, 64), rnd.randint(1, 64)))
        else:  # size
            ops.append((kind, *(_random_size(rnd) for _ in range(2))))
    return ops


def _random_size(rnd: random.Random) -> int:
    if rnd.random() < 0.5:
        return rnd.choice(INTERESTING_SIZES)
    return rnd.randrange(1 << 32)


def _apply(data: bytes, op: tuple, seeds: tuple[Seed, ...]) -> bytes:
    kind, *args = op
    n = len(data)
    at = args[0] % (n + 1) if kind not in ("size", "splice") else 0
    if kind == "flip":
        if not n:
            return data
        at %= n
        return data[:at] + bytes([data[at] ^ (1 << args[1])]) + data[at + 1 :]
    if kind == "set":
        at = at % n if n else 0
        return data[:at] + bytes([args[1]]) + data[at + 1 :]
    if kind == "insert":
        return data[:at] + args[1] + data[at:]
    if kind == "delete":
        return data[:at] + data[at + args[1] :]
    if kind == "truncate":
        return data[:at]
    if kind == "int":
        width, order, value = args[1], args[2], args[3]
        packed = struct.pack(order + {1: "B", 2: "H", 4: "I"}[width], value % (1 << (8 * width)))
        return data[:at] + packed + data[at + width :]
    if kind == "splice":  # another file's bytes over ours: e.g. a PNG header on JPEG data
        start, length, which = args
        other = seeds[which % len(seeds)].data
        start %= max(1, len(other))
        piece = other[start : start + length]
        return data[:start] + piece + data[start + len(piece) :]
    if kind == "repeat":  # a run of bytes repeated: duplicated chunks, long marker runs
        length, times = args[1], args[2]
        return data[:at] + data[at : at + length] * times + data[at:]
    if kind == "size":
        return set_declared_size(data, args[0], args[1])
    raise ValueError(f"unknown mutation {kind!r}")


def mutate(seed: Seed, ops: list[tuple], fix_crcs: bool, seeds: tuple[Seed, ...]) -> bytes:
    data = seed.data
    for op in ops:
        data = _apply(data, op, seeds)
    return fix_png_crcs(data) if fix_crcs else data


@dataclass(frozen=True)
class Mutated:
    seed: str
    suffix: str
    data: bytes
    ops: tuple

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        head = self.data[:48]
        return f"Mutated(seed={self.seed!r}, ops={self.ops!r}, {len(self.data)} bytes: {head!r}…)"


def random_mutation(rnd: random.Random, max_ops: int = 6) -> Mutated:
    """``mutations()`` for a plain ``Random`` (see ``random_operations``), with at least one
    operation: the valid seeds need no 10^5 repeats."""
    seeds = seed_images()
    seed = rnd.choice(seeds)
    ops = random_operations(rnd, max_ops, min_ops=1)
    fix = rnd.random() < 0.5
    return Mutated(seed.name, seed.suffix, mutate(seed, ops, fix, seeds), (*ops, ("crc", fix)))


@st.composite
def mutations(draw, max_ops: int = 4) -> Mutated:
    """One seed file with 0..max_ops mutations applied (0 keeps a valid file in the mix)."""
    seeds = seed_images()
    seed = draw(st.sampled_from(seeds))
    ops = draw(st.lists(OPERATION, max_size=max_ops))
    fix = draw(st.booleans())
    return Mutated(seed.name, seed.suffix, mutate(seed, ops, fix, seeds), (*ops, ("crc", fix)))


# -- guards --------------------------------------------------------------------------------


class PeakRss:
    """Peak resident-memory growth of one call, in bytes (Linux only: ``available``).

    Why not ``ru_maxrss``: it is a high-water mark for the whole process, so after one big
    input every later input would look big too. Writing 5 to ``/proc/self/clear_refs``
    resets the mark to the current RSS (Linux >= 4.0), so each call is measured on its own.
    Why not ``RLIMIT_AS`` in a subprocess: a decoder that hits the limit raises
    MemoryError, which a loader that maps every failure to its own error would hide, and
    address space counts reservations that are never touched (thread stacks, allocator
    arenas); resident memory is what runs a server out of memory. What a call costs can
    depend on the allocator's state: glibc serves a calloc from the heap (and so touches it)
    once an earlier free raised its mmap threshold, as in any long-running server.
    """

    def __init__(self) -> None:
        self.available = self._reset()

    @staticmethod
    def _status(field: str) -> int:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise OSError(f"no {field} in /proc/self/status")

    def _reset(self) -> bool:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
                f.write("5")
            self._status("VmHWM")
        except OSError:
            return False
        return True

    @contextlib.contextmanager
    def measure(self) -> Iterator[list[int]]:
        """``with peak.measure() as grew:`` ... then ``grew[0]`` is the growth in bytes."""
        grew = [0]
        if not self.available:
            yield grew
            return
        self._reset()
        before = self._status("VmRSS")
        try:
            yield grew
        finally:
            grew[0] = max(0, self._status("VmHWM") - before)


class TooSlow(BaseException):
    """Raised by ``cpu_time_limit`` (not an ``Exception``: no handler under test catches it)."""


@contextlib.contextmanager
def cpu_time_limit(seconds: float, hang_after: float | None = None) -> Iterator[None]:
    """Interrupt the block with ``TooSlow`` after ``seconds`` of process CPU time, and end
    the process if it is still inside after ``hang_after`` seconds of wall time.

    A CPU timer (``ITIMER_PROF``, SIGPROF) rather than a wall clock: it does not clash with
    pytest-timeout's SIGALRM, and a spinning decoder is what it is for. Python-level loops
    are interrupted at once; a loop inside C returns to Python first. A call that never
    returns to Python (a C loop, a blocking read) is what ``hang_after`` (default: 10 x
    ``seconds``) is for: faulthandler prints every thread's stack and exits, and the input
    is the last file ``write_input`` wrote. Main thread only.
    """
    if not hasattr(signal, "setitimer"):
        yield
        return

    def fire(signum, frame):
        raise TooSlow(f"more than {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, fire)
    faulthandler.dump_traceback_later(10 * seconds if hang_after is None else hang_after, exit=True)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGPROF, previous)


def write_input(folder: Path, mutated: Mutated) -> Path:
    """The mutated bytes as a file with the seed's extension (the same name every time)."""
    path = folder / f"fuzz{mutated.suffix}"
    path.write_bytes(mutated.data)
    return path
