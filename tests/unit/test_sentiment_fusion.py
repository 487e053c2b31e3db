"""Multimodal sentiment: the fusion maths, the orchestrator on ``tiny`` (behaviour) and
``lite`` (meaning), image sentiment's calibration, and the early-fusion head's training.
"""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmdemo.config import PROJECT_ROOT, Settings
from mmdemo.errors import BadImageError, BadInputError, UnknownNameError
from mmdemo.models.fusion_head import (
    TRAIN_COMMAND,
    FusionHeadMismatchError,
    NoFusionHeadError,
    default_head_path,
    sidecar_for,
)
from mmdemo.sentiment import maths
from mmdemo.sentiment.fusion import FUSIONS, SentimentFusion, join_text_and_caption
from mmdemo.sentiment.result import FusionResult
from mmdemo.serving import ModelServer
from mmdemo.training.sentiment_fusion import (
    embed_examples,
    read_examples,
    split_indices,
    train_from_csv,
)

GALLERY = PROJECT_ROOT / "assets" / "gallery"


def gallery_image(name: str) -> Image.Image:
    return Image.open(GALLERY / name).convert("RGB")


# -- maths ---------------------------------------------------------------------------------------
def _random_probabilities(rng: random.Random) -> tuple[float, float, float]:
    raw = [rng.random() ** 3 for _ in range(3)]  # cubed: many near-one-hot vectors too
    return maths.normalise(raw if sum(raw) > 0 else [1, 1, 1])


def test_late_fusion_weights_0_and_1_reduce_to_one_modality_and_sum_to_1():
    rng = random.Random(0)
    for _ in range(500):
        text, image = _random_probabilities(rng), _random_probabilities(rng)
        w = rng.random()
        fused = maths.late_fusion(text, image, w)
        assert sum(fused) == pytest.approx(1.0, abs=1e-12)
        assert all(p >= 0 for p in fused)
        assert maths.late_fusion(text, image, 1.0) == pytest.approx(text, abs=1e-12)
        assert maths.late_fusion(text, image, 0.0) == pytest.approx(image, abs=1e-12)
        for f, t, i in zip(fused, text, image, strict=True):  # between the two, per class
            assert min(t, i) - 1e-12 <= f <= max(t, i) + 1e-12
        # the fused polarity moves monotonically from the image's to the text's
        assert maths.polarity(fused) == pytest.approx(
            w * maths.polarity(text) + (1 - w) * maths.polarity(image), abs=1e-12
        )


@pytest.mark.parametrize("bad", [-0.01, 1.01, math.nan, True, "heavy", None])
def test_weights_outside_0_1_are_refused(bad):
    with pytest.raises(ValueError):
        maths.late_fusion((0.2, 0.3, 0.5), (0.5, 0.3, 0.2), bad)


def test_two_class_to_three_class_keeps_the_odds_and_is_neutral_only_when_unsure():
    rng = random.Random(1)
    assert maths.three_class_from_binary(0.5) == pytest.approx((0.25, 0.5, 0.25))
    for _ in range(500):
        p = rng.random()
        neg, neu, pos = maths.three_class_from_binary(p)
        assert neg + neu + pos == pytest.approx(1.0, abs=1e-12)
        if 1e-9 < p < 1 - 1e-9:
            assert pos / neg == pytest.approx(p / (1 - p), rel=1e-6)  # the model's own odds
        confident = max(p, 1 - p)
        if abs(confident - maths.NEUTRAL_BELOW) > 1e-6:
            assert (maths.label_of((neg, neu, pos)) == "neutral") == (
                confident < maths.NEUTRAL_BELOW
            )
    assert maths.three_class_from_margin(1e6) == pytest.approx((0.0, 0.0, 1.0))
    assert maths.three_class_from_margin(-1e6) == pytest.approx((1.0, 0.0, 0.0))


def test_labels_pulls_and_ties():
    assert maths.label_of((0.4, 0.2, 0.4)) == "negative"  # first of a tie without neutral
    assert maths.label_of((0.3, 0.4, 0.3)) == "neutral"
    assert maths.label_of((0.4, 0.4, 0.2)) == "neutral"  # ties go to neutral
    assert maths.pull_of(0.3) == "positive" and maths.pull_of(-0.3) == "negative"
    assert maths.pull_of(0.01) == "neither"
    with pytest.raises(ValueError):
        maths.normalise((0.0, 0.0, 0.0))


def test_caption_is_joined_as_a_second_sentence():
    assert join_text_and_caption("great, another rainy day", "a grey street.") == (
        "great, another rainy day. a grey street."
    )
    assert join_text_and_caption("Wow!", "a cat") == "Wow! a cat"


