"""The caption, VQA, chat and image models' menu labels in the page's language.

Why here and not in the backends: a spec's ``label`` is the model's English name for the
CLI, the API and the log; only the page shows it in Chinese. Each Chinese label is keyed by
the backend's name, with the spec's English beside it (a unit test checks the two agree, so
a renamed model cannot keep a stale translation). A model not listed shows its English label.
"""

from __future__ import annotations

import gradio as gr

from mmdemo.services import tasks
from mmdemo.ui.i18n import register, registered_keys, text

LABELS = {
    "caption": {
        "blip-caption": ("BLIP (generated caption)", "BLIP（生成式描述）"),
        "blip-caption-tiny": ("BLIP, tiny random (tests)", "BLIP，小型随机权重（测试用）"),
        "label-caption": (
            "Label-based (classes of the shared image-text space)",
            "基于标签（图文共享空间里的类别）",
        ),
    },
    "vqa": {
        "blip-vqa": ("BLIP VQA (generates one answer)", "BLIP VQA（生成一个答案）"),
        "blip-vqa-tiny": ("BLIP VQA, tiny random (tests)", "BLIP VQA，小型随机权重（测试用）"),
        "vilt-vqa": (
            "ViLT (faster; ranked answers with probabilities)",
            "ViLT（更快；答案按概率排序）",
        ),
        "vilt-vqa-tiny": ("ViLT, tiny random (tests)", "ViLT，小型随机权重（测试用）"),
        "routed-vqa": (
            "Shapes model trained here + similarity answers for photos",
            "这里训练的形状模型 + 照片的相似度回答",
        ),
        "photo-vqa": (
            "Similarity answers for photos (what is this? / is there a ...?)",
            "照片的相似度回答（这是什么？/ 有没有……？）",
        ),
        "shapes-vqa": (
            "Shapes model trained here (easy-VQA world only)",
            "这里训练的形状模型（仅限 easy-VQA 的形状世界）",
        ),
    },
    "chat": {
        "smolvlm-256m": ("SmolVLM 256M Instruct", "SmolVLM 256M 指令版"),
        "smolvlm-500m": ("SmolVLM 500M Instruct", "SmolVLM 500M 指令版"),
        "smolvlm-tiny": ("SmolVLM, tiny random (tests)", "SmolVLM，小型随机权重（测试用）"),
        "qwen2-vl-2b": ("Qwen2-VL 2B Instruct", "通义千问 Qwen2-VL 2B 指令版"),
        "qwen2-vl-tiny": (
            "Qwen2-VL, tiny random (tests)",
            "通义千问 Qwen2-VL，小型随机权重（测试用）",
        ),
    },
    "generate": {
        "sd-turbo": ("SD-Turbo (512 px, 1-4 steps)", "SD-Turbo（512 像素，1–4 步）"),
        "sd-tiny": (
            "Stable Diffusion, tiny random (tests)",
            "Stable Diffusion，小型随机权重（测试用）",
        ),
    },
}
register(
    {
        f"model.{task}.{name}": pair
        for task, labels in LABELS.items()
        for name, pair in labels.items()
    }
)


def model_label(task: str, choice: tasks.ModelChoice, language: str | None = None) -> str:
    """The menu label of ``choice`` in ``language`` (its spec's English if not listed)."""
    key = f"model.{task}.{choice.name}"
    return text(key, language) if key in registered_keys() else choice.label


def model_menu(task: str, choices: list[tasks.ModelChoice], language: str) -> dict:
    """An update of the Model menu's choices to ``language``: the values (backend names) and
    the visitor's pick stay as they are."""
    return gr.update(choices=[(model_label(task, c, language), c.name) for c in choices])
