"""What the running page shows a visitor in a language, read over plain HTTP.

``page_view`` runs the page's own load event in a language, through the queue as the page's
JavaScript does, and maps its outputs to the components' ``elem_id`` (read from the served
``/config``), so a tab's test can ask "what does #classify-intro say in Chinese?" without a
browser. ``call_as`` calls an endpoint
as a browser reading ``language`` would (its ``Accept-Language``), uploading image files the
way the page does. gradio_client sends no language, so it gets English: the API's.
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from pathlib import Path

from tests.support.uploads import raw_call, raw_upload

BROWSER_LANGUAGE = {"en": "en-US,en;q=0.9", "zh": "zh-CN,zh;q=0.9"}


def _config(base_url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base_url}config", timeout=30) as response:
        return json.loads(response.read())


def outputs_of(stream: str) -> list:
    """The outputs of a call's event stream; fails with the stream's text on an error."""
    event = re.search(r"^event: complete\ndata: (.*)$", stream, re.M)
    assert event, stream
    return json.loads(event.group(1))


def _queued(base_url: str, fn_index: int, data: list, headers: dict) -> list:
    """One event through the queue, as the page's own JavaScript sends it (join, then read
    the session's event stream until the event completes): its output values."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    session = uuid.uuid4().hex[:12]
    join = urllib.request.Request(
        f"{base_url}gradio_api/queue/join",
        data=json.dumps(
            {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
        ).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    with opener.open(join, timeout=30) as response:
        response.read()
    stream = urllib.request.Request(
        f"{base_url}gradio_api/queue/data?session_hash={session}", headers=headers
    )
    with opener.open(stream, timeout=120) as response:
        for line in response:
            if not line.startswith(b"data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_completed":
                output = message.get("output", {})
                assert message.get("success"), output
                return output["data"]
    raise AssertionError("the event stream ended before the event completed")


def page_view(base_url: str, language: str) -> dict[str, object]:
    """{elem_id: value or update} of every component the page's load event fills in
    ``language`` (sent through the queue with a browser's Accept-Language, as a page does)."""
    config = _config(base_url)
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    load = next(d for d in config["dependencies"] if d.get("api_name") == "page_load")
    headers = {"Accept-Language": BROWSER_LANGUAGE[language]}
    values = _queued(base_url, load["id"], [language], headers)
    shown: dict[str, object] = {}
    for i, value in zip(load["outputs"], values, strict=True):
        if not ids.get(i):
            continue
        before = shown.get(ids[i])
        # a component rendered by two views (its own, and the page's example headers) gets
        # both updates, applied in turn as the page applies them
        both = isinstance(before, dict) and isinstance(value, dict)
        shown[ids[i]] = {**before, **value} if both else value
    return shown


def value_of(shown) -> object:
    """A component's value in a page_load output (a plain value or an update dict)."""
    return shown.get("value") if isinstance(shown, dict) else shown


def call_as(base_url: str, api_name: str, data: list, language: str) -> str:
    """One call's event stream, made as a browser reading ``language``; a ``Path`` in
    ``data`` is uploaded first, as the page uploads an image."""
    sent = [
        raw_upload(base_url, item.name, item.read_bytes()) if isinstance(item, Path) else item
        for item in data
    ]
    headers = {"Accept-Language": BROWSER_LANGUAGE[language]}
    return raw_call(base_url, api_name.lstrip("/"), sent, headers)
