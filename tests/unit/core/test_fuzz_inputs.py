"""Fuzzing what a visitor can send: image files to the one safe loader, and typed values to
the text and number cleaners.

The property everywhere: a value comes out clean (a fully decoded 8-bit RGB image, a tidy
string, a number in range) or one of our own errors (``BadImageError`` / ``BadInputError``,
both ``MMDemoError``) is raised - never a ``struct.error``, ``TypeError``, ``OverflowError``...
that the UI would show as "something went wrong on our side". For images also: no input
runs long (a CPU-time limit interrupts a spin; no wall-clock deadline, which a loaded machine
would break)
and none makes one decode allocate past a budget (peak resident memory of that one call,
``tests/support/mutations.PeakRss`` says why this measure).

Two tiers:

* the default suite: a few hundred seeded examples per property (``derandomize=True``: the
  same inputs every run), a few seconds in all;
* ``python -m pytest -m slow tests/unit/core/test_fuzz_inputs.py``: 10^5 mutated image
  files, each decoded from bytes and from a file (random each run; a failure prints the
  ``@reproduce_failure`` blob). Minutes.

Known bugs in code these tests do not own are listed in ``KNOWN_BUGS``: the fuzzers skip
those input classes (``assume``) and one strict xfail test per bug pins the minimal input.
When a bug is fixed its xfail test starts to pass and fails as XPASS: then delete the
test's mark and the class from the fuzzer's skip.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
import mmap
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from mmdemo.core.errors import BadImageError, BadInputError, MMDemoError
from mmdemo.core.imaging import DEFAULT_MAX_PIXELS, image_from_upload, load_image
from mmdemo.core.text import MAX_QUESTION_CHARS, check_question
from mmdemo.models.backends.zero_shot import MAX_LABEL_CHARS, MAX_LABELS, parse_labels
from mmdemo.services.search import clamp_k, clean_query
from mmdemo.services.tasks import fraction, whole_number
from tests.support.app_process import run_python
from tests.support.mutations import (
    Mutated,
    PeakRss,
    TooSlow,
    cpu_time_limit,
    mutations,
    random_mutation,
    seed_images,
    write_input,
)

# A small pixel limit, so that the memory budget can be tight: the loader's contract is that
# memory follows max_pixels. The worst honest decode at 2**18 pixels (a float TIFF: 1 MiB of
# pixels, three float64 temporaries while scaling, the RGB result) needs ~10 MiB; 64 MiB
# only fails a decode that allocates for a size it should have refused.
FUZZ_MAX_PIXELS = 1 << 18
MEMORY_BUDGET = 64 << 20
CPU_LIMIT_S = 5.0  # per decode: a spinning decoder is interrupted (then shrunk); ms is usual

SEEDED = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,  # no timing assumption on a loaded machine; a hang meets the CPU limit
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SEEDED, max_examples=150)  # the cheaper properties: a wide strategy, fast code
SLOW_EXAMPLES, SLOW_BATCH = 100_000, 100
SLOW = settings(
    SEEDED,
    max_examples=SLOW_EXAMPLES // SLOW_BATCH,
    derandomize=False,
    deadline=None,  # per input: the CPU-time limit; a batch of 100 takes about a second
    phases=[Phase.generate],  # shrinking a batch's seed means nothing: the message has the input
)

ours = (BadImageError, BadInputError)  # both MMDemoError


def test_our_error_types_are_mmdemo_errors():
    assert all(issubclass(kind, MMDemoError) for kind in ours)


# -- known bugs (in files these tests do not own) ------------------------------------------

KNOWN_BUGS: dict[str, str] = {}  # none open; fixed ones are pinned by plain tests below


# -- the image loader ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def peak() -> PeakRss:
    """Every seed decoded once first: codecs' one-off set-up is not blamed on an input."""
    for seed in seed_images():
        load_image(seed.data)
    return PeakRss()


def assert_clean_image(image: object, max_pixels: int = FUZZ_MAX_PIXELS) -> None:
    """A fully decoded 8-bit RGB image of at least one pixel, within the pixel limit."""
    assert isinstance(image, Image.Image), type(image)
    assert image.mode == "RGB", image.mode
    width, height = image.size
    assert width >= 1 and height >= 1 and width * height <= max_pixels, image.size
    assert getattr(image, "fp", None) is None  # detached from the file
    assert len(image.tobytes()) == width * height * 3