# -- tiny: behaviour -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_index(tmp_path_factory) -> Path:
    """One index folder (where heads live), shared by the tiny and the lite server."""
    return tmp_path_factory.mktemp("sentiment-index")


@pytest.fixture(scope="module")
def tiny(shared_index) -> ModelServer:
    return ModelServer(Settings(preset="tiny", index_dir=shared_index, index_default_gallery=False))


def _check(result: FusionResult, modalities: set[str]) -> None:
    assert result.label in maths.CLASSES
    assert sum(result.values) == pytest.approx(1.0, abs=1e-9)
    assert {m.modality for m in result.modalities} == modalities
    for m in result.modalities:
        assert sum(m.values) == pytest.approx(1.0, abs=1e-9)
        assert m.pull in ("positive", "negative", "neither") and m.source
    data = result.to_json()
    json.dumps(data)  # JSON-ready
    assert data["label"] == result.label and set(data["modalities"]) == modalities
    assert {row["series"] for row in result.chart_rows()} == modalities | {"fused"}


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
    assert "train sentiment-fusion" in FUSIONS["early"].explanation


def test_early_fusion_without_a_head_names_the_command(tmp_path):
    server = ModelServer(
        Settings(preset="tiny", index_dir=tmp_path / "index", index_default_gallery=False)
    )
    analyzer = SentimentFusion(server)
    with pytest.raises(NoFusionHeadError) as caught:
        analyzer.analyze("hi", None, "early")
    message = str(caught.value)
    assert TRAIN_COMMAND in message and "late or caption" in message
    assert str(default_head_path(server.settings)) in message
    assert TRAIN_COMMAND in analyzer.head_status()


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


# -- training the early-fusion head ----------------------------------------------------------------
POSITIVE_TEXTS = ["what a lovely sunny day", "I am so happy", "this is wonderful", "great fun"]
NEGATIVE_TEXTS = ["what a miserable day", "I am so sad", "this is awful", "a terrible wait"]


