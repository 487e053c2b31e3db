"""The Generate tab's composed text: the note under a drawing says "1 step" / "2 steps" in
English (Chinese has no plural), and the image and chat models are named by their Chinese
labels on a Chinese page (the menus keep their values, the backend names)."""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.generate_results import GenerateResult
from mmdemo.core.i18n import has_cjk
from mmdemo.services import tasks
from mmdemo.serving import ModelServer
from mmdemo.ui.tabs import _model_labels, chat, generate


def drawn(steps_done: int, steps: int | None = None, stopped: str = "done") -> GenerateResult:
    return GenerateResult(
        image=None,
        prompt="a fox",
        model="stabilityai/sd-turbo",
        backend="sd-turbo",
        steps=steps or steps_done,
        seed=7,
        width=512,
        height=512,
        seconds=15.25,
        stopped=stopped,
        steps_done=steps_done,
    )


@pytest.mark.parametrize(("done", "words"), [(1, "(1 step, seed 7"), (2, "(2 steps, seed 7")])
def test_the_note_says_step_or_steps_in_english(done, words):
    note = generate.done_markdown(drawn(done), "en")
    assert words in note and "1 steps" not in note
    assert note.startswith("Drawn by stabilityai/sd-turbo in 15.2 s")


@pytest.mark.parametrize("done", [1, 3])
def test_the_chinese_note_counts_steps_the_same_way(done):
    note = generate.done_markdown(drawn(done), "zh")
    assert f"（{done} 步，种子 7" in note and "step" not in note


def test_a_stopped_drawing_says_how_far_it_got():
    note = generate.done_markdown(drawn(1, steps=4, stopped="time"), "en")
    assert "after 1 of 4 steps" in note and "(1 step, seed" in note


@pytest.fixture(scope="module")
def tiny_server():
    return ModelServer(Settings(preset="tiny"))  # specs only: nothing here loads a model


def test_the_intro_and_the_loading_line_name_the_image_model_in_chinese(tiny_server):
    chinese = generate.intro(tiny_server, "zh")
    assert "Stable Diffusion，小型随机权重（测试用）" in chinese
    english = generate.intro(tiny_server, "en")
    assert "Stable Diffusion, tiny random (tests)" in english and not has_cjk(english)
    choice = tasks.model_choices(tiny_server, "generate")[0]
    assert generate.loading_markdown(tiny_server, choice, "zh") == (
        "正在加载 Stable Diffusion，小型随机权重（测试用）……"
    )
    assert generate.loading_markdown(tiny_server, choice, "en") == (
        "Loading Stable Diffusion, tiny random (tests) …"
    )


@pytest.mark.parametrize("task", ["generate", "chat"])
def test_the_model_menus_read_chinese_and_keep_their_values(tiny_server, task):
    choices = tasks.model_choices(tiny_server, task)
    menu = _model_labels.model_menu(task, choices, "zh")["choices"]
    assert [value for _, value in menu] == [c.name for c in choices]
    assert all(has_cjk(label) for label, _ in menu)
    english = _model_labels.model_menu(task, choices, "en")["choices"]
    assert [label for label, _ in english] == [c.label for c in choices]


def test_the_chat_model_line_names_the_model_in_chinese():
    choices = {c.name: c for c in tasks.model_choices(ModelServer(Settings(preset="full")), "chat")}
    line = chat.model_line(choices["qwen2-vl-2b"], "zh")
    assert "通义千问 Qwen2-VL 2B 指令版" in line and "Instruct" not in line
    smol = chat.model_line(choices["smolvlm-256m"], "zh")
    assert "SmolVLM 256M 指令版" in smol
    assert "SmolVLM 256M Instruct" in chat.model_line(choices["smolvlm-256m"], "en")


def test_every_chat_and_image_model_of_every_preset_has_a_chinese_label():
    from mmdemo.models.presets import PRESETS

    for preset, tasks_of in PRESETS.items():
        for task in ("chat", "generate"):
            for name in tasks_of.get(task, ()):
                assert name in _model_labels.LABELS[task], (preset, task, name)
