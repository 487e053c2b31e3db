"""Chat about an image with Qwen2-VL-2B-Instruct (Qwen, Apache-2.0): reads and answers Chinese.

Why Qwen2-VL-2B as the stronger choice: the smallest open instruction-tuned VLM that reads
Chinese and English equally (and text in images), under a permissive licence; it costs
~8x SmolVLM-256M on CPU, so it is a choice, not the default. Its processor sizes an image
to a pixel budget: ``min_pixels``/``max_pixels`` are capped so that a 224-px photo becomes
64 visual tokens and no image more than 256 (28x28 pixels per token), instead of up to
16,384 at the processor's defaults. ``qwen2-vl-tiny`` is a random twin built from a config
(2-layer decoder with M-RoPE, 2-layer vision tower, byte-level tokenizer with Qwen's
special tokens and chat template), loaded and driven through the same code.
"""

from __future__ import annotations

from pathlib import Path

import torch

from mmdemo.models.base import LoadContext
from mmdemo.models.hub.folders import DEFAULT_PATTERNS, hub_files, load_folder_model
from mmdemo.models.registry import ANY, BackendSpec, Capabilities
from mmdemo.models.shared.chat_streaming import VisionChatBackend, tiny_byte_tokenizer

MODEL_CLASS = "AutoModelForImageTextToText"
# + the chat template, which newer snapshots ship as chat_template.jinja
PATTERNS = (*DEFAULT_PATTERNS, "*.jinja")
PROCESSOR_CLASS = "AutoProcessor"
PIXELS_PER_TOKEN = 28 * 28  # 14-px patches merged 2x2
# Qwen2-VL-Instruct's chat template (images only; the hub's also handles video).
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|im_start|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]


def build_tiny_qwen2_vl(folder: Path) -> None:
    """A 2-layer, 64-wide Qwen2-VL (M-RoPE) with a 2-layer, 32-wide vision tower."""
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    tokenizer = tiny_byte_tokenizer(eos="<|im_end|>", pad="<|endoftext|>", specials=SPECIAL)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL}
    text = dict(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=len(tokenizer),
        max_position_embeddings=4096,
        rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},  # head_dim 16 / 2
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = dict(
        depth=2,
        embed_dim=32,
        hidden_size=64,
        num_heads=2,
        mlp_ratio=2,
        patch_size=14,
        spatial_merge_size=2,
        temporal_patch_size=2,
    )
    config = Qwen2VLConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    model = Qwen2VLForConditionalGeneration(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(folder)
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(folder)


class Qwen2VlChat(VisionChatBackend):
    """Qwen2-VL: the image sized to the spec's pixel budget, the processor's chat template."""


def cpu_bf16() -> bool:
    """Whether this CPU runs bfloat16 matmuls natively (AVX512-BF16 / AMX, through oneDNN)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def load(spec: BackendSpec, ctx: LoadContext) -> Qwen2VlChat:
    """The spec's ``repo`` | ``tiny`` folder (``hub.folders``), on the device.

    ``cpu_bf16`` specs load in bfloat16 on a CPU that supports it: 2.2 B parameters are
    8.8 GB in float32, 4.4 GB in bfloat16 (the dtype the weights are published in).
    """
    dtype = ctx.dtype
    if spec.option("cpu_bf16") and ctx.device.type == "cpu" and cpu_bf16():
        dtype = torch.bfloat16
    model, processor, label, _ = load_folder_model(
        spec,
        ctx.settings,
        ctx.device,
        dtype,
        model_class=MODEL_CLASS,
        processor_class=PROCESSOR_CLASS,
        tiny=build_tiny_qwen2_vl,
    )
    low, high = spec.option("min_tokens", 64), spec.option("max_tokens", 256)
    size = {"shortest_edge": low * PIXELS_PER_TOKEN, "longest_edge": high * PIXELS_PER_TOKEN}
    return Qwen2VlChat(spec, model, processor, ctx.device, dtype, label, {"size": size})


ANY_LANGUAGE = Capabilities(languages=(ANY,))

SPECS = (
    BackendSpec(
        task="chat",
        name="qwen2-vl-2b",
        load=load,
        hub_files=hub_files,
        label="Qwen2-VL 2B Instruct",
        description="Qwen2-VL-2B-Instruct (Qwen, Apache-2.0): chat about an image, reads and "
        "answers Chinese and English",
        options={
            "repo": "Qwen/Qwen2-VL-2B-Instruct",
            "min_tokens": 64,
            "max_tokens": 256,
            "cpu_bf16": True,
            "patterns": PATTERNS,
        },
        capabilities=ANY_LANGUAGE,
    ),
    BackendSpec(
        task="chat",
        name="qwen2-vl-tiny",
        load=load,
        hub_files=hub_files,
        label="Qwen2-VL, tiny random (tests)",
        description="tiny random Qwen2-VL for tests (meaningless)",
        options={
            "tiny": "qwen2-vl-chat",
            "seed": 0,
            "min_tokens": 4,
            "max_tokens": 16,
            "max_prompt_tokens": 512,
        },
        capabilities=ANY_LANGUAGE,
        is_random=True,
    ),
)
