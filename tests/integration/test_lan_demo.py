"""A LAN demo (``GRADIO_SERVER_NAME=0.0.0.0``, reachable from other machines): behind
``MMDEMO_AUTH`` nothing answers without the login, and the login may change the shared
gallery; without a login or an admin password, changes to the shared gallery are refused
with the remedy, while adding images (what "shared" means) still works."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tests.support.app_process import AppProcess
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def behind_login(tmp_path_factory):
    with AppProcess(
        tmp_path_factory.mktemp("login_app"),
        MMDEMO_PRESET="tiny",
        GRADIO_SERVER_NAME="0.0.0.0",
        MMDEMO_AUTH="alice:correct horse,bob:battery staple",
    ) as running:
        yield running


@pytest.fixture(scope="module")
def open_lan(tmp_path_factory):
    with AppProcess(
        tmp_path_factory.mktemp("lan_app"), MMDEMO_PRESET="tiny", GRADIO_SERVER_NAME="0.0.0.0"
    ) as running:
        yield running


def status_of(url: str, data: dict | None = None) -> int:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_nothing_answers_without_the_login(behind_login):
    assert status_of(f"{behind_login.url}gradio_api/info") == 401
    assert status_of(f"{behind_login.url}gradio_api/call/info", {"data": []}) == 401
    assert status_of(f"{behind_login.url}gradio_api/file={behind_login.index_dir}") in (401, 403)


def test_a_wrong_password_is_refused(behind_login):
    with pytest.raises(Exception, match=r"(?i)auth|login|credentials|401"):
        Client(behind_login.url, auth=("alice", "wrong"), verbose=False)


def test_the_login_may_use_and_change_the_shared_gallery(behind_login):
    client = Client(behind_login.url, auth=("bob", "battery staple"), verbose=False)
    assert "images" in client.predict(api_name="/info")
    report, _ = client.predict("", api_name="/index_reembed")  # the login is the gate
    assert "holds 16 image(s)" in report


def test_without_a_login_or_password_only_destructive_changes_are_refused(open_lan, tmp_path):
    client = open_lan.client()
    for call in (
        lambda: client.predict("", api_name="/index_reembed"),
        lambda: client.predict("0", "", api_name="/index_remove"),
        lambda: client.predict("", api_name="/index_reset"),
    ):
        with pytest.raises(AppError, match="MMDEMO_ADMIN_PASSWORD"):
            call()
    picture = write_test_image(tmp_path / "shared.png", color=(3, 140, 90))
    report, _ = client.predict([handle_file(str(picture))], api_name="/index_add")
    assert "added 1" in report
