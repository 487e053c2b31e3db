"""Every error toast a browser user can get is plain, rendered text: no markdown marks
(``**``, backticks), no server path, no ``python -m`` command.

The inputs are the bad-input corpus of tests/integration/test_bad_inputs.py (151 cases sent
as a careless or hostile visitor would), replayed against the session's tiny app: that test
checks each refusal says the right thing, this one how every refusal reads in the browser.
Only the refusals that become toasts are replayed (not the HTTP-level 404/422 bodies, which
Gradio writes for API callers).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

from tests.integration.test_bad_inputs import CASES, OK, call
from tests.support.app_process import REPO_ROOT

pytestmark = pytest.mark.integration

TOASTS = [case for case in CASES if case.expect is not OK and case.status == 200]
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


def test_the_replayed_corpus_is_the_refusals_of_the_bad_input_corpus():
    assert len(TOASTS) >= 80
    assert all(case.expect for case in TOASTS)


@pytest.mark.parametrize("case", TOASTS, ids=[case.id for case in TOASTS])
def test_every_toast_is_plain_text_without_server_paths(case, app_server, gradio_client, tmp_path):
    outcome = call(case, app_server, gradio_client, tmp_path)
    assert not outcome.ok, f"answered instead of refused: {str(outcome.result)[:200]}"
    assert_plain(outcome.message, app_server)


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
