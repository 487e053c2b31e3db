"""Three-class sentiment results: labels, polarity and pulls, and their JSON shapes."""

from __future__ import annotations

import json

import pytest

from mmdemo.core.sentiment_results import (
    CLASSES,
    PULL_DEAD_ZONE,
    FusionResult,
    ModalityScore,
    SentimentResult,
    label_of,
    polarity,
    pull_of,
)

PROBABILITY_KEYS = {"negative", "neutral", "positive"}


def roundtrip(data):
    return json.loads(json.dumps(data, allow_nan=False))


def test_labels_pulls_and_ties():
    assert label_of((0.4, 0.2, 0.4)) == "negative"  # first of a tie without neutral
    assert label_of((0.3, 0.4, 0.3)) == "neutral"
    assert label_of((0.4, 0.4, 0.2)) == "neutral"  # ties go to neutral
    assert pull_of(0.3) == "positive" and pull_of(-0.3) == "negative"
    assert pull_of(0.01) == "neither"


def test_polarity_and_the_dead_zone():
    assert CLASSES == ("negative", "neutral", "positive")
    assert polarity((0.1, 0.2, 0.7)) == pytest.approx(0.6)
    assert polarity((0.7, 0.2, 0.1)) == pytest.approx(-0.6)
    assert pull_of(PULL_DEAD_ZONE) == "positive" and pull_of(-PULL_DEAD_ZONE) == "negative"
    assert pull_of(PULL_DEAD_ZONE / 2) == "neither"


def test_sentiment_result_of_and_to_json():
    result = SentimentResult.of((0.2, 0.1, 0.7), "VADER", {"compound": 0.5})
    assert result.label == "positive" and [s.label for s in result.probabilities] == list(CLASSES)
    assert SentimentResult.of((0.2, 0.1, 0.7), "m", {}, label="neutral").label == "neutral"
    data = roundtrip(result.to_json())
    assert set(data) == {"label", "probabilities", "model", "details"}
    assert data["probabilities"] == {"negative": 0.2, "neutral": 0.1, "positive": 0.7}
    assert data["details"] == {"compound": 0.5} and data["model"] == "VADER"


def test_modality_score_to_json():
    score = ModalityScore.of(
        "text", "VADER on the text", (0.1, 0.2, 0.7), model="VADER", weight=0.5
    )
    assert score.label == "positive" and score.pull == "positive"
    data = roundtrip(score.to_json())
    assert set(data) == {"label", "probabilities", "polarity", "pull", "weight", "source", "model"}
    assert set(data["probabilities"]) == PROBABILITY_KEYS
    assert data["polarity"] == pytest.approx(0.6) and data["weight"] == 0.5
    assert roundtrip(ModalityScore.of("image", "x", (0.3, 0.4, 0.3)).to_json())["weight"] is None


def test_fusion_result_to_json_and_chart_rows():
    text = ModalityScore.of("text", "t", (0.1, 0.2, 0.7), weight=0.5)
    image = ModalityScore.of("image", "i", (0.7, 0.2, 0.1), weight=0.5)
    result = FusionResult.of(
        "late", (0.4, 0.2, 0.4), (text, image), ["they disagree"], text_weight=0.5
    )
    data = roundtrip(result.to_json())
    assert set(data) == {
        "label",
        "probabilities",
        "polarity",
        "fusion",
        "text_weight",
        "modalities",
        "notes",
        "random_weights",
    }
    assert data["label"] == "negative" and data["fusion"] == "late"
    assert set(data["modalities"]) == {"text", "image"}
    assert data["notes"] == ["they disagree"] and data["random_weights"] is False
    assert result.modality("image") is image and result.modality("audio") is None
    rows = result.chart_rows()
    assert len(rows) == 9 and {r["series"] for r in rows} == {"text", "image", "fused"}
    assert all(set(r) == {"series", "sentiment", "probability"} for r in rows)
