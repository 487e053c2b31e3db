"""Generation options are bounded before any model work, and results have one JSON shape."""

from __future__ import annotations

import json

import pytest

from mmdemo.core.errors import BadInputError
from mmdemo.core.generate_results import (
    MAX_PROMPT_CHARS,
    MAX_STEPS,
    GenerateOptions,
    GenerateResult,
    check_prompt,
)
from mmdemo.core.i18n import translate
from tests.support.catalogue import english_left


def test_defaults_are_a_one_step_turbo_image():
    options = GenerateOptions()
    assert (options.steps, options.seed, options.width, options.height) == (1, 0, 512, 512)
    assert options.guidance_scale == 0.0
    assert GenerateOptions(guidance_scale=1).guidance_scale == 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"steps": 0},
        {"steps": MAX_STEPS + 1},
        {"steps": 1.5},
        {"steps": True},
        {"seed": -1},
        {"seed": 2**31},
        {"width": 500},
        {"width": 192},
        {"height": 832},
        {"height": "512"},
        {"guidance_scale": -0.5},
        {"guidance_scale": 21.0},
        {"guidance_scale": "x"},
    ],
)
def test_out_of_bounds_options_are_refused_in_both_languages(kwargs):
    with pytest.raises(BadInputError) as caught:
        GenerateOptions(**kwargs)
    assert english_left(str(caught.value)) == []
    assert translate(str(caught.value), "zh") != str(caught.value)


def test_prompts_are_bounded():
    assert check_prompt("  a red   fox \n") == "a red fox"
    assert check_prompt("x" * MAX_PROMPT_CHARS) == "x" * MAX_PROMPT_CHARS
    for bad in ("", "   ", "x" * (MAX_PROMPT_CHARS + 1), None, 3):
        with pytest.raises(BadInputError) as caught:
            check_prompt(bad)
        assert english_left(str(caught.value)) == []


def test_result_json_has_no_pixels_and_checks_stopped():
    result = GenerateResult(None, "a fox", "m", "b", 4, 7, 512, 512, 1.23456, "cancelled", 1)
    data = json.loads(json.dumps(result.to_json()))
    assert data["stopped"] == "cancelled" and data["steps_done"] == 1
    assert data["has_image"] is False and data["seconds"] == 1.235
    with pytest.raises(ValueError):
        GenerateResult(None, "a", "m", "b", 1, 0, 512, 512, 0.0, "crashed")
