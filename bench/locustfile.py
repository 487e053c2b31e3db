"""Simulated visitors of the app for locust: a mix of tasks over Gradio's raw HTTP API.

Each visitor is one browser tab: its own ``session_hash`` (so in ``per-visitor`` gallery mode
its uploads go to an overlay of its own) and one request at a time. Each call is what the page
does: upload an image (``POST /gradio_api/upload``), submit the event (``POST
/gradio_api/call/<name>`` with the session -> ``event_id``) and read its server-sent events to
the end (``GET /gradio_api/call/<name>/<event_id>``). One locust request is one upload
("upload") or one whole call (named after the endpoint, submit + stream); a call fails when
HTTP fails, the stream ends with ``event: error`` (or without a result), or the result is not
what that endpoint answers - in ``per-visitor`` mode that includes a search hit, an upload
count or a removal that shows another visitor's uploads, or a base gallery that changed.

The raw API needs every input of an event (``gradio_client`` fills the defaults itself), so
the inputs a task does not choose are taken from ``GET /gradio_api/info`` (the defaults the
app publishes), by parameter name. The endpoints and parameter names the mix sends are
checked there first (``check_api``), so a renamed one stops the run before it starts. Only
primary endpoint names are used, never the numbered duplicates (``search_text_1``).

``python -m bench.bench_load`` runs these visitors against a fresh tiny-preset app and
reports; to load an app that is already running, locust's own command works too (from the
repository root; the gallery mode is read from the app's ``/info``):

    locust -f bench/locustfile.py --host http://127.0.0.1:7860 --headless -u 32 -r 4 -t 2m

Self-contained on purpose (stdlib, locust, requests): locust imports this file by path.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import string
import struct
import threading
import zlib
from pathlib import Path

import requests
from locust import User, between, task

ASSETS = Path(__file__).resolve().parents[1] / "assets"
CALL_TIMEOUT_S = 60  # one call (submit + its whole event stream); then it is a failure
CONNECT_TIMEOUT_S = 10
MAX_NEW_IMAGES = 40  # shared mode: /index_add grows the gallery by at most this many images
# Per-visitor mode: a visitor's uploads get ids from here up, one per image added, never
# reused (mmdemo.services.visitors.OVERLAY_FIRST_ID); the base gallery's ids are lower.
OVERLAY_FIRST_ID = 1_000_000_000
MAX_OWN_UPLOADS = 20  # a visitor holding this many removes one before adding (the app: 50)
# What the mix sends, by endpoint; checked against /gradio_api/info before the load.
NEEDED = {
    "search_text": {"text", "k", "hybrid"},
    "search_image": {"upload", "text", "k"},
    "classify": {"upload", "labels"},
    "caption": {"upload", "mode_name"},
    "vqa": {"upload", "text"},
    "sentiment": {"value", "upload"},
    "info": set(),
    "index_add": {"upload"},
    "index_remove": {"ids"},
}

QUERIES = [
    "a cup of coffee",
    "a cat",
    "a rocket launching",
    "old coins",
    "outer space",
    "a flower",
    "a brick wall",
    "an astronaut",
    "a man with a camera",
    "a temple",
    "gravel",
    "a clock on the wall",
    "cells under a microscope",
    "green grass",
    "un chat",
]
MIX_TEXTS = ["at night", "in black and white", "close up", "outdoors"]
LABEL_SETS = [
    "a cat, a dog, a cup of coffee, a rocket launch, an astronaut, a flower",
    "a cat, a dog",
    "indoors, outdoors",
    "a photo, a drawing, a microscope image",
]
SENTENCES = [
    "Great, another rainy day.",
    "I love this place, the coffee is wonderful!",
    "What a terrible, awful day.",
    "The service was slow and the food was cold.",
    "It is a photo of a wall.",
    "Best trip ever!!!",
]
SHAPE_QUESTIONS = {
    "blue_rectangle.png": ["What shape is in the image?", "What color is the shape?"],
    "red_circle.png": ["What shape is this?", "Is there a circle?"],
    "teal_circle.png": ["What color is the shape?", "Is there a triangle?"],
    "yellow_triangle.png": ["Does the image contain a triangle?"],
}
PHOTO_QUESTIONS = ["What is this?", "What color is it?", "How many people are there?"]
SENTIMENT_LABELS = {"negative", "neutral", "positive"}


def _images(folder: Path) -> dict[str, bytes]:
    pictures = (p for p in sorted(folder.glob("*")) if p.suffix.lower() in {".png", ".jpg"})
    return {p.name: p.read_bytes() for p in pictures}


PHOTOS = _images(ASSETS / "gallery")  # what visitors search with and ask about
SHAPES = _images(ASSETS / "examples" / "shapes")


class BadResult(Exception):
    """The call answered, but not what this endpoint answers: an error event or a bad shape."""


def new_png(seed: int | str, size: int = 64) -> bytes:
    """A valid RGB PNG of noise, different for every ``seed`` (the gallery skips duplicates)."""
    rng = random.Random(seed)
    rows = b"".join(b"\0" + rng.randbytes(3 * size) for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class _NewImages:
    """Shared mode: unique images for /index_add, at most ``MAX_NEW_IMAGES`` for all visitors
    together, then old ones again (answered as duplicates: the gallery stays put)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self.made: list[tuple[str, bytes]] = []

    def next(self) -> tuple[str, bytes]:
        with self._lock:
            if len(self.made) < MAX_NEW_IMAGES:
                n = next(self._counter)
                self.made.append((f"load_{n:03d}.png", new_png(n)))
                return self.made[-1]
            return random.choice(self.made)  # a duplicate: answered, the gallery stays put


