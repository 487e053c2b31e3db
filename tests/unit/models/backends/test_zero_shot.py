"""Zero-shot classification in the shared space: labels become prompts, the closest wins."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError
from mmdemo.models.backends import zero_shot
from mmdemo.models.backends.zero_shot import (
    MAX_LABEL_CHARS,
    MAX_LABELS,
    MAX_LABELS_TEXT_CHARS,
    check_template,
    parse_labels,
    prompts_for,
)
from mmdemo.serving import ModelServer

GALLERY = PROJECT_ROOT / "assets" / "gallery"


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    settings = Settings(preset="tiny", index_dir=tmp_path_factory.mktemp("index"))
    return ModelServer(settings).get("classify")


def test_zero_shot_probabilities():
    classifier = ModelServer(Settings(preset="tiny")).get("classify")
    scores = classifier.classify(Image.new("RGB", (64, 64), "blue"), "cat, dog,  car ,cat")
    assert [s.label for s in scores] != [] and len(scores) == 3  # duplicates dropped
    assert abs(sum(s.probability for s in scores) - 1.0) < 1e-5
    assert scores == sorted(scores, key=lambda s: -s.probability)
    with pytest.raises(BadInputError, match="at least two"):
        classifier.classify(Image.new("RGB", (8, 8)), " , ")


def test_labels_are_split_tidied_and_deduplicated_ignoring_case():
    assert parse_labels("cat, dog;car\n  big   bird ,CAT, Dog") == ["cat", "dog", "car", "big bird"]
    assert parse_labels(["a cat", " a  dog ", "A CAT"]) == ["a cat", "a dog"]
    assert parse_labels(["x" * 500, "y"]) == ["x" * MAX_LABEL_CHARS, "y"]


def test_labels_typed_on_a_chinese_keyboard_are_split_too():
    """，、； are what a Chinese keyboard types; ASCII and full-width commas may mix."""
    assert parse_labels("猫，狗、一杯咖啡；火箭, 花") == ["猫", "狗", "一杯咖啡", "火箭", "花"]


@pytest.mark.parametrize("labels", ["", "cat", "cat, CAT , cat", ["dog"], " ;\n, "])
def test_fewer_than_two_different_labels_are_refused(classifier, labels):
    with pytest.raises(BadInputError, match="at least two different labels"):
        classifier.classify(Image.new("RGB", (8, 8)), labels)


def test_too_many_labels_are_refused(classifier):
    labels = ", ".join(f"thing {i}" for i in range(MAX_LABELS + 1))
    with pytest.raises(BadInputError, match=f"Too many labels .{MAX_LABELS + 1}.*{MAX_LABELS}"):
        classifier.classify(Image.new("RGB", (8, 8)), labels)
    assert len(classifier.classify(Image.new("RGB", (8, 8)), labels.rsplit(",", 1)[0])) == 50


def test_sizes_are_checked_before_any_splitting(monkeypatch):
    """A pasted list of 60,000 labels is refused from its length alone (it once took minutes)."""

    class NoSplitting:
        def split(self, text):
            raise AssertionError("the text was split before its size was checked")

    monkeypatch.setattr(zero_shot, "_SEPARATORS", NoSplitting())
    with pytest.raises(BadInputError, match=r"120,000 characters long; the limit is 10,000"):
        parse_labels("x," * 60_000)
    with pytest.raises(BadInputError, match=r"Too many labels \(60,000\)"):
        parse_labels(["x"] * 60_000)
    with pytest.raises(BadInputError, match=r"are 10,001 characters long"):
        parse_labels(["x" * 5_000, "y" * 5_001])


def test_thousands_of_labels_are_counted_in_linear_time():
    """Duplicates are found with a set: 2,400 labels within the size limit cost milliseconds
    (the old list scan was quadratic: 0.4 s here, 6 s for 10,000 labels)."""
    labels = ",".join(f"{i:x}" for i in range(2_400))
    assert len(labels) <= MAX_LABELS_TEXT_CHARS
    started = time.perf_counter()
    with pytest.raises(BadInputError, match=r"Too many labels \(2,400\); the limit is 50"):
        parse_labels(labels)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("value", [None, 5, 2.5, True, {"cat": 1}, b"cat, dog"])
def test_labels_that_are_not_text_are_refused_by_type(value):
    with pytest.raises(BadInputError, match=r"labels must be text|at least two"):
        parse_labels(value)


def test_a_list_with_an_item_that_is_not_text_is_refused():
    with pytest.raises(BadInputError, match="Each label must be text; one is a int"):
        parse_labels(["cat", 5])


def test_a_label_cut_at_the_limit_loses_its_trailing_space():
    assert parse_labels(["a" * (MAX_LABEL_CHARS - 1) + " b", "c"])[0] == "a" * (MAX_LABEL_CHARS - 1)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("a photo of {}.", "a photo of {}."),
        ("  a   {}  here ", "a {} here"),
        ("a photo of", "a photo of"),  # no {}: the label goes after it
        ("", "{}"),
        (None, "{}"),
    ],
)
def test_usable_templates(template, expected):
    assert check_template(template) == expected


@pytest.mark.parametrize("template", ["{}{}", "{x} {}", "a {} {", "}", "{0}", "{{}}", "a {name}"])
def test_templates_with_other_braces_are_refused_with_the_rule(template):
    with pytest.raises(BadInputError, match=r"put \{\} once where the label goes.*no other braces"):
        check_template(template)


def test_template_type_and_length_are_checked():
    with pytest.raises(BadInputError, match="must be text, not int"):
        check_template(7)
    with pytest.raises(BadInputError, match="300 characters long; the limit is 200"):
        check_template("y" * 300)


def test_prompts_put_the_label_in_place_of_the_braces_only():
    assert prompts_for(["cat", "a {} b"], "a {} photo") == ["a cat photo", "a a {} b photo"]
    assert prompts_for(["cat"], "a photo of") == ["a photo of cat"]


def test_a_bad_template_is_refused_before_any_embedding(classifier, monkeypatch):
    def no_embedding(*args, **kwargs):
        raise AssertionError("embedded before the template was checked")

    monkeypatch.setattr(classifier.embedder, "embed_texts", no_embedding)
    monkeypatch.setattr(classifier.embedder, "embed_images", no_embedding)
    with pytest.raises(BadInputError, match=r"prompt template '\{\}\{\}' is not usable"):
        classifier.classify(Image.new("RGB", (8, 8)), "cat, dog", "{}{}")


def test_scores_are_a_sorted_distribution_over_the_labels(classifier):
    scores = classifier.classify(Image.new("RGB", (32, 32), "red"), ["a cat", "a dog", "a car"])
    assert sorted(s.label for s in scores) == ["a car", "a cat", "a dog"]
    assert sum(s.probability for s in scores) == pytest.approx(1.0, abs=1e-5)
    assert all(0.0 <= s.probability <= 1.0 for s in scores)
    assert [s.probability for s in scores] == sorted((s.probability for s in scores), reverse=True)
    assert all(-1.0 <= s.similarity <= 1.0 for s in scores)
    templated = classifier.classify(Image.new("RGB", (32, 32), "red"), "cat, dog", "a {} here")
    assert len(templated) == 2
    assert classifier.model_label == classifier.embedder.model_id


def test_zero_shot_knows_a_cat_from_a_dog(lite):
    image = Image.open(GALLERY / "chelsea_the_cat.png").convert("RGB")
    scores = lite.get("classify").classify(image, "a dog, a cat")
    assert scores[0].label == "a cat" and scores[0].probability > 0.9
    assert abs(sum(s.probability for s in scores) - 1) < 1e-6
