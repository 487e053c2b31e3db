"""Chat about an image with SmolVLM (HuggingFaceTB/SmolVLM-256M/500M-Instruct, Apache-2.0).

Why SmolVLM as the default: the smallest instruction-tuned vision-language models that
answer in sentences on a CPU (256 M / 500 M parameters, an Idefics3 architecture: a SigLIP
encoder, pixel shuffle, a SmolLM2 decoder). They read English only, so a Chinese question
is refused with the model that reads it named. The image is not split into tiles
(``do_image_splitting=False``): one 512-px view costs 64 visual tokens instead of ~1,100,
which is what makes a first token arrive in seconds on CPU. ``smolvlm-tiny`` is a random
twin built from a config (2-layer Llama decoder, 2-layer SigLIP, byte-level tokenizer with
the real special tokens and chat template) and loaded through the same code.
"""

from __future__ import annotations

from pathlib import Path

from mmdemo.models.base import LoadContext
from mmdemo.models.hub.folders import DEFAULT_PATTERNS, hub_files, load_folder_model
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.chat_streaming import VisionChatBackend, tiny_byte_tokenizer

MODEL_CLASS = "AutoModelForImageTextToText"
# + the chat template, which newer snapshots ship as chat_template.jinja
PATTERNS = (*DEFAULT_PATTERNS, "*.jinja")
PROCESSOR_CLASS = "AutoProcessor"
# SmolVLM-Instruct's own chat template (tokenizer_config.json of the hub repos).
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
IMAGE_TOKENS = ["<fake_token_around_image>", "<image>", "<global-img>"] + [
    f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)
]


def build_tiny_smolvlm(folder: Path) -> None:
    """A 2-layer, 64-wide Idefics3 (SmolVLM) on 64-px images: 4 visual tokens, ~0.2 M params."""
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessor,
        Idefics3Processor,
    )

    tokenizer = tiny_byte_tokenizer(
        bos="<|im_start|>", eos="<end_of_utterance>", pad="<|im_end|>", specials=IMAGE_TOKENS
    )
    text = dict(
        model_type="llama",
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=len(tokenizer),
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=64,
        patch_size=16,
    )
    config = Idefics3Config(
        vision_config=vision,
        text_config=text,
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        tie_word_embeddings=False,
    )
    model = Idefics3ForConditionalGeneration(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(folder)
    images = Idefics3ImageProcessor(
        size={"longest_edge": 128}, max_image_size={"longest_edge": 64}, do_image_splitting=False
    )
    Idefics3Processor(
        images, tokenizer, image_seq_len=4, chat_template=CHAT_TEMPLATE
    ).save_pretrained(folder)


class SmolVlmChat(VisionChatBackend):
    """SmolVLM: one unsplit view of the image, the processor's own chat template."""


def load(spec: BackendSpec, ctx: LoadContext) -> SmolVlmChat:
    """The spec's ``repo`` | ``tiny`` folder (``hub.folders``), on the device."""
    model, processor, label, _ = load_folder_model(
        spec,
        ctx.settings,
        ctx.device,
        ctx.dtype,
        model_class=MODEL_CLASS,
        processor_class=PROCESSOR_CLASS,
        tiny=build_tiny_smolvlm,
    )
    return SmolVlmChat(
        spec, model, processor, ctx.device, ctx.dtype, label, {"do_image_splitting": False}
    )


ENGLISH = Capabilities(languages=("en",))

SPECS = (
    BackendSpec(
        task="chat",
        name="smolvlm-256m",
        load=load,
        hub_files=hub_files,
        label="SmolVLM 256M Instruct",
        description="SmolVLM-256M-Instruct (HuggingFaceTB, Apache-2.0): chat about an image, "
        "English",
        options={"repo": "HuggingFaceTB/SmolVLM-256M-Instruct", "patterns": PATTERNS},
        capabilities=ENGLISH,
    ),
    BackendSpec(
        task="chat",
        name="smolvlm-500m",
        load=load,
        hub_files=hub_files,
        label="SmolVLM 500M Instruct",
        description="SmolVLM-500M-Instruct (HuggingFaceTB, Apache-2.0): chat about an image, "
        "English",
        options={"repo": "HuggingFaceTB/SmolVLM-500M-Instruct", "patterns": PATTERNS},
        capabilities=ENGLISH,
    ),
    BackendSpec(
        task="chat",
        name="smolvlm-tiny",
        load=load,
        hub_files=hub_files,
        label="SmolVLM, tiny random (tests)",
        description="tiny random SmolVLM (Idefics3) for tests (meaningless)",
        options={"tiny": "smolvlm-chat", "seed": 0, "max_prompt_tokens": 512},
        capabilities=ENGLISH,
        is_random=True,
    ),
)
