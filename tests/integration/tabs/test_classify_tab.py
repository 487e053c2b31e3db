"""The Classify tab's endpoint, /classify, through gradio_client (tiny app: behaviour).

Zero-shot labels typed by the caller become probabilities; bad uploads are named and
crafted payloads pointing at server files are refused. A Chinese visitor (the page's
``/page_load`` in zh) gets Chinese labels where the embedder reads them; the API stays English.
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.i18n import has_cjk
from mmdemo.ui import examples
from tests.support.page_views import page_view, value_of
from tests.support.uploads import BAD_FILES, raw_call, server_file_payload, write_bad_file

pytestmark = pytest.mark.integration


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


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_image_uploads_name_the_file(gradio_client, tmp_path, make_test_image, name):
    path = write_bad_file(tmp_path, name)
    with pytest.raises(AppError, match=name.replace(".", r"\.")):
        gradio_client.predict(handle_file(str(path)), "a, b", "{}", api_name="/classify")
    good = handle_file(str(make_test_image("good.png")))
    still = gradio_client.predict(good, "a, b", "{}", api_name="/classify")
    assert len(still["confidences"]) == 2  # still serving


def test_raw_payload_naming_a_server_file_is_refused(app_server, make_test_image):
    """A crafted call must not make the server read a file outside its upload folder."""
    payload = server_file_payload(make_test_image("private.png"))
    stream = raw_call(app_server.url, "classify", [payload, "a, b", "{}"])
    assert "event: error" in stream, stream
    assert "private.png" not in stream.replace("x.png", "")  # nothing about the file leaks
    assert "event: complete" not in stream


def test_classify_needs_only_the_image(gradio_client, make_test_image):
    """Labels and template have defaults in the API (the tab's own)."""
    result = gradio_client.predict(
        handle_file(str(make_test_image("alone.png"))), api_name="/classify"
    )
    labels = {c["label"] for c in result["confidences"]}
    assert {"a cat", "a dog", "a flower"} <= labels


# -- the visitor's language ------------------------------------------------------------------
def test_a_chinese_visitor_starts_with_chinese_labels_and_the_api_keeps_english(app_server):
    """tiny's multilingual embedder reads Chinese: the page fills in Chinese labels, template
    and examples for a zh-CN browser; the API's defaults (the built values) stay English."""
    zh, en = page_view(app_server.url, "zh"), page_view(app_server.url, "en")
    assert value_of(zh["classify-labels"]) == examples.CLASSIFY_LABELS_ZH
    assert value_of(zh["classify-template"]) == "一张{}的照片。"
    intro = value_of(zh["classify-intro"])
    assert has_cjk(intro) and "open_clip" in intro and "只读英文" not in intro
    assert zh["classify-examples-zh"]["visible"] and not zh["classify-examples"]["visible"]
    assert value_of(en["classify-labels"]) == examples.CLASSIFY_LABELS
    assert not has_cjk(value_of(en["classify-intro"]))
    assert en["classify-examples"]["visible"] and not en["classify-examples-zh"]["visible"]


def test_chinese_labels_come_back_as_typed(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("zh.png")))
    result = gradio_client.predict(
        image, examples.CLASSIFY_LABELS_ZH, "一张{}的照片。", api_name="/classify"
    )
    probabilities = {c["label"]: c["confidence"] for c in result["confidences"]}
    assert set(probabilities) == {"猫", "狗", "一杯咖啡", "火箭发射", "宇航员", "花"}
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)


def test_a_chinese_visitor_of_lite_is_offered_what_its_bridge_reads(offline_app_server):
    """lite's bridge: Chinese labels where it declares Chinese, else English ones and an
    intro that asks for English labels (Chinese ones would be refused)."""
    from mmdemo.models.registry import get_backend

    reads = get_backend("embed", "lite-label-bridge").capabilities.reads("猫, 狗")
    zh = page_view(offline_app_server.url, "zh")
    labels, intro = value_of(zh["classify-labels"]), value_of(zh["classify-intro"])
    assert has_cjk(intro)
    if reads:
        assert labels == examples.CLASSIFY_LABELS_ZH and "只读英文" not in intro
    else:
        assert labels == examples.CLASSIFY_LABELS and "只读英文" in intro