NEW_IMAGES = _NewImages()


def parse_events(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data or name != "message":
            events.append((name, "\n".join(data)))
    return events


def result_of(endpoint: str, stream: str) -> list:
    """The ``complete`` event's outputs; ``BadResult`` naming the error event otherwise."""
    for name, data in reversed(parse_events(stream)):
        if name == "complete":
            return json.loads(data)
        if name == "error":
            try:
                message = (json.loads(data) or {}).get("error")
            except (ValueError, AttributeError):
                message = data
            raise BadResult(f"{endpoint}: error event: {message!r}")
    raise BadResult(f"{endpoint}: the event stream ended without a result: {stream[-200:]!r}")


def new_session_hash() -> str:
    """A session id like the one a browser tab makes (Gradio's ``session_hash``)."""
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=11))


def api_parameters(info: dict) -> dict[str, list[tuple[str, bool, object]]]:
    """endpoint -> [(parameter name, has a default, default)] from ``/gradio_api/info``."""
    return {
        name.lstrip("/"): [
            (p["parameter_name"], p.get("parameter_has_default", False), p.get("parameter_default"))
            for p in endpoint["parameters"]
        ]
        for name, endpoint in info["named_endpoints"].items()
    }


def inputs_for(parameters: list[tuple[str, bool, object]], given: dict) -> list:
    """Every input in order: the ones given, the published defaults for the rest."""
    unknown = set(given) - {name for name, _, _ in parameters}
    if unknown:
        raise BadResult(f"the API has no parameter(s) {sorted(unknown)}: it changed")
    values = []
    for name, has_default, default in parameters:
        if name in given:
            values.append(given[name])
        elif has_default:
            values.append(default)
        else:
            raise BadResult(f"parameter {name!r} is required and the task did not give it")
    return values


def check_api(parameters: dict[str, list[tuple[str, bool, object]]]) -> None:
    """Every endpoint and parameter the mix sends is published; else ``BadResult`` naming them."""
    problems = []
    for endpoint, names in NEEDED.items():
        if endpoint not in parameters:
            problems.append(f"no endpoint /{endpoint}")
        elif missing := names - {name for name, _, _ in parameters[endpoint]}:
            published = [name for name, _, _ in parameters[endpoint]]
            problems.append(f"/{endpoint} has no {sorted(missing)} (it has {published})")
    if problems:
        raise BadResult(
            "the app's API changed; update bench/locustfile.py: "
            + "; ".join(problems)
            + f". Endpoints now: {sorted(parameters)}"
        )


# -- result shapes, one check per endpoint ---------------------------------------------------


def _expect(condition: bool, endpoint: str, what: str, data) -> None:
    if not condition:
        raise BadResult(f"{endpoint}: {what}; got {json.dumps(data)[:300]}")


def _outputs(endpoint: str, data, n: int) -> list:
    """The ``n`` published outputs. The raw API also sends one null per ``gr.State`` output
    (the search tabs' hit ids), which ``/gradio_api/info`` and gradio_client leave out."""
    _expect(
        isinstance(data, list) and len(data) >= n and all(v is None for v in data[n:]),
        endpoint,
        f"{n} outputs expected",
        data,
    )
    return data[:n]


def _no_label(value) -> bool:
    """An empty gr.Label (the handler returned None): null or {}."""
    return value is None or value == {}