def decode(source, peak: PeakRss, **kwargs) -> tuple[Image.Image | BadImageError, int]:
    """The loader's outcome (image, or our error) and the memory the call added."""
    with peak.measure() as grew, cpu_time_limit(CPU_LIMIT_S):
        try:
            out: Image.Image | BadImageError = load_image(source, **kwargs)
        except BadImageError as err:
            out = err
    return out, grew[0]


def check_loader(mutated: Mutated, folder: Path, peak: PeakRss, stats: dict | None = None):
    """Bytes and a file of the same mutated image: clean outcomes, the same verdict, in budget."""
    path = write_input(folder, mutated)
    outcomes = []
    for source in (mutated.data, path):
        out, grew = decode(source, peak, max_pixels=FUZZ_MAX_PIXELS)
        assert grew <= MEMORY_BUDGET, f"one decode grew resident memory by {grew >> 20} MiB"
        if isinstance(out, Image.Image):
            assert_clean_image(out)
        outcomes.append(out)
        if stats is not None:
            if grew > stats["max_rss"]:
                stats["max_rss"], stats["max_rss_input"] = grew, mutated
            stats["images" if isinstance(out, Image.Image) else "refused"] += 1
    from_bytes, from_file = outcomes
    # one loader: a file and its bytes get the same verdict, and the same pixels
    assert isinstance(from_bytes, Image.Image) == isinstance(from_file, Image.Image), outcomes
    if isinstance(from_bytes, Image.Image):
        assert from_bytes.size == from_file.size
        if from_bytes.tobytes() != from_file.tobytes():
            # a decoder that leaves pixels unwritten: tolerated (and counted) only when the
            # same bytes decode to other pixels again, i.e. not a difference of the loader's
            assert _undefined_pixels(mutated.data), "a file and its bytes gave other pixels"
            if stats is not None:
                stats["undefined"] += 1
                stats["undefined_examples"] = [*stats.get("undefined_examples", ()), mutated][:3]


