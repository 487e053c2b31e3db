"""The caption-related endpoints through gradio_client: /caption_gallery, /search_image_to_text
and /search_text with its optional hybrid flag (the tiny app: behaviour, not meaning).
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.integration


def caption_table(value) -> list[list]:
    """Rows of a Dataframe output (gradio_client returns {"headers", "data", ...})."""
    assert value["headers"] == ["caption", "score", "id", "image"]
    return value["data"]


def test_endpoints_are_listed_and_hybrid_defaults_off(gradio_client):
    api = gradio_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/caption_gallery", "/search_image_to_text", "/search_text"} <= set(api)
    params = api["/search_text"]["parameters"]
    assert len(params) == 3 and params[2]["parameter_has_default"]
    assert params[2]["parameter_default"] is False


def test_caption_gallery_then_image_to_text(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("query.png")))
    try:  # on a fresh server nothing is captioned yet, and the error says what to do
        gradio_client.predict(image, 3, api_name="/search_image_to_text")
    except AppError as err:
        assert "caption the gallery first" in str(err)

    report, status = gradio_client.predict(api_name="/caption_gallery")
    assert "captioned" in report and "0 failed" in report and "index" in status
    again, _ = gradio_client.predict(False, api_name="/caption_gallery")
    assert "captioned 0," in again  # resumable: nothing left to do

    rows = caption_table(gradio_client.predict(image, 4, api_name="/search_image_to_text"))
    assert len(rows) == 4
    assert all(isinstance(r[0], str) and r[0] for r in rows)
    scores = [r[1] for r in rows]
    assert scores == sorted(scores, reverse=True)

    _, _, hits = gradio_client.predict("a photo", 100, api_name="/search_text")  # all items
    captions = {h["id"]: h["caption"] for h in hits}
    assert all(captions[r[2]] == r[0] for r in rows)  # the table names the captioned item


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
