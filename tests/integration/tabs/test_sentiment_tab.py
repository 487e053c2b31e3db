"""The Sentiment tab's endpoint, /sentiment, through gradio_client: text, image, both,
every fusion, bad input.

The tiny app checks behaviour (shapes, maths, messages); the offline lite app checks
meaning; an app of its own proves that an early-fusion head trained while it runs is used.
"""

from __future__ import annotations

import json

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.config import PROJECT_ROOT
from tests.support.app_process import AppProcess
from tests.support.cli import run_main
from tests.support.sentiment_data import write_synthetic_csv

pytestmark = pytest.mark.integration

GALLERY = PROJECT_ROOT / "assets" / "gallery"
GREY = PROJECT_ROOT / "assets" / "examples" / "sentiment" / "temple_grey_overcast.jpg"
CLASSES = {"negative", "neutral", "positive"}


def ask(client, text=None, image=None, fusion="late", weight=0.5):
    picture = handle_file(str(image)) if image else None
    return client.predict(text, picture, fusion, weight, api_name="/sentiment")


def fused_of(label_output) -> dict[str, float]:
    return {c["label"]: c["confidence"] for c in label_output["confidences"]}


def test_text_only_gives_three_probabilities_and_a_fused_label(gradio_client):
    output, chart, notes, raw = ask(gradio_client, "I love this!")
    probabilities = fused_of(output)
    assert set(probabilities) == CLASSES
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert set(raw["modalities"]) == {"text"} and raw["label"] in CLASSES
    assert raw["label"] == max(probabilities, key=probabilities.get)
    assert "Random test weights" in notes and "distilbert" in notes.lower()
    assert chart  # the plot's data came back


def test_sentiment_needs_only_the_text(gradio_client):
    """Image, fusion and weight have defaults: no image, late fusion, text weight 0.5."""
    alone = gradio_client.predict("I love this!", api_name="/sentiment")
    spelled_out = gradio_client.predict("I love this!", None, "late", 0.5, api_name="/sentiment")
    assert alone[3] == spelled_out[3] and alone[2] == spelled_out[2]
    assert alone[3]["fusion"] == "late" and set(alone[3]["modalities"]) == {"text"}


def test_image_only_and_both_inputs(gradio_client):
    _, _, _, raw = ask(gradio_client, image=GALLERY / "flower.jpg")
    assert set(raw["modalities"]) == {"image"}
    _, _, _, raw = ask(gradio_client, "What a lovely day", GALLERY / "flower.jpg")
    assert set(raw["modalities"]) == {"text", "image"}


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_late_fusion_weights_0_and_1_reduce_to_one_modality(gradio_client, weight):
    _, _, _, raw = ask(gradio_client, "Great, another rainy day.", GREY, "late", weight)
    alone = raw["modalities"]["text" if weight == 1.0 else "image"]["probabilities"]
    for cls in CLASSES:
        assert raw["probabilities"][cls] == pytest.approx(alone[cls], abs=1e-5)


def test_caption_bridge_reads_the_caption_with_the_text(gradio_client):
    _, _, notes, raw = ask(gradio_client, "Great, another rainy day.", GREY, "caption")
    assert "The text model read" in notes
    assert raw["fusion"] == "caption" and set(raw["modalities"]) == {"text", "image"}
    assert "caption" in raw["modalities"]["image"]["source"]


def test_early_fusion_without_a_trained_head_says_how_to_train_one(gradio_client):
    with pytest.raises(AppError, match="train sentiment-fusion"):
        ask(gradio_client, "Great, another rainy day.", GREY, "early")


@pytest.mark.parametrize(
    ("text", "image", "fusion", "weight", "error"),
    [
        (None, None, "late", 0.5, "nothing to analyse"),
        ("  ", None, "late", 0.5, "nothing to analyse"),
        ("fine", None, "no-such-fusion", 0.5, "late"),
        ("fine", None, "late", 2, "between 0 and 1"),
    ],
)
def test_bad_requests_are_clear_errors(gradio_client, text, image, fusion, weight, error):
    with pytest.raises(AppError, match=error):
        ask(gradio_client, text, image, fusion, weight)


