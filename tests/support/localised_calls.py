"""Calling the running app as a browser in a given language would: raw HTTP with the
``Accept-Language`` header a browser sends, or the page switch's cookie.

Why not gradio_client: it sends neither, so it gets English (the API's language) - which is
itself checked, by calling the same endpoint through it. Any tab's tests may use this.
"""

from __future__ import annotations

import json
import re
import urllib.request

from mmdemo.ui.i18n import COOKIE


def _headers(language: str | None, cookie: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if language:
        headers["Accept-Language"] = language
    if cookie:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    return headers


def call_stream(
    base_url: str,
    api_name: str,
    data: list,
    *,
    language: str | None = None,
    cookie: str | None = None,
) -> str:
    """The event stream's text of one call (``event: complete`` / ``event: error``)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    headers = _headers(language, cookie)
    request = urllib.request.Request(
        f"{base_url}gradio_api/call/{api_name}",
        data=json.dumps({"data": data}).encode(),
        headers=headers,
    )
    with opener.open(request, timeout=30) as response:
        event_id = json.loads(response.read())["event_id"]
    stream = urllib.request.Request(
        f"{base_url}gradio_api/call/{api_name}/{event_id}",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )
    with opener.open(stream, timeout=120) as response:
        return response.read().decode()


def call_in(
    base_url: str,
    api_name: str,
    data: list,
    *,
    language: str | None = None,
    cookie: str | None = None,
) -> list:
    """The outputs of one call made in ``language`` (an Accept-Language value) and/or with
    the switch's ``cookie`` ("en"/"zh"); an error event fails with the stream's text."""
    stream = call_stream(base_url, api_name, data, language=language, cookie=cookie)
    event = re.search(r"^event: complete\ndata: (.*)$", stream, re.M)
    assert event, stream
    return json.loads(event.group(1))
