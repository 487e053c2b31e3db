"""The Classify tab's endpoint, /classify, through gradio_client (tiny app: behaviour).

Zero-shot labels typed by the caller become probabilities; bad uploads are named and
crafted payloads pointing at server files are refused.
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

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
