"""Multimodal sentiment, the one entry point: the orchestrator on ``tiny`` (behaviour) and
``lite`` (meaning), the early fusion served by a head trained here, and the image-sentiment
backends' calibration that the fusions rely on.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmdemo.core import sentiment_results
from mmdemo.core.config import Settings
from mmdemo.core.errors import BadImageError, BadInputError, UnknownNameError
from mmdemo.core.sentiment_results import CLASSES, FusionResult
from mmdemo.models.shared import sentiment_maths as maths
from mmdemo.services.sentiment import (
    DEFAULT_FUSION,
    DEFAULT_TEXT_WEIGHT,
    FUSIONS,
    SentimentFusion,
    join_text_and_caption,
)
from mmdemo.serving import ModelServer
from mmdemo.training.sentiment_fusion import train_from_csv
from tests.support.sentiment_data import write_synthetic_csv

GALLERY = Settings().assets_dir / "gallery"


def gallery_image(name: str) -> Image.Image:
    return Image.open(GALLERY / name).convert("RGB")


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory) -> Path:
    """One index folder (where heads live), shared by the tiny and the lite server."""
    return tmp_path_factory.mktemp("sentiment-index")


@pytest.fixture(scope="module")
def tiny(shared_index) -> ModelServer:
    return ModelServer(Settings(preset="tiny", index_dir=shared_index, index_default_gallery=False))


@pytest.fixture(scope="module")
def lite(shared_index) -> ModelServer:
    return ModelServer(Settings(preset="lite", index_dir=shared_index, index_default_gallery=False))


@pytest.fixture(scope="module")
def trained(tiny, tmp_path_factory):
    data = write_synthetic_csv(tmp_path_factory.mktemp("synthetic"))
    report = train_from_csv(tiny, data, epochs=200)
    return data, report


def _check(result: FusionResult, modalities: set[str]) -> None:
    assert result.label in CLASSES
    assert sum(result.values) == pytest.approx(1.0, abs=1e-9)
    assert {m.modality for m in result.modalities} == modalities
    for m in result.modalities:
        assert sum(m.values) == pytest.approx(1.0, abs=1e-9)
        assert m.pull in ("positive", "negative", "neither") and m.source
    data = result.to_json()
    json.dumps(data)  # JSON-ready
    assert data["label"] == result.label and set(data["modalities"]) == modalities
    assert {row["series"] for row in result.chart_rows()} == modalities | {"fused"}


def test_caption_is_joined_as_a_second_sentence():
    assert join_text_and_caption("great, another rainy day", "a grey street.") == (
        "great, another rainy day. a grey street."
    )
    assert join_text_and_caption("Wow!", "a cat") == "Wow! a cat"
    assert join_text_and_caption("太好了！", "a cat") == "太好了！ a cat"  # its own full stop
    assert join_text_and_caption("又下雨了。", "a grey street.") == "又下雨了。 a grey street."


# -- tiny: behaviour -------------------------------------------------------------------------
@pytest.mark.parametrize("fusion", ["late", "caption"])
def test_text_only_image_only_and_both(tiny, fusion):
    analyzer = SentimentFusion(tiny)
    image = gallery_image("flower.jpg")
    text_only = analyzer.analyze("great, another rainy day", None, fusion)
    _check(text_only, {"text"})
    image_only = analyzer.analyze(None, image, fusion)
    _check(image_only, {"image"})
    both = analyzer.analyze("great, another rainy day", image, fusion)
    _check(both, {"text", "image"})
    for result in (text_only, image_only, both):
        assert result.random_weights and any("meaningless" in n for n in result.notes)
    assert text_only.values == pytest.approx(text_only.modality("text").values)
    assert image_only.values == pytest.approx(image_only.modality("image").values)


def test_late_fusion_weights_0_and_1_through_the_orchestrator(tiny):
    analyzer = SentimentFusion(tiny)
    image = gallery_image("coffee_cup.png")
    text = "I love this!"
    for weight, side in ((1.0, "text"), (0.0, "image")):
        result = analyzer.analyze(text, image, "late", weight)
        assert result.values == pytest.approx(result.modality(side).values, abs=1e-12)
        assert result.text_weight == weight
    half = analyzer.analyze(text, image, "late", 0.5)
    expected = maths.late_fusion(half.modality("text").values, half.modality("image").values, 0.5)
    assert half.values == pytest.approx(expected)
    assert half.modality("text").weight == 0.5 and half.modality("image").weight == 0.5


def test_image_can_be_a_path(tiny):
    result = SentimentFusion(tiny).analyze(None, str(GALLERY / "flower.jpg"))
    _check(result, {"image"})


@pytest.mark.parametrize(
    "text",
    [
        "😍😂🎉🔥",  # emoji only
        "this film was good and the actors were fine. " * 230,  # ~10,000 characters
        "Das Wetter ist schön, 今日は本当に最悪の日だ, but great",  # mixed languages
    ],
    ids=["emoji", "10k-chars", "mixed-language"],
)
def test_awkward_texts_work_with_each_fusion(tiny, text):
    analyzer = SentimentFusion(tiny)
    for fusion in ("late", "caption"):
        _check(analyzer.analyze(text, None, fusion), {"text"})
    long_note = analyzer.analyze(text).modality("text").details.get("note", "")
    if len(text) > 5000:
        assert "only the first" in long_note


def test_bad_inputs_have_clear_messages(tiny, tmp_path):
    analyzer = SentimentFusion(tiny)
    for nothing in [(None, None), ("", None), ("   ", ""), (None, "")]:
        with pytest.raises(BadInputError, match="Give a text, an image, or both"):
            analyzer.analyze(*nothing)
    with pytest.raises(UnknownNameError, match="caption, early, late"):
        analyzer.analyze("hi", None, "mid")
    with pytest.raises(BadInputError, match="between 0 and 1"):
        analyzer.analyze("hi", None, "late", 1.5)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(BadImageError, match=r"broken\.png"):
        analyzer.analyze("hi", broken)
    with pytest.raises(BadImageError, match="not found"):
        analyzer.analyze("hi", tmp_path / "missing.jpg")
    with pytest.raises(BadInputError):
        analyzer.analyze(42, None)


def test_every_fusion_has_an_explanation():
    assert set(FUSIONS) == {"late", "caption", "early"}
    assert all(info.title and info.explanation for info in FUSIONS.values())
    assert "python -m" not in FUSIONS["early"].explanation  # shown in the page: no commands


def test_the_defaults_are_the_late_fusion_with_an_even_weight(tiny):
    assert DEFAULT_FUSION == "late" and DEFAULT_TEXT_WEIGHT == 0.5
    image = gallery_image("coffee_cup.png")
    default = SentimentFusion(tiny).analyze("I love this!", image)
    assert default.fusion == "late" and default.text_weight == 0.5
    assert default.values == pytest.approx(
        SentimentFusion(tiny).analyze("I love this!", image, "late", 0.5).values
    )


def test_an_image_of_another_type_is_refused(tiny):
    with pytest.raises(BadInputError) as caught:
        SentimentFusion(tiny).analyze("hi", 42)
    assert str(caught.value) == "The image must be a picture or a file path, not int."


# -- the early fusion, with a head trained here ----------------------------------------------
def test_the_trained_head_serves_the_early_fusion(trained, tiny):
    analyzer = SentimentFusion(tiny)
    warm = Image.new("RGB", (40, 40), (235, 150, 45))
    cool = Image.new("RGB", (40, 40), (55, 70, 150))
    happy = analyzer.analyze("I am so happy", warm, "early")
    _check(happy, {"text", "image"})
    assert happy.label == "positive" and happy.values[1] == 0.0  # no neutral in the data
    sad = analyzer.analyze("this is awful", cool, "early")
    assert sad.label == "negative"
    assert analyzer.analyze(None, warm, "early").label == "positive"  # image alone
    assert analyzer.analyze("this is awful", None, "early").label == "negative"  # text alone
    assert any("trained on 40 examples" in n for n in happy.notes)
    assert "trained here on 40 examples" in analyzer.head_status()
    assert analyzer.head_trained() and "/" not in analyzer.head_status()  # no server paths


def test_a_retrained_head_is_picked_up_without_a_restart(trained, tiny, tmp_path):
    data, _ = trained
    analyzer = SentimentFusion(tiny)
    before = analyzer._head()
    train_from_csv(tiny, data, epochs=20, seed=5)
    after = analyzer._head()
    assert after is not before and after.meta["seed"] == 5
    train_from_csv(tiny, data, epochs=200)  # back to the good head for other tests


# -- lite: meaning ---------------------------------------------------------------------------
def test_lite_text_sentiment_means_something(lite):
    analyzer = SentimentFusion(lite)
    assert analyzer.analyze("What a wonderful, happy day!").label == "positive"
    assert analyzer.analyze("This is terrible, I hate it.").label == "negative"
    assert not analyzer.analyze("I love this!").random_weights


def test_lite_late_fusion_moves_toward_the_image_as_its_weight_grows(lite):
    analyzer = SentimentFusion(lite)
    # the sunny temple (+0.12 in lite; the flower moved to +0.05, inside the neutral dead
    # zone, when the label bridge became bilingual - the Sentiment tab's example moved too)
    sunny = gallery_image("china_temple.jpg")
    results = [
        analyzer.analyze("This is terrible, I hate it.", sunny, "late", w)
        for w in (1.0, 0.75, 0.5, 0.25, 0.0)
    ]
    polarities = [r.polarity for r in results]
    assert polarities == sorted(polarities)  # less text weight: closer to the photo
    assert results[0].label == "negative"
    assert results[-1].values == pytest.approx(results[-1].modality("image").values)
    assert any("disagree" in n for n in results[2].notes)


def test_lite_sarcasm_with_a_grey_photo_moves_toward_negative_as_the_image_weight_grows(lite):
    from mmdemo.quality.image_sentiment_eval import grey_day

    analyzer = SentimentFusion(lite)
    grey = grey_day(gallery_image("china_temple.jpg"))
    results = [
        analyzer.analyze("great, another rainy day", grey, "late", w)
        for w in (1.0, 0.75, 0.5, 0.25, 0.0)
    ]
    polarities = [r.polarity for r in results]
    assert polarities == sorted(polarities, reverse=True)  # more image weight: more negative
    assert results[0].label == "positive" and polarities[-1] < 0
    image = results[2].modality("image")
    assert image.pull == "negative" and "colour mood" in image.source
    assert any("disagree" in n for n in results[2].notes)
    assert any("colours (" in n for n in results[2].notes)  # the UI says which cue pulled


def test_lite_caption_bridge_reads_the_caption(lite):
    result = SentimentFusion(lite).analyze(
        "What a lovely morning", gallery_image("coffee_cup.png"), "caption"
    )
    image = result.modality("image")
    assert "espresso" in image.source  # the caption the text model read
    assert any("The text model read" in n and "espresso" in n for n in result.notes)
    assert result.label == "positive"


def test_lite_reads_chinese_text_and_names_the_model_that_judged(lite):
    analyzer = SentimentFusion(lite)
    chinese = analyzer.analyze("这家民宿的老板特别热情，房间也很温馨。")
    assert chinese.label == "positive"
    text = chinese.modality("text")
    assert "e5" in text.source and text.details["judged_by"] == "e5-sentiment-head"
    assert not any("only knows English" in n for n in chinese.notes)
    english = analyzer.analyze("This is terrible, I hate it.").modality("text")
    assert "VADER" in english.source and english.details["judged_by"] == "vader"
    bridged = analyzer.analyze(
        "外卖洒了一半，汤也是冷的。", gallery_image("coffee_cup.png"), "caption"
    )
    assert "e5" in bridged.modality("text").source  # the judge of the text, not the router
    assert bridged.label == "negative"


# -- the image-sentiment backends the fusions read (tests of models/backends/image_sentiment) --
def test_tiny_image_sentiment_is_centred_on_the_reference_photos(tiny):
    backend = tiny.get("image_sentiment")
    assert backend.references == 16 and backend.info().task == "image_sentiment"
    names = sorted(p.name for p in GALLERY.iterdir() if p.suffix in (".png", ".jpg"))
    results = backend.analyze_many([gallery_image(n) for n in names])
    centred = [r.details["centred_score"] for r in results]
    assert np.mean(centred) == pytest.approx(0.0, abs=1e-5)  # centring, by construction
    for r in results:
        assert sum(s.probability for s in r.probabilities) == pytest.approx(1.0)
    assert tiny.is_random("image_sentiment")  # built on tiny's random embedder


def test_lite_image_sentiment_puts_the_gallery_near_the_middle(lite):
    backend = lite.get("image_sentiment")
    names = sorted(p.name for p in GALLERY.iterdir() if p.suffix in (".png", ".jpg"))
    results = dict(zip(names, backend.analyze_many([gallery_image(n) for n in names]), strict=True))
    for name, result in results.items():  # ordinary photos: neutral is the most probable
        # the near-black deep field is the one photo the colour cue calls negative
        assert result.label == ("negative" if name == "hubble_deep_field.jpg" else "neutral")
    polarity = {
        n: sentiment_results.polarity([s.probability for s in r.probabilities])
        for n, r in results.items()
    }
    assert polarity["flower.jpg"] > 0 > polarity["hubble_deep_field.jpg"]  # a dahlia vs deep space


def test_tiny_image_sentiment_uses_the_prompts_alone(tiny):
    result = tiny.get("image_sentiment").analyze(gallery_image("flower.jpg"))
    assert "colour_weight" not in result.details and "colour" not in result.model


def test_lite_image_sentiment_shows_both_cues(lite):
    backend = lite.get("image_sentiment")
    assert backend.colour_weight == 0.5 and backend.colour_reference.images == 16
    result = backend.analyze(gallery_image("coffee_cup.png"))
    d = result.details
    assert "zero-shot" in result.model and "colour mood (brightness, saturation)" in result.model
    assert d["prompt_weight"] + d["colour_weight"] == pytest.approx(1.0)
    assert d["logit_margin"] == pytest.approx(
        d["prompt_weight"] * d["prompt_margin"] + d["colour_weight"] * d["colour_margin"]
    )
    assert d["colour_saturation"] > 0.5 and d["colour_polarity"] > 0.2  # a colourful photo
    assert "prompts pull" in d["note"] and "colours (" in d["note"]


def test_lite_grey_darkened_photo_is_sadder_than_its_colour_original(lite):
    from mmdemo.quality.image_sentiment_eval import bright_day, grey_day

    backend = lite.get("image_sentiment")
    temple = gallery_image("china_temple.jpg")
    original, grey, bright = backend.analyze_many([temple, grey_day(temple), bright_day(temple)])

    def pol(result) -> float:
        return sentiment_results.polarity([s.probability for s in result.probabilities])

    assert grey.details["colour_polarity"] < 0 < original.details["colour_polarity"]
    assert pol(grey) < -0.05 < 0.05 < pol(original) < pol(bright)
    # the prompts alone said the opposite (documented): the colour cue is what turns it
    assert grey.details["prompt_polarity"] > original.details["prompt_polarity"]
    darker = grey_day(grey_day(temple))  # a second rainy-day pass: darker still
    assert pol(backend.analyze(darker)) < pol(grey)
    mid_grey = backend.analyze(Image.new("RGB", (256, 256), (128, 128, 128)))
    assert mid_grey.label == "neutral" and abs(pol(mid_grey)) < 0.1
