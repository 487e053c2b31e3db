"""The Search tab's endpoints through gradio_client: /search_text (with its optional hybrid
flag), /search_image, /search_similar and /search_image_to_text, including bad inputs.

The app runs as ``python app.py`` with the tiny preset (see tests/conftest.py), so these
check behaviour and shapes, not meaning; the offline lite app checks meaning.
"""

from __future__ import annotations

import io

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.support.app_process import REPO_ROOT
from tests.support.localised_calls import call_in
from tests.support.uploads import (
    BAD_FILES,
    raw_call,
    raw_upload,
    server_file_payload,
    write_bad_file,
)

pytestmark = pytest.mark.integration


def search_text(client, query, k=5):
    return client.predict(query, k, api_name="/search_text")


def test_search_text_returns_gallery_message_and_hits(gradio_client):
    gallery, message, hits = search_text(gradio_client, "a cup of coffee", 5)
    assert len(gallery) == 5 and len(hits) == 5  # the default gallery has 16 photos
    assert all({"id", "score", "image"} <= set(hit) for hit in hits)
    assert not any("/" in hit["image"] for hit in hits)  # a file name, no server path
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


def test_search_image_needs_only_the_image(gradio_client, make_test_image):
    """The optional inputs (text, weight, k) have defaults in the API: image alone works."""
    image = handle_file(str(make_test_image("alone.png")))
    gallery, message, hits = gradio_client.predict(image, api_name="/search_image")
    assert len(hits) == 12 and len(gallery) == 12  # the slider's default k
    assert message
    _, _, same = gradio_client.predict(image, "", 0.3, 12, api_name="/search_image")
    assert [h["id"] for h in same] == [h["id"] for h in hits]


def test_search_similar_leaves_out_the_item(gradio_client):
    _, _, hits = search_text(gradio_client, "a photo", 3)
    item = hits[0]["id"]
    _, _, similar = gradio_client.predict(item, 5, api_name="/search_similar")
    assert len(similar) == 5 and item not in [h["id"] for h in similar]
    with pytest.raises(AppError, match="no image with id"):
        gradio_client.predict(99_999, 5, api_name="/search_similar")


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_image_uploads_name_the_file(gradio_client, tmp_path, name):
    path = write_bad_file(tmp_path, name)
    with pytest.raises(AppError, match=name.replace(".", r"\.")):
        gradio_client.predict(handle_file(str(path)), "", 0.3, 3, api_name="/search_image")
    assert len(search_text(gradio_client, "still serving", 2)[2]) == 2


def test_missing_image_is_a_clear_error(gradio_client):
    with pytest.raises(AppError, match="No image"):
        gradio_client.predict(None, "", 0.3, 3, api_name="/search_image")


def test_raw_payload_naming_a_server_file_is_refused(app_server, make_test_image):
    """A crafted call must not make the server read files outside its upload folder.

    Gradio 6.31 already refuses such payloads before our handler runs; ``require_inside``
    in the handlers is the second line (its own unit test is in test_imaging.py).
    """
    payload = server_file_payload(make_test_image("private.png"))
    stream = raw_call(app_server.url, "search_image", [payload, "", 0.3, 3])
    assert "event: error" in stream, stream
    assert "private.png" not in stream.replace("x.png", "")  # nothing about the file leaks
    assert "event: complete" not in stream


# -- hybrid text search and image -> text (captions come from the manage panel) ----------
def test_endpoints_are_listed_and_hybrid_defaults_off(gradio_client):
    api = gradio_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/caption_gallery", "/search_image_to_text", "/search_text"} <= set(api)
    params = api["/search_text"]["parameters"]
    # text, k, hybrid, the min score, then collapse and re-rank (ui/panels/search_options)
    assert len(params) == 6 and params[2]["parameter_has_default"]
    assert params[2]["parameter_default"] is False
    assert [p["parameter_default"] for p in params[4:]] == [False, False]


def test_hybrid_text_search(gradio_client):
    gradio_client.predict(api_name="/caption_gallery")  # no-op when already captioned
    _, _, hits = gradio_client.predict("a photo", 3, api_name="/search_text")
    words = hits[0]["caption"]
    _, message, hybrid = gradio_client.predict(words, 3, True, api_name="/search_text")
    assert "Hybrid" in message and len(hybrid) == 3
    _, plain_message, plain = gradio_client.predict(words, 3, False, api_name="/search_text")
    assert "Hybrid" not in plain_message
    # every query word is in that caption, so its item gains the full bonus
    bonus = {h["id"]: h["score"] for h in hybrid}
    base = {h["id"]: h["score"] for h in plain}
    for item_id in set(bonus) & set(base):
        assert bonus[item_id] >= base[item_id] - 1e-4


def test_image_to_text_names_a_bad_upload(gradio_client, tmp_path):
    path = tmp_path / "notes.png"
    path.write_bytes(b"this is a text file, not a picture")
    with pytest.raises(AppError, match=r"notes\.png"):
        gradio_client.predict(handle_file(str(path)), 3, api_name="/search_image_to_text")
    with pytest.raises(AppError, match="No image"):
        gradio_client.predict(None, 3, api_name="/search_image_to_text")


