"""A corpus of bad inputs sent to the real app (``python app.py``, tiny preset), through
``gradio_client`` and through raw HTTP (``/gradio_api/call/<name>``: POST, then read the
event stream), as a careless or hostile visitor would.

Each case is either refused with a clear message - one that names the problem (a regex per
case), is not "Something went wrong", carries no traceback and no path of the server's, and
that a Chinese visitor reads whole in Chinese (``core.locales``: every part translated,
the same numbers and names kept) - or, for an odd input that is still fine (an animated
GIF, an emoji-only text, a call that leaves out optional inputs), answered normally. After
every case the server must still answer ``/info``. The session's tiny app serves the whole
corpus (no case may change its gallery: the one ``index_add`` case must be refused), so a
case that broke the server would show in the tests that use it after this module.
"""

from __future__ import annotations

import io
import json
import re
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from mmdemo.core.i18n import has_cjk, translate, translated
from tests.integration.test_toast_messages import assert_plain
from tests.support.app_process import REPO_ROOT, AppProcess
from tests.support.catalogue import english_left
from tests.support.uploads import raw_upload, tiny_png_declaring

pytestmark = pytest.mark.integration

OK = None  # a case whose input is odd but usable: it must be answered, not refused
VAGUE = ("Something went wrong", "Traceback", 'File "', "upstream Gradio app")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# -- the server and two ways to call it ----------------------------------------------------


@pytest.fixture(scope="module")
def app(app_server) -> AppProcess:
    """The session's tiny app (tests/conftest.py): one app start fewer per run."""
    return app_server


@pytest.fixture(scope="module")
def client(gradio_client):
    return gradio_client


@dataclass
class Outcome:
    """What a call came back with: an error message, or a result (``ok``)."""

    ok: bool
    message: str = ""
    result: Any = None
    status: int = 200  # the HTTP status of the POST (raw calls only)


def raw_post(url: str, api_name: str, body: bytes) -> Outcome:
    """POST ``body`` to ``/gradio_api/call/<api_name>``, then read its event stream."""
    request = urllib.request.Request(
        f"{url}gradio_api/call/{api_name}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    try:
        with OPENER.open(request, timeout=30) as response:
            event_id = json.loads(response.read())["event_id"]
    except urllib.error.HTTPError as err:  # refused before the queue: the body says why
        return Outcome(False, err.read().decode(errors="replace"), status=err.code)
    with OPENER.open(f"{url}gradio_api/call/{api_name}/{event_id}", timeout=60) as response:
        stream = response.read().decode()
    event = re.search(r"^event: (\w+)\ndata: (.*)$", stream, re.M)
    assert event, stream
    kind, data = event.group(1), json.loads(event.group(2))
    if kind == "complete":
        return Outcome(True, result=data)
    assert kind == "error", stream
    return Outcome(False, (data or {}).get("error") or "")


# -- the images ----------------------------------------------------------------------------


def png(size: tuple[int, int], mode: str = "RGB", **save) -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, size)
    if mode == "RGB":
        image = Image.fromarray(
            np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), np.uint8)
        )
    image.save(out, "PNG", **save)
    return out.getvalue()


def jpeg(image: Image.Image, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", **save)
    return out.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims ``width`` x ``height``."""
    data = bytearray(jpeg(Image.new("RGB", (16, 16), (9, 9, 9))))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose logical screen and only frame are ``width`` x ``height`` (here: 0 wide)."""
    screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return b"GIF89a" + screen + frame + b"\x02\x02\x44\x01\x00;"


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (24, 24), c) for c in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return out.getvalue()


def exif_rotated_jpeg() -> bytes:
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    return jpeg(image, exif=exif.tobytes())


def sixteen_bit_png() -> bytes:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (16, 1))
    out = io.BytesIO()
    Image.fromarray(ramp).save(out, "PNG")
    return out.getvalue()


def ico() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(out, "ICO")
    return out.getvalue()


def big_smooth_jpeg() -> bytes:
    """6000x4000 (24 megapixels) but a few hundred KB: a phone photo's size."""
    ramp = np.linspace(0, 255, 6000, dtype=np.uint8)
    return jpeg(Image.fromarray(np.tile(ramp, (4000, 1))).convert("RGB"), quality=30)


SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

