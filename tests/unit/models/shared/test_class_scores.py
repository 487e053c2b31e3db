"""ImageNet class probabilities from any embedder: its own classifier, or CLIP zero-shot."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.models.shared.class_scores import ClassScorer, softmax
from mmdemo.serving import ModelServer


def test_softmax_is_a_distribution_and_does_not_overflow():
    probs = softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, np.log(3.0), 0.0]]))
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0)
    np.testing.assert_allclose(probs[0], [0.5, 0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(probs[1], [0.2, 0.6, 0.2])


def test_zero_shot_over_the_thousand_prompts_on_an_open_clip_embedder(tmp_path, tiny_cache):
    embedder = ModelServer(Settings(preset="tiny", index_dir=tmp_path)).get("embed")
    scorer = ClassScorer(embedder, tiny_cache)
    names, vectors = scorer.prompt_table()
    assert len(names) == 1000 and vectors.shape == (1000, embedder.dim)
    assert scorer.prompt_table()[1] is vectors  # computed once
    top = scorer.top(Image.new("RGB", (32, 32), "red"), k=4)
    assert len(top) == 4 and all(s.label in names for s in top)
    assert [s.probability for s in top] == sorted((s.probability for s in top), reverse=True)
    assert sum(s.probability for s in scorer.top(Image.new("RGB", (8, 8)), 1000)) == (
        pytest.approx(1.0, abs=1e-4)
    )


def test_an_embedder_with_a_classifier_answers_itself(lite):
    embedder = lite.get("embed")
    scorer = ClassScorer(embedder)
    image = Image.open(lite.settings.gallery_dir / "coffee_cup.png").convert("RGB")
    assert scorer.top(image, 3) == embedder.top_classes(image, 3)
