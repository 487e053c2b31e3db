"""Zero-shot classification in the shared space: labels become prompts, the closest wins."""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError
from mmdemo.models.backends.zero_shot import MAX_LABEL_CHARS, MAX_LABELS, parse_labels
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


@pytest.mark.parametrize("labels", ["", "cat", "cat, CAT , cat", ["dog"], " ;\n, "])
def test_fewer_than_two_different_labels_are_refused(classifier, labels):
    with pytest.raises(BadInputError, match="at least two different labels"):
        classifier.classify(Image.new("RGB", (8, 8)), labels)


def test_too_many_labels_are_refused(classifier):
    labels = ", ".join(f"thing {i}" for i in range(MAX_LABELS + 1))
    with pytest.raises(BadInputError, match=f"Too many labels .{MAX_LABELS + 1}.*{MAX_LABELS}"):
        classifier.classify(Image.new("RGB", (8, 8)), labels)
    assert len(classifier.classify(Image.new("RGB", (8, 8)), labels.rsplit(",", 1)[0])) == 50


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
