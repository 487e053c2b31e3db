"""Every error toast a browser user can get is plain, rendered text: no markdown marks
(``**``, backticks), no server path, no ``python -m`` command.

Every refusal of the bad-input corpus (tests/integration/test_bad_inputs.py, 151 cases sent
as a careless or hostile visitor would) is checked with ``assert_plain`` there, in the same
call that checks what it says (replaying the corpus here cost the default run ~50 s); this
module holds the rule and the refusals the corpus does not reach.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.app_process import REPO_ROOT

pytestmark = pytest.mark.integration

MARKUP = re.compile(r"\*\*|`|\]\(|^#+ ", re.M)
COMMAND = re.compile(r"python -m |--index-dir|--rebuild")


def server_paths(app) -> list[str]:
    """Paths of the server's own that no toast may show (absolute, as the server has them)."""
    return [
        str(app.work),
        str(REPO_ROOT),
        str(Path(tempfile.gettempdir()) / "gradio"),
        sys.prefix,
        "site-packages",
        str(Path.home()) + "/",
    ]


def assert_plain(message: str, app, *, commands: bool = False) -> None:
    """No markup, no server path and (unless the remedy is the server owner's) no command."""
    assert message, "an empty toast"
    assert not MARKUP.search(message), f"markup in the toast: {message}"
    if not commands:
        assert not COMMAND.search(message), f"a CLI command in the toast: {message}"
    leaked = [path for path in server_paths(app) if path in message]
    assert not leaked, f"server path {leaked} in the toast: {message}"


def test_image_to_text_without_captions_names_the_page_not_a_command(app_server, gradio_client):
    """The one refusal whose CLI wording names a command: the page names its own tab."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    photo = REPO_ROOT / "assets" / "gallery" / "coffee_cup.png"
    try:
        gradio_client.predict(handle_file(str(photo)), 3, api_name="/search_image_to_text")
    except AppError as err:
        message = str(err)
    else:
        pytest.skip("another test captioned the session's gallery first")
    assert "has a caption yet" in message, message
    assert "Gallery tab" in message
    assert_plain(message, app_server)


def test_a_model_that_cannot_load_is_named_without_its_server_path(app_server, gradio_client):
    """Early fusion with no trained head, called through the API: the error names the file
    it looked for by its name only (the full path is in the server log). Its remedy is the
    server owner's, so the one command to train a head may stay."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as caught:
        gradio_client.predict("What a lovely day", None, "early", 0.5, api_name="/sentiment")
    message = str(caught.value)
    assert "head" in message, message
    assert_plain(message, app_server, commands=True)
    assert "head.pt" in message or "trained" in message


def _error_event(stream: str) -> str:
    import json

    found = re.search(r"^event: error\ndata: (.*)$", stream, re.M)
    assert found, stream
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    ("headers", "chinese"),
    [
        ({}, False),  # gradio_client, curl: the API keeps English
        ({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}, True),  # a Chinese browser
        ({"Accept-Language": "en-US", "Cookie": "mmdemo_lang=zh"}, True),  # chose 中文
        ({"Accept-Language": "zh-CN", "Cookie": "mmdemo_lang=en"}, False),  # chose English
    ],
)
def test_a_toast_is_in_the_language_of_the_visitor(app_server, headers, chinese):
    """The same refusal, in the request's language: the switch's cookie, else the browser's
    Accept-Language; nothing left half-translated, no server path in either."""
    from mmdemo.core.i18n import has_cjk
    from tests.support.uploads import raw_call

    stream = raw_call(app_server.url, "search_text", ["", 8], headers=headers)
    event = _error_event(stream)
    message = event["error"]
    assert message and has_cjk(message) == chinese, message
    assert event["title"] == ("出错了" if chinese else "Error")  # the toast's heading too
    assert_plain(message, app_server)