def _label(value) -> bool:
    """A gr.Label value: {"label": str, "confidences": [{"label", "confidence"}, ...]}."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("label"), str)
        and isinstance(value.get("confidences"), list)
        and all({"label", "confidence"} <= set(c) for c in value["confidences"])
    )


def check_search(endpoint: str, data, k: int, uploads: set[int] | None = None) -> None:
    """A results grid of 1..k images with one JSON hit each. ``uploads``: the only upload
    (overlay) ids this visitor may see; None: not known (an add or remove of theirs failed)."""
    grid, message, hits = _outputs(endpoint, data, 3)
    _expect(isinstance(grid, list) and 1 <= len(grid) <= k, endpoint, f"1..{k} grid items", data)
    _expect(all(isinstance(g.get("image"), dict) for g in grid), endpoint, "grid images", data)
    _expect(isinstance(message, str) and message, endpoint, "a message", data)
    _expect(
        isinstance(hits, list)
        and len(hits) == len(grid)
        and all({"id", "score", "image"} <= set(h) for h in hits),
        endpoint,
        "one JSON hit per grid item",
        data,
    )
    if uploads is not None:
        seen = {h["id"] for h in hits if h["id"] >= OVERLAY_FIRST_ID}
        _expect(
            seen <= uploads,
            endpoint,
            f"upload ids only from this visitor's own {sorted(uploads)} (saw {sorted(seen)})",
            data,
        )


def check_classify(endpoint: str, data, labels: str) -> None:
    wanted = {label.strip() for label in labels.split(",")}
    (value,) = _outputs(endpoint, data, 1)
    _expect(_label(value), endpoint, "a Label value", data)
    got = {c["label"] for c in value["confidences"]}
    _expect(got == wanted, endpoint, f"one probability per label {sorted(wanted)}", data)
    total = sum(c["confidence"] for c in value["confidences"])
    _expect(abs(total - 1) < 1e-3, endpoint, "probabilities summing to 1", data)


def check_caption(endpoint: str, data) -> None:
    text, labels, notes = _outputs(endpoint, data, 3)
    _expect(isinstance(text, str) and text.strip(), endpoint, "a caption", data)
    _expect(_no_label(labels) or _label(labels), endpoint, "a Label value or nothing", data)
    _expect(isinstance(notes, str), endpoint, "notes", data)


def check_vqa(endpoint: str, data) -> None:
    answers, notes = _outputs(endpoint, data, 2)
    _expect(_no_label(answers) or _label(answers), endpoint, "a Label value or nothing", data)
    _expect(isinstance(notes, str) and notes, endpoint, "notes", data)


def check_sentiment(endpoint: str, data) -> None:
    fused, chart, notes, raw = _outputs(endpoint, data, 4)
    _expect(_label(fused) and fused["label"] in SENTIMENT_LABELS, endpoint, "a verdict", data)
    _expect(isinstance(chart, dict), endpoint, "a plot value", data)
    _expect(isinstance(notes, str) and notes, endpoint, "notes", data)
    _expect(isinstance(raw, dict) and raw.get("label") == fused["label"], endpoint, "JSON", data)


def own_uploads(status: str) -> int | None:
    """Per-visitor mode: the visitor's upload count in the status (``**your uploads**: 3 of``)."""
    match = re.search(r"\*\*your uploads\*\*: (\d+) of", status)
    return int(match.group(1)) if match else None


def index_size(status: str) -> int | None:
    """The (shared or base) gallery's image count in the status (``**index**: 16 images``)."""
    match = re.search(r"\*\*index\*\*: (\d+) image", status)
    return int(match.group(1)) if match else None


def check_status(
    endpoint: str, status, base: int | None = None, uploads: int | None = None
) -> None:
    """The status markdown; in per-visitor mode the base gallery still holds ``base`` images
    and this visitor has ``uploads`` of their own (each None: not checked)."""
    _expect(isinstance(status, str) and "index" in status, endpoint, "a status", status)
    if base is not None:
        _expect(index_size(status) == base, endpoint, f"the base gallery at {base} images", status)
    if uploads is not None:
        _expect(own_uploads(status) == uploads, endpoint, f"{uploads} upload(s) of mine", status)


def check_info(endpoint: str, data, base: int | None = None, uploads: int | None = None) -> None:
    (status,) = _outputs(endpoint, data, 1)
    check_status(endpoint, status, base, uploads)