def write_synthetic_csv(folder: Path, rows: int = 40, seed: int = 0) -> Path:
    """Warm-coloured images + happy texts are positive, cool ones + sad texts negative."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(rows):
        label = "positive" if i % 2 == 0 else "negative"
        base = (230, 150, 40) if label == "positive" else (60, 70, 150)
        colour = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in base)
        Image.new("RGB", (40, 40), colour).save(folder / f"img{i:03d}.png")
        text = rng.choice(POSITIVE_TEXTS if label == "positive" else NEGATIVE_TEXTS)
        # some rows have one modality only, as real data would
        image_cell = "" if i % 10 == 3 else f"img{i:03d}.png"
        text_cell = "" if i % 10 == 6 else text
        lines.append((image_cell, text_cell, label.upper() if i % 7 == 0 else label))
    path = folder / "data.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "text", "label"])
        writer.writerows(lines)
    return path


@pytest.fixture(scope="module")
def trained(tiny, tmp_path_factory):
    data = write_synthetic_csv(tmp_path_factory.mktemp("synthetic"))
    report = train_from_csv(tiny, data, epochs=200)
    return data, report


def test_training_on_a_synthetic_set_reaches_high_accuracy(trained, tiny):
    _, report = trained
    assert report["classes"] == ["negative", "positive"]
    assert report["rows"] == 40 and report["val_rows"] == 8 and report["train_rows"] == 32
    assert report["train_accuracy"] >= 0.95
    assert report["val_accuracy"] >= 0.85
    assert report["val_accuracy_text_only"] >= 0.75 and report["val_accuracy_image_only"] >= 0.75
    path = Path(report["path"])
    assert path == default_head_path(tiny.settings)
    sidecar = json.loads(sidecar_for(path).read_text())
    assert sidecar["embedder"] == tiny.get("embed").model_id and sidecar["dim"] == 64


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
    assert "trained on 40 examples" in analyzer.head_status()


def test_a_retrained_head_is_picked_up_without_a_restart(trained, tiny, tmp_path):
    data, _ = trained
    analyzer = SentimentFusion(tiny)
    before = analyzer._head()
    train_from_csv(tiny, data, epochs=20, seed=5)
    after = analyzer._head()
    assert after is not before and after.meta["seed"] == 5
    train_from_csv(tiny, data, epochs=200)  # back to the good head for other tests


def test_a_head_from_another_embedder_is_refused(trained, shared_index, lite):
    assert lite.settings.index_dir == shared_index  # same folder: it finds tiny's head
    with pytest.raises(FusionHeadMismatchError) as caught:
        SentimentFusion(lite).analyze("hi", None, "early")
    message = str(caught.value)
    assert "mmdemo-tiny-clip" in message and "(64-d)" in message and "(384-d)" in message
    assert "Retrain" in message


def test_csv_problems_are_named(tmp_path, tiny):
    def write(text: str) -> Path:
        path = tmp_path / "bad.csv"
        path.write_text(text, encoding="utf-8")
        return path

    with pytest.raises(BadInputError, match="image, text and label"):
        read_examples(write("picture,words,label\na.png,hi,positive\n"))
    with pytest.raises(BadInputError, match=r"bad\.csv:2: label 'happy'"):
        read_examples(write("image,text,label\na.png,hi,happy\n"))
    with pytest.raises(BadInputError, match="neither an image nor a text"):
        read_examples(write("image,text,label\n,,positive\n"))
    with pytest.raises(BadInputError, match="no data rows"):
        read_examples(write("image,text,label\n"))
    with pytest.raises(BadInputError, match="no such CSV"):
        read_examples(tmp_path / "nope.csv")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    examples = read_examples(
        write("image,text,label\nbroken.png,hi,positive\n,only text,negative\n")
    )
    embedded = embed_examples(tiny.get("embed"), examples, 10**7)
    assert len(embedded) == 1 and embedded.classes == ("negative",)
    assert "broken.png" in embedded.skipped[0].path
    assert not embedded.has_image[0] and not embedded.image[0].any()


def test_validation_split_is_stratified_and_seeded():
    labels = np.array([0] * 12 + [1] * 8 + [2] * 3)
    train, val = split_indices(labels, 0.25, seed=0)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(labels)))
    assert [int((labels[val] == c).sum()) for c in range(3)] == [3, 2, 1]
    assert np.array_equal(val, split_indices(labels, 0.25, seed=0)[1])
    assert len(split_indices(labels[:6], 0.25, seed=0)[1]) == 0  # too few rows to hold out


# -- lite: meaning -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lite(shared_index) -> ModelServer:
    return ModelServer(Settings(preset="lite", index_dir=shared_index, index_default_gallery=False))


def test_lite_text_sentiment_means_something(lite):
    analyzer = SentimentFusion(lite)
    assert analyzer.analyze("What a wonderful, happy day!").label == "positive"
    assert analyzer.analyze("This is terrible, I hate it.").label == "negative"
    assert not analyzer.analyze("I love this!").random_weights


def test_lite_image_sentiment_puts_the_gallery_near_the_middle(lite):
    backend = lite.get("image_sentiment")
    names = sorted(p.name for p in GALLERY.iterdir() if p.suffix in (".png", ".jpg"))
    results = dict(zip(names, backend.analyze_many([gallery_image(n) for n in names]), strict=True))
    for name, result in results.items():  # ordinary photos: neutral is the most probable
        # the near-black deep field is the one photo the colour cue calls negative
        assert result.label == ("negative" if name == "hubble_deep_field.jpg" else "neutral")
    polarity = {
        n: maths.polarity([s.probability for s in r.probabilities]) for n, r in results.items()
    }
    assert polarity["flower.jpg"] > 0 > polarity["hubble_deep_field.jpg"]  # a dahlia vs deep space


def test_lite_late_fusion_moves_toward_the_image_as_its_weight_grows(lite):
    analyzer = SentimentFusion(lite)
    flower = gallery_image("flower.jpg")
    results = [
        analyzer.analyze("This is terrible, I hate it.", flower, "late", w)
        for w in (1.0, 0.75, 0.5, 0.25, 0.0)
    ]
    polarities = [r.polarity for r in results]
    assert polarities == sorted(polarities)  # less text weight: closer to the flower
    assert results[0].label == "negative"
    assert results[-1].values == pytest.approx(results[-1].modality("image").values)
    assert any("disagree" in n for n in results[2].notes)


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
        return maths.polarity([s.probability for s in result.probabilities])

    assert grey.details["colour_polarity"] < 0 < original.details["colour_polarity"]
    assert pol(grey) < -0.05 < 0.05 < pol(original) < pol(bright)
    # the prompts alone said the opposite (documented): the colour cue is what turns it
    assert grey.details["prompt_polarity"] > original.details["prompt_polarity"]
    darker = grey_day(grey_day(temple))  # a second rainy-day pass: darker still
    assert pol(backend.analyze(darker)) < pol(grey)
    mid_grey = backend.analyze(Image.new("RGB", (256, 256), (128, 128, 128)))
    assert mid_grey.label == "neutral" and abs(pol(mid_grey)) < 0.1


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