def test_a_corrupt_image_is_named(gradio_client, tmp_path):
    bad = tmp_path / "smashed.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(AppError, match=r"smashed\.jpg"):
        ask(gradio_client, "nice", bad)


@pytest.mark.parametrize(
    "text", ["😀🎉👍", "great " * 1700, "Me encanta este lugar, c'est magnifique, 太好了"]
)
def test_odd_texts_still_get_an_answer(gradio_client, text):
    output, _, _, raw = ask(gradio_client, text)
    assert set(fused_of(output)) == CLASSES and raw["label"] in CLASSES


# -- lite: meaning ---------------------------------------------------------------------
def test_lite_text_sentiment_means_something(offline_client):
    _, _, _, raw = ask(offline_client, "This is terrible, I hate it.")
    assert raw["label"] == "negative" and "VADER" in raw["modalities"]["text"]["model"]
    _, _, _, raw = ask(offline_client, "What a wonderful, happy day!")
    assert raw["label"] == "positive"


def test_offline_lite_sentiment_means_something(offline_client):
    output, *_ = offline_client.predict("This is terrible, I hate it.", api_name="/sentiment")
    probabilities = fused_of(output)
    assert max(probabilities, key=probabilities.get) == "negative"


# -- early fusion end to end: a running app, then ``train sentiment-fusion`` ---------------
# The path a person takes: the app starts with no head (early fusion says how to train
# one), the CLI trains a head into the app's index folder, and the *running* app uses it on
# the next request, with no restart. The app is this module's own: the head changes it.
@pytest.fixture(scope="module")
def early_server(tmp_path_factory):
    with AppProcess(tmp_path_factory.mktemp("early_app"), MMDEMO_PRESET="tiny") as running:
        yield running


def test_a_head_trained_while_the_app_runs_is_used_on_the_next_request(early_server, tmp_path):
    server = early_server
    client = server.client()
    data = write_synthetic_csv(tmp_path / "data", rows=40)
    warm = handle_file(str(tmp_path / "data" / "img000.png"))  # a positive row's image
    with pytest.raises(AppError, match="train sentiment-fusion"):
        client.predict("what a happy day", warm, "early", 0.5, api_name="/sentiment")

    # the train command, run through ``main`` in this process (the app is the other process)
    trained = run_main(
        "train",
        "sentiment-fusion",
        "--data",
        str(data),
        "--preset",
        "tiny",
        "--index-dir",
        str(server.index_dir),
    )
    assert trained.returncode == 0, trained.stderr

    _, _, notes, raw = client.predict("what a happy day", warm, "early", 0.5, api_name="/sentiment")
    assert raw["fusion"] == "early" and set(raw["modalities"]) == {"text", "image"}
    assert sum(raw["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert "head" in notes.lower()


# -- in Chinese: what a browser set to zh-CN (or the page's 中文 switch) is shown --------------
def test_a_chinese_visitor_reads_the_result_in_chinese_and_the_api_stays_english(app_server):
    """Raw HTTP as a zh-CN browser: the fused label's classes, the chart's columns and the
    result notes are Chinese; the JSON keeps the API's English keys. gradio_client (no
    language) gets the English wording for the same call."""
    from tests.support.localised_calls import call_in

    url = app_server.url.rstrip("/") + "/"
    label, chart, notes, raw = call_in(
        url, "sentiment", ["这部电影真好看！", None, "late", 0.5], language="zh-CN"
    )
    assert {c["label"] for c in label["confidences"]} == {"积极", "中性", "消极"}
    assert raw["label"] in CLASSES and set(raw["probabilities"]) == CLASSES  # the API's keys
    assert notes.startswith("⚠️ *随机测试权重") and "**融合结果：" in notes
    assert "只给了文字" in notes and "Fused" not in notes and "pulled" not in notes
    assert "来源" in json.dumps(chart, ensure_ascii=False)  # the chart's x column
    output, _, english, same = ask(app_server.client(), "这部电影真好看！")
    assert set(fused_of(output)) == CLASSES and "**Fused:" in english
    assert same["probabilities"] == raw["probabilities"]  # one model, one answer
