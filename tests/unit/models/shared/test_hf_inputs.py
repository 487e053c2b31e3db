"""Input checks the transformers vision backends share: before any model work."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.errors import BadInputError
from mmdemo.models.shared.hf_inputs import check_images, check_pairs, check_top_k


def test_images_become_rgb_and_anything_else_is_refused():
    rgb = Image.new("RGB", (4, 4))
    grey, rgba = Image.new("L", (4, 4)), Image.new("RGBA", (4, 4))
    checked = check_images([rgb, grey, rgba])
    assert checked[0] is rgb and [im.mode for im in checked] == ["RGB"] * 3
    with pytest.raises(BadInputError, match="Item 1 is a ndarray, not an image"):
        check_images([rgb, np.zeros((4, 4, 3))])


def test_every_pair_is_checked_and_its_question_tidied():
    image = Image.new("L", (4, 4))
    [(checked, question)] = check_pairs([(image, "  what   colour?\n")])
    assert checked.mode == "RGB" and question == "what colour?"
    with pytest.raises(BadInputError, match="The question is empty"):
        check_pairs([(image, "what?"), (image, " ")])
    with pytest.raises(BadInputError, match="not an image"):
        check_pairs([("photo.jpg", "what?")])


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_top_k_must_be_a_whole_number_of_at_least_one(bad):
    with pytest.raises(BadInputError, match="top_k"):
        check_top_k(bad)
    assert check_top_k(3) == 3
