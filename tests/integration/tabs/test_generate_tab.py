"""The Generate tab's endpoint, /generate, through gradio_client and raw HTTP (tiny app:
the config-built random SD twin through the real diffusers pipeline), plus the tab's
renderers on lite (one plain line, no controls)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.i18n import has_cjk
from mmdemo.serving import ModelServer
from mmdemo.ui.tabs import generate as generate_tab
from tests.support.page_views import call_as, outputs_of, page_view, value_of

pytestmark = pytest.mark.integration


def test_generate_returns_a_png_and_its_json(gradio_client):
    path, details, notes = gradio_client.predict(
        "a red fox in the snow", 2, 5, 256, 320, api_name="/generate"
    )
    with Image.open(path) as drawn:
        assert drawn.format == "PNG" and drawn.mode == "RGB"
        assert drawn.size == (256 // 4, 320 // 4)  # the tiny twin draws at 1/4 of the size
    assert details["stopped"] == "done" and details["steps_done"] == 2
    assert details["seed"] == 5 and details["backend"] == "sd-tiny" and details["has_image"]
    assert "sd" in notes.lower() and "2 steps" in notes and "safety checker" in notes


@pytest.mark.parametrize("prompt", generate_tab.EXAMPLES)
def test_every_example_prompt_draws(gradio_client, prompt):
    path, details, _ = gradio_client.predict(prompt, api_name="/generate")
    assert details["prompt"] == prompt and details["stopped"] == "done"
    assert Image.open(path).size == (128, 128)  # 512 / 4, the defaults


def test_same_seed_same_image_through_the_api(gradio_client):
    first, _, _ = gradio_client.predict("a lighthouse", 1, 3, api_name="/generate")
    second, _, _ = gradio_client.predict("a lighthouse", 1, 3, api_name="/generate")
    assert Image.open(first).tobytes() == Image.open(second).tobytes()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("",), "empty"),
        (("a fox", 9), "steps must be between 1 and 8|greater than maximum value 8"),
        (("a fox", 1, 0, 300), "multiple of 64"),
        (("一只狐狸",), "English"),
        (("a fox", 1, 0, 512, 512, "no-such-model"), "no-such-model"),
    ],
)
def test_bad_input_is_refused_with_what_to_do(gradio_client, args, words):
    with pytest.raises(AppError, match=words):
        gradio_client.predict(*args, api_name="/generate")


def test_raw_http_serves_the_image_as_a_png_and_chinese_refusals(app_server):
    outputs = outputs_of(call_as(app_server.url, "generate", ["a cat", 1, 0, 256, 256], "en"))
    image, details = outputs[0], outputs[1]
    assert details["width"] == 64 and details["stopped"] == "done"
    with urllib.request.urlopen(image["url"], timeout=30) as response:
        assert response.headers["Content-Type"] == "image/png"  # never active content
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    refused = call_as(app_server.url, "generate", ["一只狐狸", 1, 0, 256, 256], "zh")
    error = json.loads(refused.split("event: error\ndata: ", 1)[1].splitlines()[0])
    assert "英文" in error["error"] and "English" not in error["error"]


def test_the_intro_names_the_model_in_both_languages(app_server):
    english = value_of(page_view(app_server.url, "en")["generate-intro"])
    chinese = value_of(page_view(app_server.url, "zh")["generate-intro"])
    assert "Stable Diffusion" in english and "English" in english
    assert has_cjk(chinese) and "Stable Diffusion" in chinese


def test_lite_says_plainly_it_needs_full(tmp_path):
    lite = ModelServer(Settings(preset="lite", cache_dir=tmp_path))
    english, chinese = generate_tab.intro(lite, "en"), generate_tab.intro(lite, "zh")
    assert "`full`" in english and "`lite`" in english
    assert "`full`" in chinese and has_cjk(chinese)
