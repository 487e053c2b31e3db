"""The manage panel under the tabs, through gradio_client: /index_add, /caption_gallery,
/index_reembed and /info.

These endpoints change the index (images added, captions stored), so they run against an
app of this module's own (tiny preset): the session's app keeps the default gallery's 16
images that the search tab's tests count on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tests.support.app_process import AppProcess
from tests.support.uploads import raw_call, server_file_payload

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def manage_server(tmp_path_factory):
    with AppProcess(tmp_path_factory.mktemp("manage_app"), MMDEMO_PRESET="tiny") as running:
        yield running


@pytest.fixture(scope="module")
def client(manage_server):
    return manage_server.client()


def search_text(client, query, k=5):
    return client.predict(query, k, api_name="/search_text")


def caption_table(value) -> list[list]:
    """Rows of a Dataframe output (gradio_client returns {"headers", "data", ...})."""
    assert value["headers"] == ["caption", "score", "id", "image"]
    return value["data"]


def test_index_add_reports_and_keeps_the_index_intact(client, tmp_path, make_test_image):
    before = len(search_text(client, "x", 100)[2])
    good = [make_test_image(f"new{i}.png", color=(10 + 70 * i, 90, 200)) for i in range(2)]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    files = [handle_file(str(p)) for p in [*good, good[0], broken]]
    report, status = client.predict(files, api_name="/index_add")
    assert "added 2" in report and "1 duplicate" in report and "broken.jpg" in report
    assert "index" in status
    after = search_text(client, "x", 100)[2]
    assert len(after) == before + 2
    again, _ = client.predict([handle_file(str(good[1]))], api_name="/index_add")
    assert "added 0" in again and "1 duplicate" in again
    with pytest.raises(AppError, match="No files"):
        client.predict([], api_name="/index_add")


def test_two_users_adding_at_once(manage_server, make_test_image):
    clients = [Client(manage_server.url, verbose=False) for _ in range(2)]
    before = len(search_text(clients[0], "x", 100)[2])
    batches = [
        [
            handle_file(str(make_test_image(f"u{u}_{i}.png", color=(u * 120, i * 40, 77))))
            for i in range(3)
        ]
        for u in range(2)
    ]
    with ThreadPoolExecutor(2) as pool:
        reports = list(
            pool.map(
                lambda cb: cb[0].predict(cb[1], api_name="/index_add"),
                zip(clients, batches, strict=True),
            )
        )
    assert all("added 3" in report for report, _ in reports)
    assert len(search_text(clients[1], "x", 100)[2]) == before + 6


def test_raw_payload_naming_a_server_file_is_refused(manage_server, make_test_image):
    """A crafted call must not make the server add a file outside its upload folder."""
    payload = server_file_payload(make_test_image("private.png"))
    stream = raw_call(manage_server.url, "index_add", [[payload]])
    assert "event: error" in stream, stream
    assert "private.png" not in stream.replace("x.png", "")  # nothing about the file leaks
    assert "event: complete" not in stream


def test_caption_gallery_then_image_to_text(client, make_test_image):
    image = handle_file(str(make_test_image("query.png")))
    try:  # on a fresh server nothing is captioned yet, and the error says what to do
        client.predict(image, 3, api_name="/search_image_to_text")
    except AppError as err:
        assert "caption the gallery first" in str(err)

    report, status = client.predict(api_name="/caption_gallery")
    assert "captioned" in report and "0 failed" in report and "index" in status
    again, _ = client.predict(False, api_name="/caption_gallery")
    assert "captioned 0," in again  # resumable: nothing left to do

    rows = caption_table(client.predict(image, 4, api_name="/search_image_to_text"))
    assert len(rows) == 4
    assert all(isinstance(r[0], str) and r[0] for r in rows)
    scores = [r[1] for r in rows]
    assert scores == sorted(scores, reverse=True)

    _, _, hits = client.predict("a photo", 100, api_name="/search_text")  # all items
    captions = {h["id"]: h["caption"] for h in hits}
    assert all(captions[r[2]] == r[0] for r in rows)  # the table names the captioned item


def test_reembed_rebuilds_the_same_images_and_keeps_their_captions(client):
    client.predict(api_name="/caption_gallery")  # no-op when already captioned
    _, _, before = search_text(client, "a photo", 100)
    report, status = client.predict(api_name="/index_reembed")
    assert f"added {len(before)}," in report and "0 unreadable" in report
    assert f"holds {len(before)} image(s)" in report and "index" in status
    _, _, after = search_text(client, "a photo", 100)
    assert {h["image"]: h["caption"] for h in after} == {h["image"]: h["caption"] for h in before}


def test_info_reports_preset_models_and_index(client):
    status = client.predict(api_name="/info")
    assert "tiny" in status and "random weights" in status and "images" in status
