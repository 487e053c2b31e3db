"""Every named endpoint of the running app, through gradio_client, including bad inputs.

The app runs as ``python app.py`` with the tiny preset (see tests/conftest.py), so these
check behaviour and shapes, not meaning.
"""

from __future__ import annotations

import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.integration


def tiny_png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG header claiming a huge size (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def search_text(client, query, k=5):
    return client.predict(query, k, api_name="/search_text")


def test_api_lists_the_named_endpoints(gradio_client):
    names = set(gradio_client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    for name in (
        "/search_text",
        "/search_image",
        "/classify",
        "/index_add",
        "/search_similar",
        "/info",
    ):
        assert name in names


def test_search_text_returns_gallery_message_and_hits(gradio_client):
    gallery, message, hits = search_text(gradio_client, "a cup of coffee", 5)
    assert len(gallery) == 5 and len(hits) == 5  # the default gallery has 16 photos
    assert all({"id", "score", "image_path"} <= set(hit) for hit in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert "result" in message or "No good match" in message


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_a_clear_error(gradio_client, query):
    with pytest.raises(AppError, match="empty"):
        search_text(gradio_client, query)


def test_k_is_clamped_and_long_text_truncated(gradio_client):
    assert len(search_text(gradio_client, "cat", 0)[2]) == 1
    assert len(search_text(gradio_client, "cat", 10_000)[2]) == 16
    assert len(search_text(gradio_client, "a very long query " * 2000, 3)[2]) == 3


def test_search_image_and_mixed_query(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("query.png")))
    _, _, hits = gradio_client.predict(image, "", 0.3, 4, api_name="/search_image")
    assert len(hits) == 4
    _, _, mixed = gradio_client.predict(image, "at night", 0.8, 4, api_name="/search_image")
    assert [h["score"] for h in mixed] != [h["score"] for h in hits]


def test_search_similar_leaves_out_the_item(gradio_client):
    _, _, hits = search_text(gradio_client, "a photo", 3)
    item = hits[0]["id"]
    _, _, similar = gradio_client.predict(item, 5, api_name="/search_similar")
    assert len(similar) == 5 and item not in [h["id"] for h in similar]
    with pytest.raises(AppError, match="no image with id"):
        gradio_client.predict(99_999, 5, api_name="/search_similar")


def test_classify_returns_probabilities(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("c.png")))
    result = gradio_client.predict(
        image, "cat, dog, rocket", "a photo of a {}.", api_name="/classify"
    )
    probabilities = {c["label"]: c["confidence"] for c in result["confidences"]}
    assert set(probabilities) == {"cat", "dog", "rocket"}
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(AppError, match="at least two"):
        gradio_client.predict(image, "cat", "{}", api_name="/classify")


BAD_FILES = {
    "notes.png": b"this is a text file, not a picture",
    "empty.jpg": b"",
    "truncated.png": None,  # filled in by the test from a real PNG
    "bomb.png": tiny_png_declaring(50_000, 50_000),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_image_uploads_name_the_file(gradio_client, tmp_path, make_test_image, name):
    path = tmp_path / name
    if BAD_FILES[name] is None:
        path.write_bytes(make_test_image("whole.png", size=(300, 300)).read_bytes()[:400])
    else:
        path.write_bytes(BAD_FILES[name])
    with pytest.raises(AppError, match=name.replace(".", r"\.")):
        gradio_client.predict(handle_file(str(path)), "", 0.3, 3, api_name="/search_image")
    with pytest.raises(AppError, match=name.replace(".", r"\.")):
        gradio_client.predict(handle_file(str(path)), "a, b", "{}", api_name="/classify")
    assert len(search_text(gradio_client, "still serving", 2)[2]) == 2


def test_missing_image_is_a_clear_error(gradio_client):
    with pytest.raises(AppError, match="No image"):
        gradio_client.predict(None, "", 0.3, 3, api_name="/search_image")


def test_index_add_reports_and_keeps_the_index_intact(gradio_client, tmp_path, make_test_image):
    before = len(search_text(gradio_client, "x", 100)[2])
    good = [make_test_image(f"new{i}.png", color=(10 + 70 * i, 90, 200)) for i in range(2)]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    files = [handle_file(str(p)) for p in [*good, good[0], broken]]
    report, status = gradio_client.predict(files, api_name="/index_add")
    assert "added 2" in report and "1 duplicate" in report and "broken.jpg" in report
    assert "index" in status
    after = search_text(gradio_client, "x", 100)[2]
    assert len(after) == before + 2
    again, _ = gradio_client.predict([handle_file(str(good[1]))], api_name="/index_add")
    assert "added 0" in again and "1 duplicate" in again
    with pytest.raises(AppError, match="No files"):
        gradio_client.predict([], api_name="/index_add")


def test_two_users_adding_at_once(app_server, make_test_image):
    from gradio_client import Client

    clients = [Client(app_server.url, verbose=False) for _ in range(2)]
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


def test_info_reports_preset_models_and_index(gradio_client):
    status = gradio_client.predict(api_name="/info")
    assert "tiny" in status and "random weights" in status and "images" in status


def raw_call(base_url: str, api_name: str, data: list) -> str:
    """Call an endpoint over plain HTTP (no gradio_client, which would upload files itself)."""
    import json
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        f"{base_url}gradio_api/call/{api_name}", data=json.dumps({"data": data}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with opener.open(request, timeout=30) as response:
        event_id = json.loads(response.read())["event_id"]
    with opener.open(f"{base_url}gradio_api/call/{api_name}/{event_id}", timeout=60) as response:
        return response.read().decode()


def test_raw_payload_naming_a_server_file_is_refused(app_server, make_test_image):
    """A crafted call must not make the server read files outside its upload folder.

    Gradio 6.31 already refuses such payloads before our handler runs; ``require_inside``
    in the handlers is the second line (its own unit test is in test_imaging.py).
    """
    private = str(make_test_image("private.png"))
    payload = {"path": private, "orig_name": "x.png", "meta": {"_type": "gradio.FileData"}}
    for api_name, data in [("search_image", [payload, "", 0.3, 3]), ("index_add", [[payload]]),
                           ("classify", [payload, "a, b", "{}"])]:
        stream = raw_call(app_server.url, api_name, data)
        assert "event: error" in stream, stream
        assert "private.png" not in stream.replace("x.png", "")  # nothing about the file leaks
        assert "event: complete" not in stream