# -- offline, no preset: auto -> lite, real meaning ---------------------------------------
def test_offline_lite_search_finds_the_coffee(offline_client):
    _, _, hits = offline_client.predict("a cup of coffee", 3, api_name="/search_text")
    assert any(h["image"] == "coffee_cup.png" for h in hits)


# -- thumbnails: what a results grid is sent ------------------------------------------------
GALLERY = REPO_ROOT / "assets" / "gallery"


def test_search_results_are_thumbnails_and_the_originals_stay_reachable(app_server):
    """/search_text names <= 384 px JPEG thumbnails (not the originals); each hit's original
    is still served, byte for byte, from the default gallery folder."""
    client = Client(app_server.url, verbose=False, download_files=False)
    gallery, _, hits = client.predict("a photo", 16, api_name="/search_text")
    assert len(gallery) == len(hits) == 16
    with httpx.Client(base_url=app_server.url, trust_env=False, timeout=30) as http:
        for item, hit in zip(gallery, hits, strict=True):
            url = item["image"]["url"]
            assert url.endswith("-384.jpg"), url  # a cached thumbnail, named by content
            assert "/images/thumbnails/" in url, url  # served in place, not copied per search
            response = http.get(url)
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/jpeg"
            assert response.headers["x-content-type-options"] == "nosniff"
            with Image.open(io.BytesIO(response.content)) as thumb:
                original = GALLERY / hit["image"]
                with Image.open(original) as full:
                    assert max(thumb.size) == min(384, max(full.size)), (hit, thumb.size)
                    ratio = full.width / full.height
                assert thumb.format == "JPEG" and abs(thumb.width / thumb.height - ratio) < 0.02
            served = http.get(f"/gradio_api/file={original}")
            assert served.status_code == 200 and served.content == original.read_bytes()


def test_similar_names_thumbnails_too(gradio_client, app_server):
    """/search_similar (a plain API function: its grid items are [file, caption] pairs)."""
    _, _, hits = search_text(gradio_client, "a photo", 3)
    gallery, _, similar = gradio_client.predict(hits[0]["id"], 4, api_name="/search_similar")
    assert len(gallery) == len(similar) == 4
    with httpx.Client(base_url=app_server.url, trust_env=False, timeout=30) as http:
        for file, _caption in gallery:
            assert file.endswith("-384.jpg"), file
            with Image.open(io.BytesIO(http.get(f"/gradio_api/file={file}").content)) as thumb:
                assert max(thumb.size) <= 384 and thumb.format == "JPEG"


# -- the visitor's language: Chinese for a Chinese browser, English for the API ------------
def chips_of(load_outputs: list) -> list[str]:
    """The search chips among /page_load's outputs (the one Dataset update with samples)."""
    for value in load_outputs:
        if isinstance(value, dict) and "samples" in value:
            samples = [row[0] for row in value["samples"]]
            if any("coffee" in q or "咖啡" in q for q in samples):
                return samples
    raise AssertionError(f"no search chips among the page's texts: {load_outputs!r}")


def test_the_chips_follow_the_page_language(app_server):
    from mmdemo.ui import examples

    chinese = chips_of(call_in(app_server.url, "page_load", [None], language="zh-CN,zh;q=0.9"))
    assert chinese == examples.search_queries("tiny", "zh") and "一杯咖啡" in chinese
    english = chips_of(call_in(app_server.url, "page_load", [None], language="en-US"))
    assert english == examples.search_queries("tiny", "en")
    # the switch's cookie wins over the browser's language
    chosen = chips_of(call_in(app_server.url, "page_load", [None], language="en", cookie="zh"))
    assert chosen == chinese


def test_a_chinese_visitor_reads_the_results_message_in_chinese(app_server, gradio_client):
    _, message, hits = call_in(
        app_server.url, "search_text", ["一只猫", 3, False, -1.0], language="zh-CN"
    )[:3]
    assert len(hits) == 3 and message.startswith("共 3 个结果；最高分 "), message  # tiny: scores
    _, english, same = gradio_client.predict("一只猫", 3, api_name="/search_text")
    assert english.startswith("3 result(s); best score") and same == hits  # the API: English
    _, chosen, _ = call_in(
        app_server.url, "search_text", ["一只猫", 3, False, -1.0], language="en", cookie="zh"
    )[:3]
    assert chosen == message


def test_the_chinese_hybrid_note_and_image_to_text_headers(app_server, gradio_client):
    gradio_client.predict(api_name="/caption_gallery")  # no-op when already captioned
    _, message, _ = call_in(
        app_server.url, "search_text", ["一只猫", 3, True, -1.0], language="zh-CN"
    )[:3]
    assert "混合搜索" in message and "Hybrid" not in message, message
    upload = raw_upload(app_server.url, "cup.png", (GALLERY / "coffee_cup.png").read_bytes())
    table = call_in(app_server.url, "search_image_to_text", [upload, 3], language="zh-CN")[0]
    assert table["headers"] == ["描述", "分数", "编号", "图片"] and len(table["data"]) == 3
    english = gradio_client.predict(
        handle_file(str(GALLERY / "coffee_cup.png")), 3, api_name="/search_image_to_text"
    )
    assert english["headers"] == ["caption", "score", "id", "image"]
