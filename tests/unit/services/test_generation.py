"""services.generation: progress then the result through the real tiny diffusion pipeline,
refusals before any work (lite, Chinese prompt, bounds, busy), and a closed stream that
frees its worker and its slot."""

from __future__ import annotations

import threading

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, BusyError, UnknownNameError
from mmdemo.core.generate_results import GenerateOptions, GenerateResult
from mmdemo.core.i18n import translate
from mmdemo.services import generation
from mmdemo.serving import ModelServer


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> ModelServer:
    cache = tmp_path_factory.mktemp("generation-cache")
    return ModelServer(Settings(preset="tiny", cache_dir=cache, device="cpu"))


def test_progress_items_then_the_result_loading_line_first(server):
    items = list(generation.generate_steps(server, "a red fox", {"steps": 3, "seed": 1}))
    assert isinstance(items[0], str) and items[0].startswith("Loading ")
    assert items[1:-1] == [(1, 3), (2, 3), (3, 3)]
    result = items[-1]
    assert isinstance(result, GenerateResult) and result.stopped == "done"
    assert result.image.mode == "RGB" and result.steps_done == 3 and result.seed == 1
    # loaded now: no loading line the second time, and the slot was given back
    again = list(generation.generate_steps(server, "a red fox", GenerateOptions(steps=1)))
    assert again[0] == (1, 1) and isinstance(again[-1], GenerateResult)
    assert server.long_jobs("generate").running == 0


def test_same_seed_same_pixels_through_the_service(server):
    first = generation.generate(server, "a lighthouse", {"seed": 7})
    second = generation.generate(server, "a lighthouse", {"seed": 7})
    assert first.image.tobytes() == second.image.tobytes()


@pytest.mark.parametrize(
    ("prompt", "options", "words"),
    [
        ("", None, "empty"),
        ("x" * 501, None, "limit"),
        ("一只红色的狐狸", None, "English"),
        ("a fox", {"steps": 99}, "steps"),
        ("a fox", {"width": 100}, "width"),
        ("a fox", {"colour": 1}, "Unknown generation options"),
        ("a fox", [1], "mapping"),
    ],
)
def test_bad_input_refused_before_a_slot_or_a_load(server, prompt, options, words):
    steps = generation.generate_steps(server, prompt, options)
    with pytest.raises(BadInputError, match=words):
        next(steps)
    assert server.long_jobs("generate").running == 0


def test_refusals_have_chinese():
    for message in (
        str(generation.GenerationUnavailableError("lite")),
        "The image model reads English prompts only (its CLIP text encoder was trained on "
        "English captions); describe the image in English.",
        "Loading SD tiny … (about 3 s last time)",
        "Unknown generation options: colour.",
    ):
        assert translate(message, "zh") != message


def test_unknown_model_refused(server):
    with pytest.raises(UnknownNameError):
        next(generation.generate_steps(server, "a fox", None, backend="no-such-model"))


def test_lite_says_it_needs_full(tmp_path):
    lite = ModelServer(Settings(preset="lite", cache_dir=tmp_path))
    assert not generation.available(lite)
    with pytest.raises(generation.GenerationUnavailableError, match="full preset"):
        next(generation.generate_steps(lite, "a fox"))


def test_busy_at_once_when_the_limit_runs(server):
    """One image at a time (generate_concurrency=1): a second request is refused at once."""
    first = generation.generate_steps(server, "a fox", {"steps": 4})
    assert next(first) == (1, 4)  # the first holds the slot, mid-drawing
    with pytest.raises(BusyError):
        next(generation.generate_steps(server, "a fox"))
    first.close()


def test_closing_the_stream_cancels_the_worker_and_frees_the_slot(server):
    steps = generation.generate_steps(server, "a fox", {"steps": 8})
    assert next(steps) == (1, 8)
    steps.close()  # what Gradio's Cancel does
    assert server.long_jobs("generate").running == 0
    assert not [t for t in threading.enumerate() if t.name == "mmdemo-generate"]
    result = generation.generate(server, "a fox", {"steps": 1})  # the next one runs
    assert result.stopped == "done"
