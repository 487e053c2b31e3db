"""The caption and VQA endpoints with the transformers backends (tiny random BLIP / ViLT).

The app runs with ``MMDEMO_BACKENDS`` pointing caption and VQA at the tiny random BLIP
captioner and ViLT, built from configs and loaded through the same code as ``full``.
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.conftest import client_for, launch_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with launch_app(
        tmp_path_factory.mktemp("generative_app"),
        MMDEMO_PRESET="tiny",
        MMDEMO_BACKENDS="caption=blip-caption-tiny,vqa=vilt-vqa-tiny",
    ) as server:
        yield client_for(server)


def test_blip_caption_options_reach_the_model(client, make_test_image):
    image = handle_file(str(make_test_image("c.png", size=(80, 60))))
    text, _, notes = client.predict(image, api_name="/caption")
    assert isinstance(text, str) and "BLIP, beam search" in notes and "Random test" in notes
    text, _, notes = client.predict(image, "sample", 8, "a photo of", api_name="/caption")
    assert text.startswith("a photo of") and "nucleus sampling" in notes
    with pytest.raises(AppError, match="max_length"):
        client.predict(image, "beam", 500, "", api_name="/caption")


def test_vilt_answers_are_ranked_probabilities(client, make_test_image):
    image = handle_file(str(make_test_image("q.png", size=(80, 60))))
    answers, notes = client.predict(image, "what is this?", api_name="/vqa")
    assert "vilt" in notes.lower()
    scores = [c["confidence"] for c in answers["confidences"]]
    assert len(scores) == 5 and all(0 <= s <= 1 for s in scores)  # top 5 of 21 answers
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(AppError, match="500"):
        client.predict(image, "why " * 1500, api_name="/vqa")
