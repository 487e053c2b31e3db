"""Presets: which backend serves each task (the first name) and which others may be picked;
``MMDEMO_BACKENDS`` pins a task to one backend."""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, UnknownNameError
from mmdemo.models.presets import (
    OPTIONAL_TASKS,
    PRESET_DESCRIPTIONS,
    PRESETS,
    backend_for,
    choices_for,
    get_preset,
    parse_backend_overrides,
)
from mmdemo.models.registry import get_backend, list_tasks
from mmdemo.serving import ModelServer

PAIRS = [
    (preset, task, name)
    for preset, tasks in PRESETS.items()
    for task, names in tasks.items()
    for name in names
]


@pytest.mark.parametrize(("preset", "task", "name"), PAIRS, ids=lambda x: str(x))
def test_every_backend_a_preset_names_is_registered(preset, task, name):
    spec = get_backend(task, name)
    assert spec.task == task and spec.name == name


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_serves_every_task_with_a_default_first(preset):
    tasks = get_preset(preset)
    missing = set(list_tasks()) - set(tasks)
    assert missing <= OPTIONAL_TASKS, missing  # lite has no matcher: re-rank is full's
    assert preset == "lite" or not missing
    for task, names in tasks.items():
        assert isinstance(names, tuple) and names and len(set(names)) == len(names)
        assert backend_for(preset, task) == names[0]
        assert choices_for(preset, task) == list(names)
    assert preset in PRESET_DESCRIPTIONS


def test_random_weights_only_in_tiny():
    for preset, tasks in PRESETS.items():
        for task, names in tasks.items():
            randoms = [n for n in names if get_backend(task, n).is_random]
            if preset != "tiny":
                assert randoms == [], (preset, task)
    assert get_backend("embed", backend_for("tiny", "embed")).is_random


def test_unknown_preset_or_task_lists_the_choices():
    with pytest.raises(UnknownNameError, match="full, lite, tiny"):
        get_preset("nope")
    with pytest.raises(UnknownNameError, match=r"task in preset .tiny.*caption"):
        choices_for("tiny", "nope")


def test_backend_overrides_are_parsed_and_checked(tmp_path):
    assert parse_backend_overrides("vqa=shapes-vqa, caption=label-caption") == {
        "vqa": "shapes-vqa",
        "caption": "label-caption",
    }
    with pytest.raises(UnknownNameError):
        parse_backend_overrides("vqa=no-such-model")
    with pytest.raises(BadInputError, match="task=backend"):
        parse_backend_overrides("vqa")
    assert parse_backend_overrides(None) == {} == parse_backend_overrides(" , ")
    server = ModelServer(Settings(preset="tiny", backends="vqa=shapes-vqa", index_dir=tmp_path))
    assert server.spec_for("vqa").name == "shapes-vqa"


@pytest.mark.parametrize(
    ("preset", "default", "english_only"),
    [
        ("full", "openclip-xlm-roberta-base-vit-b-32", "openclip-vit-b-32"),
        ("tiny", "openclip-xlm-roberta-tiny", "openclip-tiny"),  # tiny mirrors full
    ],
)
def test_full_embeds_in_any_language_by_default_and_keeps_the_english_model(
    preset, default, english_only
):
    """The client reads Chinese: the multilingual open_clip is full's default embedder, the
    English-only ViT-B-32 one MMDEMO_BACKENDS=embed=... away."""
    choices = choices_for(preset, "embed")
    assert choices[0] == default and english_only in choices
    assert get_backend("embed", default).capabilities.reads("一只猫")
    assert not get_backend("embed", english_only).capabilities.reads("一只猫")
