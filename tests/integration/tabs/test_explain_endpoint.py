"""``/explain`` (the "Why this match" panel under Classify) through gradio_client and raw HTTP.

tiny app (random weights): the endpoint's shape - an overlay image and the JSON of the
issue (grid, method, score) - bad input named in the visitor's language, server files
refused. lite (the offline app): the map sits on the half of a two-photo composite that
shows what the text names.
"""

from __future__ import annotations

import json

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from mmdemo.core.config import Settings
from tests.support.uploads import raw_call, raw_upload, server_file_payload

pytestmark = pytest.mark.integration
GALLERY = Settings().gallery_dir


def test_explain_returns_an_overlay_and_the_map(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("e.png", size=(96, 64))))
    overlay, data = gradio_client.predict(image, "a red square", api_name="/explain")
    with Image.open(overlay) as drawn:
        assert drawn.width > 0 and drawn.height > 0
    assert {"grid", "method", "score"} <= set(data)
    assert data["method"] == "attention relevancy (Chefer et al.)"
    grid = data["grid"]
    assert min(min(r) for r in grid) >= 0 and max(max(r) for r in grid) == 1.0
    assert data["details"]["random_weights"] is True


def test_an_empty_text_is_refused_and_said_in_chinese_to_a_chinese_browser(
    gradio_client, app_server, make_test_image
):
    path = make_test_image("e2.png")
    with pytest.raises(AppError, match="empty"):
        gradio_client.predict(handle_file(str(path)), "  ", api_name="/explain")
    upload = raw_upload(app_server.url, "e2.png", path.read_bytes())
    stream = raw_call(app_server.url, "explain", [upload, ""], {"Accept-Language": "zh-CN"})
    said = "搜索文字是空的"
    assert "event: error" in stream
    assert said in stream or said.encode("unicode_escape").decode() in stream, stream


def test_no_image_is_a_clear_error(gradio_client):
    with pytest.raises(AppError, match="No image given"):
        gradio_client.predict(None, "a cat", api_name="/explain")


def test_raw_payload_naming_a_server_file_is_refused(app_server, make_test_image):
    payload = server_file_payload(make_test_image("secret.png"))
    stream = raw_call(app_server.url, "explain", [payload, "a cat"])
    assert "event: error" in stream and "event: complete" not in stream


def _composite(tmp_path, left: str, right: str):
    canvas = Image.new("RGB", (448, 224))
    for i, name in enumerate((left, right)):
        photo = Image.open(GALLERY / name).convert("RGB").resize((224, 224))
        canvas.paste(photo, (224 * i, 0))
    path = tmp_path / f"{left}-{right}.png"
    canvas.save(path)
    return handle_file(str(path))


def test_lite_puts_the_map_on_the_cat(offline_client, tmp_path):
    image = _composite(tmp_path, "coffee_cup.png", "chelsea_the_cat.png")
    _, data = offline_client.predict(image, "a cat", api_name="/explain")
    assert data["method"] == "Grad-CAM on EfficientNet classes"
    grid = data["grid"]
    half = len(grid[0]) // 2
    right = sum(sum(row[half:]) for row in grid)
    assert right / sum(sum(row) for row in grid) >= 0.7, json.dumps(data["details"])