def check_index_add(endpoint: str, data, total: int | None = None, **status_checks) -> None:
    """One image added (or, in shared mode, skipped as a duplicate). ``total``: per-visitor
    mode, the count the visitor's own gallery must reach (their uploads and nobody else's)."""
    report, status = _outputs(endpoint, data, 2)
    if total is None:
        ok = isinstance(report, str) and re.match(r"added 1, skipped 0|added 0, skipped 1", report)
        _expect(bool(ok), endpoint, "1 image added (or skipped as a duplicate)", data)
    else:
        # the page's report is a sentence (ui/tabs/gallery.report_markdown: a full stop)
        want = f"added 1, skipped 0 duplicate(s), 0 unreadable; index now holds {total} image(s)."
        _expect(report == want, endpoint, repr(want), data)
    check_status(endpoint, status, **status_checks)


def check_index_remove(endpoint: str, data, **status_checks) -> None:
    report, status = _outputs(endpoint, data, 2)
    _expect(report == "Removed 1 of 1 image(s).", endpoint, "'Removed 1 of 1 image(s).'", data)
    check_status(endpoint, status, **status_checks)


# -- the visitor -----------------------------------------------------------------------------


class Visitor(User):
    """One person in one browser tab: mostly text search, now and then everything else."""

    wait_time = between(1, 4)  # reading the result, choosing the next thing to try
    # shared by all visitors, learnt by the first one to start (or set by bench_load):
    parameters: dict | None = None  # endpoint -> inputs, from /gradio_api/info
    per_visitor: bool | None = None  # the app's gallery mode, from /info's status
    base_size: int | None = None  # per-visitor mode: the base gallery's images (never change)

    def on_start(self) -> None:
        self.session = requests.Session()
        self.session.trust_env = False  # loopback: never through a proxy
        self.session_hash = new_session_hash()  # one browser tab
        self.own_ids: list[int] = []  # per-visitor mode: my uploads' ids, oldest first
        self.next_own_id = OVERLAY_FIRST_ID
        self.ids_known = True  # False once an add or remove of mine failed (outcome unknown)
        self.made = 0  # my new images so far (per-visitor mode)
        cls = type(self)
        if cls.parameters is None:
            with self._measure("GET", "/gradio_api/info"):
                parameters = api_parameters(self._http("GET", "gradio_api/info").json())
                check_api(parameters)
                cls.parameters = parameters
        if cls.per_visitor is None:
            status = self.call("info", check_info)
            if status is not None:
                cls.per_visitor = own_uploads(status[0]) is not None
                cls.base_size = index_size(status[0]) if cls.per_visitor else None

    def on_stop(self) -> None:
        self.session.close()

    # plumbing

    def _measure(self, kind: str, name: str):
        return self.environment.events.request.measure(kind, name)

    def _http(self, method: str, path: str, **kwargs) -> requests.Response:
        url = self.host.rstrip("/") + "/" + path
        response = self.session.request(
            method, url, timeout=(CONNECT_TIMEOUT_S, CALL_TIMEOUT_S), **kwargs
        )
        if response.status_code >= 400:
            raise BadResult(
                f"HTTP {response.status_code} for {method} /{path}: {response.text[:200]!r}"
            )
        return response

    def upload(self, name: str, content: bytes) -> dict:
        """``POST /gradio_api/upload``; the FileData payload an input sends for it."""
        mime = "image/jpeg" if name.endswith(".jpg") else "image/png"
        with self._measure("POST", "upload") as meta:
            response = self._http(
                "POST", "gradio_api/upload", files={"files": (name, content, mime)}
            )
            paths = response.json()
            meta["response_length"] = len(content)
            if not (isinstance(paths, list) and len(paths) == 1 and isinstance(paths[0], str)):
                raise BadResult(f"upload: one server path expected; got {paths!r}")
        return {"path": paths[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}

    def call(self, endpoint: str, check, **given) -> list | None:
        """Submit one event in this visitor's session, read its stream to the end, check the
        result; the outputs, or None when the call failed (locust has recorded why)."""
        data = ok = None
        with self._measure("CALL", f"/{endpoint}") as meta:
            inputs = inputs_for((type(self).parameters or {}).get(endpoint, []), given)
            submitted = self._http(
                "POST",
                f"gradio_api/call/{endpoint}",
                json={"data": inputs, "session_hash": self.session_hash},
            )
            event_id = submitted.json()["event_id"]
            stream = self._http("GET", f"gradio_api/call/{endpoint}/{event_id}").text
            meta["response_length"] = len(stream)
            data = result_of(f"/{endpoint}", stream)
            check(f"/{endpoint}", data)
            ok = True
        return data if ok else None

    def photo(self) -> dict | None:
        name = random.choice(list(PHOTOS))
        return self._upload_or_none(name, PHOTOS[name])

    def _upload_or_none(self, name: str, content: bytes) -> dict | None:
        try:
            return self.upload(name, content)
        except Exception:  # recorded as a failed upload; skip the call it was for
            return None

    def _uploads_seen(self) -> set[int] | None:
        """The upload ids a search may show me: mine (per-visitor), none (shared)."""
        if not type(self).per_visitor:
            return set()
        return set(self.own_ids) if self.ids_known else None

    def _status_checks(self, uploads_after: int | None = None) -> dict:
        if not type(self).per_visitor:
            return {}
        known = self.ids_known and uploads_after is not None
        return {"base": type(self).base_size, "uploads": uploads_after if known else None}

    def _new_image(self) -> tuple[str, bytes]:
        if not type(self).per_visitor:
            return NEW_IMAGES.next()
        self.made += 1  # new to my own gallery, whatever the other visitors upload
        seed = f"{self.session_hash}-{self.made}"
        return f"mine_{self.made:03d}.png", new_png(seed)

    # the mix (weights: how often a visitor does each)

    @task(10)
    def search_text(self) -> None:
        k, uploads = random.randint(4, 12), self._uploads_seen()
        self.call(
            "search_text",
            lambda e, d: check_search(e, d, k, uploads),
            text=random.choice(QUERIES),
            k=k,
            hybrid=random.random() < 0.25,
        )

    @task(3)
    def search_image(self) -> None:
        if (image := self.photo()) is None:
            return
        k, uploads = random.randint(4, 12), self._uploads_seen()
        mix = random.choice(MIX_TEXTS) if random.random() < 0.3 else ""
        self.call(
            "search_image",
            lambda e, d: check_search(e, d, k, uploads),
            upload=image,
            text=mix,
            k=k,
        )

    @task(2)
    def classify(self) -> None:
        if (image := self.photo()) is None:
            return
        labels = random.choice(LABEL_SETS)
        self.call(
            "classify", lambda e, d: check_classify(e, d, labels), upload=image, labels=labels
        )

    @task(2)
    def caption(self) -> None:
        if (image := self.photo()) is None:
            return
        mode = "sample" if random.random() < 0.3 else "beam"
        self.call("caption", check_caption, upload=image, mode_name=mode)

    @task(2)
    def vqa(self) -> None:
        if random.random() < 0.5:  # a shapes picture (our own model's world) or a photo
            name = random.choice(list(SHAPES))
            image = self._upload_or_none(name, SHAPES[name])
            questions = SHAPE_QUESTIONS.get(name, PHOTO_QUESTIONS)
        else:
            image, questions = self.photo(), PHOTO_QUESTIONS
        if image is not None:
            self.call("vqa", check_vqa, upload=image, text=random.choice(questions))

    @task(2)
    def sentiment(self) -> None:
        image = None
        if random.random() < 0.5 and (image := self.photo()) is None:  # text and image
            return
        self.call("sentiment", check_sentiment, value=random.choice(SENTENCES), upload=image)

    @task(1)
    def info(self) -> None:
        checks = self._status_checks(len(self.own_ids))
        self.call("info", lambda e, d: check_info(e, d, **checks))

    @task(2)
    def index_add(self) -> None:
        if type(self).per_visitor and len(self.own_ids) >= MAX_OWN_UPLOADS:
            self.index_remove()  # stay inside the app's per-visitor bound
            return
        name, content = self._new_image()
        if (image := self._upload_or_none(name, content)) is None:
            return
        per_visitor = type(self).per_visitor
        total = len(self.own_ids) + 1 if per_visitor and self.ids_known else None
        checks = self._status_checks(len(self.own_ids) + 1)
        result = self.call(
            "index_add", lambda e, d: check_index_add(e, d, total, **checks), upload=[image]
        )
        if not per_visitor:
            return
        if result is None:
            self.ids_known = False  # added or not: no longer sure which ids are mine
        else:
            self.own_ids.append(self.next_own_id)
        self.next_own_id += 1

    @task(1)
    def index_remove(self) -> None:
        """Per-visitor mode: remove one of my own uploads by id (no admin password needed)."""
        if not (type(self).per_visitor and self.ids_known and self.own_ids):
            return
        victim = random.choice(self.own_ids)
        checks = self._status_checks(len(self.own_ids) - 1)
        result = self.call(
            "index_remove", lambda e, d: check_index_remove(e, d, **checks), ids=str(victim)
        )
        if result is None:
            self.ids_known = False
        else:
            self.own_ids.remove(victim)