# name -> (file content, expected message or OK)
IMAGES: dict[str, tuple[Callable[[], bytes], str | None]] = {
    "thin_1x60000.png": (lambda: png((1, 60000)), r"1x60000 pixels.*60,000 times"),
    "thin_20000x1.png": (lambda: png((20000, 1)), r"20000x1 pixels.*limit of 100 to 1"),
    "bomb_50000x50000.png": (
        lambda: tiny_png_declaring(50_000, 50_000),
        r"50000x50000 pixels.*limit of 64,000,000",
    ),
    "bomb_65000x65000.jpg": (lambda: jpeg_declaring(65000, 65000), r"65000x65000 pixels"),
    "no_pixels.gif": (lambda: gif_declaring(0, 16), r"no pixels|corrupt|not an image"),
    "truncated.png": (lambda: png((300, 300))[:400], r"truncated\.png: .*(corrupt|truncated)"),
    "signature_only.png": (lambda: b"\x89PNG\r\n\x1a\n", r"signature_only\.png: "),
    # a BMP signature and nothing more: named a truncated BMP
    "two_bytes.bmp": (lambda: b"BM", r"two_bytes\.bmp: the image header is corrupt or truncated"),
    "empty.png": (lambda: b"", r"empty\.png: the file is empty \(0 bytes\)"),
    "notes.png": (lambda: b"just some text, not a picture", r"notes\.png: is not an image"),
    "drawing.svg": (lambda: SVG, r"drawing\.svg: is not an image"),
    "page.html": (lambda: SCRIPT, r"page\.html: is not an image"),
    "paper.pdf": (lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\n", r"paper\.pdf: is not an image"),
    "icon.ico": (ico, r"icon\.ico: is not an image in a supported format"),
    "polyglot.html": (lambda: png((32, 32)) + SCRIPT, OK),  # a real PNG, whatever its name
    "polyglot.svg": (lambda: png((32, 32)) + SVG, OK),
    "animated.gif": (animated_gif, OK),
    "cmyk.jpg": (lambda: jpeg(Image.new("CMYK", (32, 32), (0, 255, 255, 0))), OK),
    "sixteen_bit.png": (sixteen_bit_png, OK),
    "exif_rotated.jpg": (exif_rotated_jpeg, OK),
    "palette_alpha.png": (lambda: png((32, 32), "P", transparency=0), OK),
    "strip_4x256.png": (lambda: png((4, 256)), OK),  # 64:1 is thin but allowed
    "big_24mp.jpg": (big_smooth_jpeg, OK),  # decoded at a reduced scale (Image.draft)
}


# -- the cases -----------------------------------------------------------------------------


@dataclass
class Case:
    """``data`` is the call's input list; ``File(name)`` items are uploaded first.

    ``via``: "client" (gradio_client), "raw" (HTTP, JSON ``data``) or "body" (HTTP, this
    exact request body, for JSON that is not a list or not JSON at all).
    """

    id: str
    api: str
    data: list = field(default_factory=list)
    expect: str | None = OK  # a regex the message must match, or OK
    via: str = "raw"
    body: str = ""
    status: int = 200


@dataclass(frozen=True)
class File:
    name: str
    content: bytes | None = None  # None: IMAGES[name]


GOOD = File("good.png", b"")  # a small valid PNG (filled in at upload time)


def image_cases() -> list[Case]:
    cases = []
    for name, (_, expect) in IMAGES.items():
        # every file through classify by client, and through raw HTTP to another task
        cases.append(Case(f"image-{name}-classify", "classify", [File(name)], expect, "client"))
    for name in ("thin_1x60000.png", "truncated.png", "polyglot.svg", "animated.gif"):
        expect = IMAGES[name][1]
        cases += [
            Case(f"image-{name}-search_image", "search_image", [File(name), "", 0.3, 1], expect),
            Case(f"image-{name}-caption", "caption", [File(name)], expect),
        ]
    thin = IMAGES["thin_1x60000.png"][1]
    cases += [
        Case("image-thin-vqa", "vqa", [File("thin_1x60000.png"), "what is it?"], thin),
        Case("image-thin-sentiment", "sentiment", ["", File("thin_1x60000.png")], thin),
        Case("image-thin-image_to_text", "search_image_to_text", [File("thin_1x60000.png")], thin),
        # ViLT's processor fails on shapes past ~20:1 (3.3:1 for the tiny one): it pads them
        Case(
            "image-strip-vilt",
            "vqa",
            [File("strip_4x256.png"), "what is it?", "product", "vilt-vqa-tiny"],
        ),
        Case(
            "image-two-files-for-one",
            "classify",
            [[File("cmyk.jpg"), File("animated.gif")]],
            r"Input 1 \(upload\) of /classify must be an uploaded file.*valid dictionary",
        ),
    ]
    return cases


BIG = "x" * 100_000
CONTROL = "\x00\x01\x07\x1b[31mred\x7f"
RTL = "\u202egnp.exe"
EMOJI = "😀🎉🐱‍👤"

TEXT_CASES = [
    Case("text-empty-search", "search_text", ["", 1], r"search text is empty"),
    Case("text-whitespace-search", "search_text", [" \t\n\u3000 ", 1], r"search text is empty"),
    Case("text-100k-search", "search_text", [BIG, 1]),  # cut to what CLIP reads
    Case("text-control-search", "search_text", [CONTROL, 1]),
    Case("text-rtl-search", "search_text", [RTL, 1]),
    Case("text-emoji-search", "search_text", [EMOJI, 1]),
    Case("text-dict-search", "search_text", [{"text": "a cat"}, 1], r"must be text, not dict"),
    Case("text-list-search", "search_text", [["a", "cat"], 1], r"must be text, not list"),
    Case("text-number-search", "search_text", [42, 1], r"must be text, not int"),
    Case("text-empty-question", "vqa", [GOOD, ""], r"question is empty"),
    Case("text-100k-question", "vqa", [GOOD, BIG], r"100000 characters long; the limit is 500"),
    Case("text-dict-question", "vqa", [GOOD, {"q": "?"}], r"question must be text, not dict"),
    Case("text-nul-question", "vqa", [GOOD, "what\x00 is this?"]),
    Case("text-empty-sentiment", "sentiment", [""], r"Give a text, an image, or both"),
    Case("text-100k-sentiment", "sentiment", [BIG]),
    Case("text-rtl-sentiment", "sentiment", [RTL]),
    Case("text-emoji-sentiment", "sentiment", [EMOJI]),
    Case("text-dict-sentiment", "sentiment", [{"t": 1}], r"The text must be text, not dict"),
    Case("text-100k-prefix", "caption", [GOOD, "beam", 5, BIG], r"prefix is 100000 characters"),
    Case("text-dict-prefix", "caption", [GOOD, "beam", 5, {"p": 1}], r"prefix must be text"),
    Case("labels-one", "classify", [GOOD, "cat"], r"at least two different labels"),
    Case("labels-same", "classify", [GOOD, "cat, CAT , Cat"], r"at least two different"),
    Case("labels-separators", "classify", [GOOD, ",,;;\n\n"], r"at least two different"),
    Case("labels-60000", "classify", [GOOD, "x," * 60_000], r"120,000 characters.*10,000"),
    Case(
        "labels-2000",
        "classify",
        [GOOD, ",".join(str(i) for i in range(2000))],
        r"Too many labels \(2,000\); the limit is 50",
    ),
    Case("labels-control", "classify", [GOOD, "a\x00b, c\x1bd, " + RTL]),
    Case("labels-emoji", "classify", [GOOD, "😀, 😢, 🐱"]),
    Case("labels-number", "classify", [GOOD, 5], r"labels must be text.*not int"),
    Case("labels-dict", "classify", [GOOD, {"cat": 1}], r"labels must be text.*not dict"),
    Case("labels-list-of-numbers", "classify", [GOOD, [1, 2]], r"Each label must be text"),
]
for template in ("{}{}", "{x} {}", "a {} {", "}", "{0}", "a {} of {{}}"):
    TEXT_CASES.append(
        Case(
            f"template-{template}",
            "classify",
            [GOOD, "cat, dog", template],
            r"prompt template .* put \{\} once where the label goes",
        )
    )
TEXT_CASES += [
    Case("template-long", "classify", [GOOD, "cat, dog", "y" * 300], r"300 characters.*200"),
    Case("template-number", "classify", [GOOD, "cat, dog", 7], r"template must be text"),
    Case("template-none-of-it", "classify", [GOOD, "cat, dog", "a photo of"]),  # label after
]

K_MESSAGE = r"The number of results must be a whole number, not "
LENGTH = r"Max new tokens must be "
WEIGHT = r"The text weight must be (a number )?between 0 and 1, not "


NUMBER_CASES = [
    # JSON has no inf/nan, but Python's json (which Gradio's server uses) reads these words
    Case("k-inf", "search_text", via="body", expect=K_MESSAGE + "inf"),
    Case("k-minus-inf", "search_text", via="body", expect=K_MESSAGE + "-inf"),
    Case("k-nan", "search_text", via="body", expect=K_MESSAGE + "nan"),
    Case("k-text", "search_text", ["a cat", "many"], K_MESSAGE + "'many'"),
    Case("k-null", "search_text", ["a cat", None], K_MESSAGE + "None"),
    Case("k-dict", "search_text", ["a cat", {"k": 1}], K_MESSAGE + r"\{'k': 1\}"),
    Case("k-negative", "search_text", ["a cat", -5]),  # clamped to 1
    Case("k-zero", "search_text", ["a cat", 0]),
    Case("k-huge", "search_text", ["a cat", 1e308]),  # clamped to the limit
    Case("k-bool", "search_text", ["a cat", True]),
    Case("length-inf", "caption", via="body", expect=LENGTH + "a whole number, not inf"),
    Case("length-nan", "caption", via="body", expect=LENGTH + "a whole number, not nan"),
    Case("length-negative", "caption", [GOOD, "beam", -1], LENGTH + "at least 1, not -1"),
    Case("length-zero", "caption", [GOOD, "beam", 0], LENGTH + "at least 1, not 0"),
    Case("length-huge", "caption", [GOOD, "beam", 10**6], r"between 5 and 100 tokens"),
    Case("length-text", "caption", [GOOD, "beam", "long"], LENGTH + "a whole number"),
    Case("length-null", "caption", [GOOD, "beam", None], LENGTH + "a whole number, not None"),
    Case("length-bool", "caption", [GOOD, "beam", True], r"between 5 and 100 tokens, not 1"),
    Case("weight-text", "search_image", [GOOD, "at night", "heavy", 1], WEIGHT + "'heavy'"),
    Case("weight-inf", "search_image", via="body", expect=WEIGHT + "inf"),
    Case("weight-nan", "search_image", via="body", expect=WEIGHT + "nan"),
    Case("weight-negative", "search_image", [GOOD, "at night", -0.5, 1], WEIGHT + "-0.5"),
    Case("weight-above-one", "search_image", [GOOD, "at night", 2, 1], WEIGHT + "2"),
    Case("weight-null", "search_image", [GOOD, "at night", None, 1], WEIGHT + "None"),
    Case("weight-no-text", "search_image", [GOOD, "", "ignored", 1]),  # no text: no weight
    Case("sentiment-weight-text", "sentiment", ["nice", None, "late", "half"], WEIGHT + "'half'"),
    Case("sentiment-weight-huge", "sentiment", ["nice", None, "late", 1e300], WEIGHT + "1e"),
    Case("sentiment-weight-null", "sentiment", ["nice", None, "late", None]),  # the default
    Case("similar-id-text", "search_similar", ["seven"], r"no image with id 'seven'"),
    Case("similar-id-negative", "search_similar", [-1], r"no image with id -1"),
    Case("similar-id-huge", "search_similar", [1e308], r"no image with id 1e\+308"),
    Case("similar-id-null", "search_similar", [None], r"no image with id None"),
    Case("similar-id-dict", "search_similar", [{"id": 1}], r"no image with id \{'id': 1\}"),
]
_BODIES = {
    "k-inf": '["a cat", Infinity]',
    "k-minus-inf": '["a cat", -Infinity]',
    "k-nan": '["a cat", NaN]',
    "length-inf": '[{GOOD}, "beam", Infinity]',
    "length-nan": '[{GOOD}, "beam", NaN]',
    "weight-inf": '[{GOOD}, "at night", Infinity, 1]',
    "weight-nan": '[{GOOD}, "at night", NaN, 1]',
}
for case in NUMBER_CASES:
    if case.id in _BODIES:
        case.body = _BODIES[case.id]

MENU_CASES = [
    Case("mode-unknown", "caption", [GOOD, "greedy"], r"Unknown caption mode 'greedy'.*beam"),
    Case("mode-dict", "caption", [GOOD, {"m": 1}], r"caption mode must be a name"),
    Case(
        "caption-model-unknown",
        "caption",
        [GOOD, "beam", 5, "", "gpt-9"],
        r"gpt-9.*blip-caption-tiny",
    ),
    Case("caption-model-number", "caption", [GOOD, "beam", 5, "", 5], r"model must be a name"),
    Case("vqa-model-dict", "vqa", [GOOD, "what?", "product", {"m": 1}], r"model must be a name"),
    Case(
        "vqa-fusion-unknown",
        "vqa",
        [GOOD, "what shape is it?", "telepathy", "routed-vqa"],
        r"Unknown fusion 'telepathy'",
    ),
    Case(
        "vqa-fusion-dict",
        "vqa",
        [GOOD, "what shape?", {"f": 1}, "routed-vqa"],
        r"fusion must be a name",
    ),
    Case("sentiment-fusion-unknown", "sentiment", ["nice", None, "magic"], r"Unknown fusion"),
    Case("sentiment-fusion-dict", "sentiment", ["nice", None, ["late"]], r"fusion must be a name"),
]

NOT_UPLOADED = r"not (a file )?uploaded to this app"
NOT_A_FILE = r"Input 1 \(upload\) of /classify must be an uploaded file"


def file_data(path: str, name: str = "x.png") -> dict:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


NAME_CASES = [
    Case("path-traversal", "classify", [file_data("../../etc/passwd")], NOT_UPLOADED),
    Case("path-absolute", "classify", [file_data("/etc/passwd")], NOT_UPLOADED),
    Case("path-app-source", "classify", [file_data(str(REPO_ROOT / "app.py"))], NOT_UPLOADED),
    Case("path-bare-string", "classify", ["/etc/hostname"], NOT_A_FILE),
    Case("path-nul", "classify", [file_data("/tmp/a\x00.png")], NOT_UPLOADED),
    Case("path-number", "classify", [{"path": 5}], NOT_A_FILE + r".*path: Input should be"),
    Case("path-dict", "classify", [{"path": {"p": 1}}], NOT_A_FILE + r".*path: Input should"),
    Case("path-empty", "classify", [file_data("")], NOT_UPLOADED),
    Case("path-url-only", "classify", [{"url": "http://example.com/x.png"}], r"No image given"),
    Case("file-is-a-number", "classify", [5], NOT_A_FILE + ".*, not this int"),
    Case("index-add-outside", "index_add", [[file_data("/etc/passwd")]], NOT_UPLOADED),
    Case("name-traversal", "classify", [File("../../etc/passwd", b"text")], r"is not an image"),
    Case(  # orig_name 5 (see _for_raw)
        "name-not-text",
        "classify",
        [File("odd-name.png", None)],
        NOT_A_FILE + r".*orig_name: Input should be a valid string",
    ),
]

PAYLOAD_CASES = [
    # a call that leaves out optional inputs gets their documented defaults
    Case("missing-all-classify", "classify", [], r"No image given: upload an image first"),
    Case("missing-all-search", "search_text", [], r"search text is empty"),
    Case("missing-question", "vqa", [GOOD], r"question is empty"),
    Case("missing-optional-caption", "caption", [GOOD]),
    Case("missing-optional-classify", "classify", [GOOD]),
    Case("missing-optional-search_image", "search_image", [GOOD]),
    Case("missing-optional-sentiment", "sentiment", ["What a lovely day"]),
    Case("missing-optional-similar", "search_similar", [0]),
    # extras past the last input (text, k, hybrid, min_score) are ignored
    Case("extra-data", "search_text", ["a cat", 1, False, 0.0, "extra", 5]),
    Case("data-is-a-dict", "search_text", via="body", body='{"data": {"t": 1}}', status=422),
    Case("data-is-a-string", "search_text", via="body", body='{"data": "a cat"}', status=422),
    Case("no-data-field", "search_text", via="body", body='{"text": "a cat"}', status=422),
    Case("body-not-json", "search_text", via="body", body="<xml/>", status=422),
    Case(
        "unknown-endpoint", "no_such_task", ["x"], r"There is no endpoint /no_such_task", status=404
    ),
]
_PAYLOAD_BODIES = {
    "data-is-a-dict": r"valid list",
    "data-is-a-string": r"valid list",
    "no-data-field": r'"data"\],"msg":"Field required"',
    "body-not-json": r"JSON decode error",
}
for case in PAYLOAD_CASES:
    if case.id in _PAYLOAD_BODIES:
        case.expect = _PAYLOAD_BODIES[case.id]

CLIENT_CASES = [
    Case("client-search-empty", "search_text", ["   ", 1], r"search text is empty", "client"),
    Case("client-labels-60000", "classify", [GOOD, "x," * 60_000], r"10,000", "client"),
    Case("client-template", "classify", [GOOD, "a, b", "{x} {}"], r"put \{\} once", "client"),
    Case("client-weight-text", "search_image", [GOOD, "dark", "x", 1], WEIGHT, "client"),
    Case("client-length-huge", "caption", [GOOD, "beam", 10**6], r"between 5 and 100", "client"),
    Case("client-vqa-thin", "vqa", [File("thin_1x60000.png"), "?"], r"60,000 times", "client"),
]

CASES = image_cases() + TEXT_CASES + NUMBER_CASES + MENU_CASES + NAME_CASES + PAYLOAD_CASES
CASES += CLIENT_CASES


def test_the_corpus_is_big_and_names_are_unique():
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


# -- running a case ------------------------------------------------------------------------


def _content(item: File) -> bytes:
    if item is GOOD:
        return png((32, 32))
    if item.content is not None:
        return item.content
    if item.name == "odd-name.png":
        return png((8, 8))
    return IMAGES[item.name][0]()


def _for_raw(url: str, value):
    if isinstance(value, File):
        payload = raw_upload(url, value.name, _content(value))
        if value.name == "odd-name.png":
            payload["orig_name"] = 5  # a crafted name that is not text
        return payload
    if isinstance(value, list):
        return [_for_raw(url, item) for item in value]
    return value


def _for_client(tmp_path: Path, value):
    if isinstance(value, File):
        path = tmp_path / Path(value.name).name
        path.write_bytes(_content(value))
        return handle_file(str(path))
    if isinstance(value, list):
        return [_for_client(tmp_path, item) for item in value]
    return value


def call(case: Case, app: AppProcess, client, tmp_path: Path) -> Outcome:
    if case.via == "client":
        args = [_for_client(tmp_path, value) for value in case.data]
        try:
            return Outcome(True, result=client.predict(*args, api_name=f"/{case.api}"))
        except AppError as err:
            return Outcome(False, str(err))
    if case.via == "body":
        text = case.body
        if "{GOOD}" in text:
            text = text.replace("{GOOD}", json.dumps(_for_raw(app.url, GOOD)))
        if case.status == 200:
            text = f'{{"data": {text}}}'
        return raw_post(app.url, case.api, text.encode())
    data = [_for_raw(app.url, value) for value in case.data]
    return raw_post(app.url, case.api, json.dumps({"data": data}).encode())


# What a translation keeps as it is: numbers, quoted values the visitor sent, file names.
KEPT = re.compile(
    r"\d+|'[^']*'|[\w.-]+\.(?:png|jpe?g|gif|bmp|svg|html|pdf|ico|webp|tiff?|heic|npy|json)\b"
)


def assert_chinese(message: str) -> None:
    """The toast a Chinese visitor reads: every part of ``message`` has its template, and the
    numbers and names the English gives are still there."""
    assert translated(message), f"no Chinese template for: {message}"
    left = english_left(message)
    assert not left, f"left in English {left} in: {message}"
    chinese = translate(message, "zh")
    assert has_cjk(chinese), chinese
    lost = [kept for kept in KEPT.findall(message) if kept not in chinese]
    assert not lost, f"the Chinese lost {lost}: {chinese}"


def server_paths(app: AppProcess) -> list[str]:
    """Paths of the server's own that no message may show."""
    return [str(app.work), str(REPO_ROOT), "/tmp/gradio", "site-packages"]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_a_clear_message_and_the_server_keeps_serving(
    case: Case, app, client, tmp_path
):
    started = time.perf_counter()
    outcome = call(case, app, client, tmp_path)
    seconds = time.perf_counter() - started
    if case.expect is OK:
        assert outcome.ok, f"refused: {outcome.message}"
    else:
        assert not outcome.ok, f"answered instead of refused: {str(outcome.result)[:300]}"
        assert outcome.status == case.status, outcome.message
        message = outcome.message
        assert re.search(case.expect, message, re.S), message
        assert not [v for v in VAGUE if v in message], message
        assert not [p for p in server_paths(app) if p in message], message
        assert len(message) < 1_000, message[:300]  # a sentence, not an echo of the input
        if case.status == 200:  # a toast in the browser: plain text (test_toast_messages)
            assert_plain(message, app)
            assert_chinese(message)
    assert seconds < 20, f"took {seconds:.1f} s"  # refusals come before the work
    alive = raw_post(app.url, "info", b'{"data": []}')
    assert alive.ok and "index" in str(alive.result), alive.message
