"""The lite text sentiment backend (VADER) through its real loader, and its accuracy on the
labelled set its probability slopes were fitted on."""

from __future__ import annotations

import math
import sys

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, MissingPackageError
from mmdemo.core.sentiment_results import CLASSES
from mmdemo.models.backends.vader_sentiment import (
    MAX_CHARS,
    NEUTRAL_BAND,
    SPECS,
    label_from_compound,
    load,
    probabilities_from_compound,
)
from mmdemo.quality.sentiment_eval import DEFAULT_SET, evaluate, load_labelled

[SPEC] = SPECS

# Measured on assets/quality/sentiment_en.tsv (190 sentences): 63.2% on 3 classes, 58.7% on
# the 150 positive/negative ones. Floors sit 5 points below, so a changed lexicon or rule is
# tolerated but swapped labels (about 28%) or a constant answer (at most 39%) are not.
ACCURACY_FLOOR = 0.58
BINARY_ACCURACY_FLOOR = 0.53


@pytest.fixture(scope="module")
def vader(load_context):
    pytest.importorskip("vaderSentiment")
    return load(SPEC, load_context(Settings()))


def _probs(result) -> dict[str, float]:
    return {s.label: s.probability for s in result.probabilities}


def test_clear_positive_is_positive_and_confident(vader):
    result = vader.analyze("I love this")
    assert result.label == "positive"
    assert _probs(result)["positive"] > 0.5
    assert result.model.startswith("VADER 3.")


def test_clear_negative_is_negative(vader):
    result = vader.analyze("This is terrible")
    assert result.label == "negative"
    assert max(result.probabilities, key=lambda s: s.probability).label == "negative"


def test_factual_sentence_is_neutral(vader):
    result = vader.analyze("The meeting starts at 10 am on Tuesday in room 12.")
    assert result.label == "neutral"
    assert max(result.probabilities, key=lambda s: s.probability).label == "neutral"


def test_probabilities_are_in_class_order_and_sum_to_one(vader):
    for text in ["I love this", "This is terrible", "The bus leaves at noon.", "not bad"]:
        result = vader.analyze(text)
        assert tuple(s.label for s in result.probabilities) == CLASSES
        assert math.isclose(sum(s.probability for s in result.probabilities), 1.0, abs_tol=1e-9)
        assert all(0.0 < s.probability < 1.0 for s in result.probabilities)


def test_details_carry_raw_vader_scores(vader):
    details = vader.analyze("The food was good but the service was slow.").details
    assert {"compound", "neg", "neu", "pos"} <= details.keys()
    assert -1.0 <= details["compound"] <= 1.0
    assert details["truncated"] is False
    assert "note" not in details


def test_argmax_is_vaders_rule_for_every_compound():
    for c in [i / 400 for i in range(-400, 401)]:
        probs = probabilities_from_compound(c)
        assert math.isclose(sum(probs), 1.0)
        label = label_from_compound(c)
        if abs(abs(c) - NEUTRAL_BAND) < 1e-12:  # polar ties with neutral on the band's edge
            assert probs[CLASSES.index(label)] == pytest.approx(max(probs))
        else:
            assert CLASSES[probs.index(max(probs))] == label, c


def test_analyze_many_keeps_order(vader):
    results = vader.analyze_many(["I love this", "This is terrible", "It is Tuesday."])
    assert [r.label for r in results] == ["positive", "negative", "neutral"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_bad_input(vader, text):
    with pytest.raises(BadInputError, match="empty"):
        vader.analyze(text)


def test_non_string_is_bad_input(vader):
    with pytest.raises(BadInputError):
        vader.analyze(None)  # type: ignore[arg-type]


def test_emoji_only_text_uses_vaders_emoji_lexicon(vader):
    assert vader.analyze("😍😍").label == "positive"
    assert vader.analyze("😢").label == "negative"
    silent = vader.analyze("👍")  # VADER reads it as "thumbs up", which has no sentiment
    assert silent.label == "neutral"
    assert "emoji" in silent.details["note"]


def test_very_long_text_is_capped_and_says_so(vader):
    text = "I love this phone. " * 600  # 11,400 characters
    assert len(text) > 10_000
    result = vader.analyze(text)
    assert result.label == "positive"
    assert result.details["truncated"] is True
    assert result.details["scored_chars"] == MAX_CHARS
    assert f"{MAX_CHARS:,}" in result.details["note"]


@pytest.mark.parametrize(
    "text",
    ["这部电影非常好看，我很喜欢。", "هذا الفيلم رائع جدا وأحببته كثيرا", "Этот фильм ужасен."],
)
def test_other_scripts_are_neutral_with_a_note(vader, text):
    result = vader.analyze(text)
    assert result.label == "neutral"
    assert "English" in result.details["note"]


def test_missing_package_names_the_pip_command(monkeypatch, load_context):
    monkeypatch.setitem(sys.modules, "vaderSentiment", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)
    with pytest.raises(MissingPackageError) as info:
        load(SPEC, load_context(Settings()))
    assert info.value.package == "vaderSentiment"
    assert "pip install vaderSentiment" in str(info.value)


def test_no_torch_modules(vader):
    assert vader.modules() == []
    info = vader.info()
    assert (info.task, info.parameters, info.device) == ("sentiment", 0, "cpu")


def test_accuracy_on_labelled_set_clears_measured_floor(vader):
    metrics = evaluate(vader, load_labelled(DEFAULT_SET))
    assert metrics["accuracy"] >= ACCURACY_FLOOR
    assert metrics["binary_accuracy"] >= BINARY_ACCURACY_FLOOR
    assert metrics["log_loss"] < math.log(3)  # better than a uniform guess
    assert sum(sum(row.values()) for row in metrics["confusion"].values()) == metrics["n"]
    assert len(metrics["misclassified"]) == metrics["n"] - round(metrics["accuracy"] * metrics["n"])


def test_swapped_labels_would_fail_the_floor(vader):
    swap = {"positive": "negative", "negative": "positive", "neutral": "neutral"}
    rows = [(swap[label], text) for label, text in load_labelled(DEFAULT_SET)]
    assert evaluate(vader, rows)["accuracy"] < ACCURACY_FLOOR


def test_vader_calls_i_love_this_positive(lite):
    """Through the lite preset's own server, as the app serves it."""
    result = lite.get("sentiment").analyze("I love this")
    assert result.label == "positive"