def _undefined_pixels(data: bytes) -> bool:
    """Whether ``data`` decodes to other pixels when freshly allocated memory holds other bytes.

    Why: some decoders stop early on a corrupt file without an error (Pillow 12.3 / libtiff
    4.7: a JPEG-compressed TIFF that declares more pixels than its strips hold), leaving part
    of the image as whatever the allocator returned: heap contents, other on each decode.
    glibc's ``M_PERTURB`` fills every malloc'd block with a chosen byte (Pillow's cache of
    freed image blocks is off meanwhile), so such pixels differ between the two decodes.
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc only
    blocks = Image.core.get_blocks_max()

    def decode_with(fill: int) -> bytes:
        if mallopt is not None:
            mallopt(M_PERTURB, fill)
        Image.core.set_blocks_max(0)
        try:
            return load_image(data, max_pixels=FUZZ_MAX_PIXELS).tobytes()
        finally:
            if mallopt is not None:
                mallopt(M_PERTURB, 0)
            Image.core.set_blocks_max(blocks)

    return decode_with(0x11) != decode_with(0xEE)


M_PERTURB = -6  # mallopt's parameter number in glibc's malloc.h


@SEEDED
@given(mutated=mutations())
def test_mutated_images_decode_cleanly_or_raise_bad_image_error(mutated, fuzz_dir, peak):
    check_loader(mutated, fuzz_dir, peak)


def test_every_seed_image_is_valid(peak):
    """Without mutations each seed decodes (the fuzzer starts from valid files)."""
    for seed in seed_images():
        out, _ = decode(seed.data, peak, max_pixels=FUZZ_MAX_PIXELS)
        assert_clean_image(out)


def test_the_guards_catch_what_they_are_for(peak):
    """The memory measure sees a big allocation, and the CPU limit stops a spin."""
    if peak.available:
        # fresh pages from the kernel: a numpy array could reuse heap pages an earlier test
        # freed (already resident), and then nothing would grow
        with peak.measure() as grew, mmap.mmap(-1, MEMORY_BUDGET + (8 << 20)) as block:
            np.frombuffer(block, dtype=np.uint8)[:] = 1
        assert grew[0] > MEMORY_BUDGET
    with pytest.raises(TooSlow), cpu_time_limit(0.2):
        while True:
            pass


def test_a_call_that_hangs_outside_python_ends_the_process():
    """A wait that uses no CPU (as a C loop blocked on I/O would) escapes the CPU limit; the
    wall-clock backstop ends the run with a stack dump instead of hanging the suite."""
    code = (
        "import time; from tests.support.mutations import cpu_time_limit\n"
        "with cpu_time_limit(0.1, hang_after=0.5):\n    time.sleep(30)\n"
    )
    started = time.perf_counter()
    result = run_python(code, timeout=60)
    assert result.returncode != 0 and "Timeout" in result.stderr, result.stderr
    assert time.perf_counter() - started < 20


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_slow_fuzz_of_the_image_loader(tmp_path_factory, peak):
    """10^5 mutated files, each from bytes and from a file; prints what ran and how long.

    Hypothesis draws a ``Random`` per batch of ``SLOW_BATCH`` inputs (its own cost per
    example would otherwise dominate); a failure names the input's seed and operations.
    """
    folder = tmp_path_factory.mktemp("slow-fuzz")
    stats = {"inputs": 0, "images": 0, "refused": 0, "max_rss": 0, "undefined": 0}
    slowest = [0.0, None]  # seconds, input
    distinct: set[bytes] = set()  # digests: some mutations change nothing, some coincide

    @SLOW
    @given(rnd=st.randoms(use_true_random=True))
    def fuzz(rnd):
        for _ in range(SLOW_BATCH):
            mutated = random_mutation(rnd)
            stats["inputs"] += 1
            distinct.add(hashlib.blake2b(mutated.data, digest_size=16).digest())
            began = time.perf_counter()
            try:
                check_loader(mutated, folder, peak, stats)
            except (AssertionError, TooSlow) as err:
                raise AssertionError(f"{mutated!r}: {err}") from err
            if (took := time.perf_counter() - began) > slowest[0]:
                slowest[:] = took, mutated

    started = time.perf_counter()
    fuzz()
    seconds = time.perf_counter() - started
    print(
        f"\nslow image fuzz: {stats['inputs']} mutated inputs, {len(distinct)} distinct; "
        f"{stats['images']} decodes gave an image, "
        f"{stats['refused']} a BadImageError; {seconds:.0f} s. Largest peak-memory growth of "
        f"one decode: {stats['max_rss'] / 2**20:.1f} MiB (budget {MEMORY_BUDGET >> 20} MiB), "
        f"{stats.get('max_rss_input')!r}. "
        f"Slowest input: {slowest[0]:.2f} s for both decodes (CPU limit {CPU_LIMIT_S} s "
        f"each), {slowest[1]!r}. Decoded with undefined pixels (heap contents): "
        f"{stats['undefined']}, e.g. {stats.get('undefined_examples', [])!r}"
    )
    assert stats["inputs"] == SLOW_EXAMPLES
    assert stats["undefined"] == 0, "a decode handed back heap memory as pixels (see above)"
    assert len(distinct) >= 0.9 * stats["inputs"]  # 10^5 different files, not a few repeated


# -- image_from_upload: whatever a handler can be handed ------------------------------------

MODES = (
    "1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "I", "F", "LA", "PA", "RGBX",
    "RGBa", "La", "I;16", "I;16L", "I;16B", "I;16N",
)  # fmt: skip


@st.composite
def pil_images(draw) -> Image.Image:
    mode = draw(st.sampled_from(MODES))
    size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    image = Image.new(mode, size)
    image.frombytes(draw(st.binary(min_size=len(image.tobytes()), max_size=len(image.tobytes()))))
    if mode == "P":
        image.putpalette(draw(st.binary(min_size=3, max_size=768)))
    if draw(st.booleans()):
        image.info["transparency"] = draw(
            st.integers(0, 255) | st.tuples(*[st.integers(0, 255)] * 3) | st.binary(max_size=4)
        )
    if draw(st.booleans()):
        image.getexif()[0x0112] = draw(st.integers(0, 10))  # EXIF orientation, some invalid
    return image


ARRAY_DTYPES = (
    np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.int64, np.float16,
    np.float32, np.float64, np.bool_, np.complex64,
)  # fmt: skip
arrays = hnp.arrays(
    dtype=st.sampled_from(ARRAY_DTYPES),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
FORMS = (
    "bytes", "bytearray", "memoryview", "str", "pathlib", "dict", "dict-orig-name",
    "object-path", "object-name", "list", "two-items", "empty-list", "outside-root",
)  # fmt: skip


@FEW
@given(
    form=st.sampled_from(FORMS),
    mutated=mutations(max_ops=2),
    display=st.text(min_size=1, max_size=30),
)
def test_image_from_upload_with_files_in_every_form(form, mutated, display, fuzz_dir, peak):
    root = fuzz_dir / "uploads"
    root.mkdir(exist_ok=True)
    path = write_input(root, mutated)
    value = {
        "bytes": mutated.data,
        "bytearray": bytearray(mutated.data),
        "memoryview": memoryview(mutated.data),
        "str": str(path),
        "pathlib": path,
        "dict": {"path": str(path), "meta": {"_type": "gradio.FileData"}},
        "dict-orig-name": {"path": str(path), "orig_name": display},
        "object-path": SimpleNamespace(path=str(path), orig_name=display),
        "object-name": SimpleNamespace(name=str(path)),
        "list": [str(path)],
        "two-items": [str(path), str(path)],
        "empty-list": [],
        "outside-root": str(write_input(fuzz_dir, mutated)),
    }[form]
    with peak.measure() as grew, cpu_time_limit(CPU_LIMIT_S):
        try:
            result = image_from_upload(value, allowed_root=root, max_pixels=FUZZ_MAX_PIXELS)
        except ours as err:
            result = err
    assert grew[0] <= MEMORY_BUDGET, f"one decode grew resident memory by {grew[0] >> 20} MiB"
    if isinstance(result, BaseException):
        return
    image, name = result
    assert form not in ("two-items", "empty-list", "outside-root")
    assert_clean_image(image)
    assert isinstance(name, str) and name
    if form in ("dict-orig-name", "object-path"):
        assert name == display


@FEW
@given(value=pil_images() | arrays)
def test_image_from_upload_with_decoded_images_and_arrays(value):
    try:
        image, name = image_from_upload(value)
    except ours:
        return
    assert_clean_image(image, max_pixels=36)
    assert name == "upload"


@FEW
@given(
    value=json_values
    | st.lists(json_values, max_size=2)
    | st.fixed_dictionaries({"path": json_values}, optional={"orig_name": json_values})
    | st.just(b"")
    | st.builds(SimpleNamespace, path=st.none() | st.just(""), name=st.none() | st.just(""))
    | st.sampled_from(["/no/such/file.png", ".", "/", "x" * 5000, "/dev/null", "~", "/proc"])
)
def test_image_from_upload_with_anything_else(value):
    """What a crafted API call could send instead of a file: our error, never another."""
    try:
        image, name = image_from_upload(value)
    except ours:
        return
    assert_clean_image(image, max_pixels=DEFAULT_MAX_PIXELS)
    assert isinstance(name, str)


# -- the text and number cleaners -----------------------------------------------------------

whitespace_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000"),
    max_size=60,
)
numeric_text = st.sampled_from(
    ["1e309", "-1e309", "nan", "-inf", "inf", "-0", " 7 ", "1_000", "0x10", "٣", "１２", "3.9",
     "-3.9", "+5", "1e-400", "9" * 400, "0.5", "1.0000000001", "", " ", "five"]
)  # fmt: skip
python_objects = st.sampled_from(
    [b"7", bytearray(b"7"), np.float32("nan"), np.float64(2.5), np.int64(7), np.bool_(True),
     Decimal("1.5"), Decimal("NaN"), Decimal("sNaN"), Decimal("1e999999"), Fraction(1, 3),
     complex(1, 1), 10**400, -(10**400), 2**63, float("nan"), object(), (), set(), range(3)]
)  # fmt: skip
anything = json_values | whitespace_text | numeric_text | python_objects


def _tidy(text: str) -> bool:
    return text == " ".join(text.split())


@FEW
@given(value=anything)
def test_check_question(value):
    tidied = " ".join(value.split()) if isinstance(value, str) else None
    try:
        question = check_question(value)
    except BadInputError:
        assert not tidied or len(tidied) > MAX_QUESTION_CHARS
        return
    assert question == tidied and 1 <= len(question) <= MAX_QUESTION_CHARS
    assert check_question(question) == question


@FEW
@given(value=anything)
def test_clean_query(value):
    try:
        query = clean_query(value)
    except BadInputError:
        return
    assert isinstance(query, str) and query and _tidy(query)
    assert clean_query(query) == query
    if isinstance(value, str):
        assert query == " ".join(value.split())


@FEW
@given(value=anything, max_k=st.integers(1, 10_000))
def test_clamp_k(value, max_k):
    try:
        k = clamp_k(value, max_k)
    except BadInputError:
        return
    assert type(k) is int and 1 <= k <= max_k
    number = float(value)  # type: ignore[arg-type]
    assert k == max(1, min(int(number), max_k))


@FEW
@given(
    value=anything,
    low=st.integers(-5, 5),
    span=st.none() | st.integers(0, 1000),
)
def test_whole_number(value, low, span):
    high = None if span is None else low + span
    try:
        number = whole_number(value, "The count", low, high)
    except BadInputError as err:
        assert str(err).startswith("The count must be")
        return
    assert type(number) is int and number >= low and (high is None or number <= high)
    assert number == int(float(value))  # type: ignore[arg-type]


@FEW
@given(value=anything)
def test_fraction(value):
    try:
        number = fraction(value, "The weight", 0.25)
    except BadInputError as err:
        assert str(err).startswith("The weight must be")
        return
    assert isinstance(number, float) and 0.0 <= number <= 1.0 and not math.isnan(number)
    assert number == (0.25 if value is None else float(value))  # type: ignore[arg-type]


labels_text = st.lists(
    st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(["cat", "Cat", " dog "]),
    max_size=8,
).flatmap(lambda parts: st.sampled_from([",", "\n", ";", ", "]).map(lambda sep: sep.join(parts)))


@FEW
@given(value=labels_text | st.lists(anything, max_size=6) | json_values | whitespace_text)
def test_parse_labels(value):
    try:
        labels = parse_labels(value)
    except BadInputError:
        return
    assert 2 <= len(labels) <= MAX_LABELS
    for label in labels:
        assert isinstance(label, str) and 1 <= len(label) <= MAX_LABEL_CHARS
        assert _tidy(label)
    assert len({label.lower() for label in labels}) == len(labels)


# -- bugs, each pinned by its minimal input (the known ones as strict xfails) ------------


def _known(bug: str, raises: type[BaseException] | None = None):
    return pytest.mark.xfail(strict=True, reason=f"BUG: {KNOWN_BUGS[bug]}", raises=raises)


@pytest.mark.parametrize("data", [b"\x00", b"BM", b"\xff\xd8\xff"])
def test_a_one_to_three_byte_file_is_a_bad_image(data, tmp_path):
    with pytest.raises(BadImageError):
        load_image(data)
    path = tmp_path / "tiny.png"
    path.write_bytes(data)
    with pytest.raises(BadImageError):
        image_from_upload(str(path))


def test_a_path_with_a_nul_byte_is_a_bad_image():
    with pytest.raises(BadImageError):
        load_image("photo\x00.png")


@pytest.mark.parametrize("value", [{"path": 5}, {"path": b"/tmp/x.png"}, {"path": ["x"]}])
def test_a_path_that_is_not_text_is_bad_input(value):
    with pytest.raises(BadInputError):
        image_from_upload(value)


def test_raw_bytes_are_held_to_the_pixel_limit():
    data = io.BytesIO()
    Image.new("RGB", (40, 30)).save(data, "PNG")
    with pytest.raises(BadImageError, match="more than the limit of 1,000 pixels"):
        image_from_upload(data.getvalue(), max_pixels=1_000)


def test_the_display_name_is_always_text(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (2, 2)).save(path)
    _, name = image_from_upload({"path": str(path), "orig_name": 5})
    assert isinstance(name, str)


@pytest.mark.parametrize(
    "value", [np.zeros((0, 3), np.uint8), np.zeros((4, 0, 3), np.uint8), Image.new("RGB", (0, 0))]
)
def test_an_image_of_no_pixels_is_a_bad_image(value):
    with pytest.raises(BadImageError):
        image_from_upload(value)


@pytest.mark.parametrize(
    "value", [10**400, -(10**400), Fraction(10**400, 3)], ids=["1e400", "-1e400", "fraction"]
)
def test_fraction_of_a_huge_number_is_bad_input(value):
    with pytest.raises(BadInputError):
        fraction(value, "The weight", 0.5)


@pytest.mark.parametrize("value", [None, 5, 2.5, True])
def test_labels_that_are_not_text_are_bad_input(value):
    with pytest.raises(BadInputError):
        parse_labels(value)


def test_a_cut_label_has_no_trailing_space():
    labels = parse_labels("a" * (MAX_LABEL_CHARS - 1) + " b, c")
    assert labels[0] == "a" * (MAX_LABEL_CHARS - 1)
