"""Full-size random-weight stand-ins for the chat models (benchmarks only).

Why: time to first token and tokens/s depend on the architecture, the image's visual tokens
and the sequence length, not on the weight values, and this machine cannot reach the hub.
So SmolVLM-256M/500M-Instruct (Idefics3: SigLIP-B/16-512 + SmolLM2-135M/360M) and
Qwen2-VL-2B-Instruct are rebuilt from their published config.json values (written in code
below) with seeded random weights, served by the test suite's fake hub and fetched by the
real download code (``preset_weights.download_weights`` on each backend's ``hub_files``)
into the shared bench cache; the app then loads them offline through the backends' ``load``.
Tokenizers: the tiny twins' byte-level tokenizer padded with filler words to the real
vocabulary size, so the embedding and output layers have their real shapes.

``python -m bench._random_chat`` builds the cache and prints its path. Run it under
``flock /tmp/mmdemo-bigmem.lock`` (Qwen2-VL-2B is built in bfloat16: ~4.4 GB).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bench._loopback import bypass_proxies
from bench._random_full import DEFAULT_CACHE, SEED

SMOLVLM_256M = "HuggingFaceTB/SmolVLM-256M-Instruct"
SMOLVLM_500M = "HuggingFaceTB/SmolVLM-500M-Instruct"
QWEN2_VL_2B = "Qwen/Qwen2-VL-2B-Instruct"
BACKENDS = {SMOLVLM_256M: "smolvlm-256m", SMOLVLM_500M: "smolvlm-500m", QWEN2_VL_2B: "qwen2-vl-2b"}

SMOL_VOCAB = 49280
SIGLIP_B16_512 = dict(
    hidden_size=768,
    intermediate_size=3072,
    num_hidden_layers=12,
    num_attention_heads=12,
    image_size=512,
    patch_size=16,
)
SMOLLM2 = {
    SMOLVLM_256M: dict(
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
    ),
    SMOLVLM_500M: dict(
        hidden_size=960,
        intermediate_size=2560,
        num_hidden_layers=32,
        num_attention_heads=15,
        num_key_value_heads=5,
    ),
}
QWEN_VOCAB = 151936
QWEN_TEXT = dict(
    hidden_size=1536,
    intermediate_size=8960,
    num_hidden_layers=28,
    num_attention_heads=12,
    num_key_value_heads=2,
    max_position_embeddings=32768,
    rope_theta=1000000.0,
    rms_norm_eps=1e-6,
    rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]},
)
QWEN_VISION = dict(
    depth=32,
    embed_dim=1280,
    hidden_size=1536,
    num_heads=16,
    mlp_ratio=4,
    patch_size=14,
    spatial_merge_size=2,
    temporal_patch_size=2,
)


def _padded(tokenizer, size: int):
    """``tokenizer`` with filler words added until it has ``size`` ids."""
    missing = size - len(tokenizer)
    tokenizer.add_tokens([f"w{i:06d}" for i in range(missing)])
    assert len(tokenizer) == size, len(tokenizer)
    return tokenizer


def build_smolvlm(repo: str, folder: Path) -> None:
    import torch
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessor,
        Idefics3Processor,
    )

    from mmdemo.models.backends.smolvlm_chat import CHAT_TEMPLATE, IMAGE_TOKENS
    from mmdemo.models.shared.chat_streaming import tiny_byte_tokenizer

    tokenizer = tiny_byte_tokenizer(
        bos="<|im_start|>", eos="<end_of_utterance>", pad="<|im_end|>", specials=IMAGE_TOKENS
    )
    tokenizer = _padded(tokenizer, SMOL_VOCAB)
    text = dict(
        SMOLLM2[repo],
        model_type="llama",
        vocab_size=SMOL_VOCAB,
        max_position_embeddings=8192,
        rope_theta=100000.0,
        rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    config = Idefics3Config(
        vision_config=SIGLIP_B16_512,
        text_config=text,
        scale_factor=4,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        tie_word_embeddings=False,
    )
    with torch.device("cpu"):
        model = Idefics3ForConditionalGeneration(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.to(torch.bfloat16).save_pretrained(folder)  # published in bfloat16
    images = Idefics3ImageProcessor(
        size={"longest_edge": 2048}, max_image_size={"longest_edge": 512}
    )
    Idefics3Processor(
        images, tokenizer, image_seq_len=64, chat_template=CHAT_TEMPLATE
    ).save_pretrained(folder)


def build_qwen2_vl(folder: Path) -> None:
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    from mmdemo.models.backends.qwen2_vl_chat import CHAT_TEMPLATE, SPECIAL
    from mmdemo.models.shared.chat_streaming import tiny_byte_tokenizer

    tokenizer = tiny_byte_tokenizer(eos="<|im_end|>", pad="<|endoftext|>", specials=SPECIAL)
    tokenizer = _padded(tokenizer, QWEN_VOCAB)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL}
    text = dict(
        QWEN_TEXT,
        vocab_size=QWEN_VOCAB,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    config = Qwen2VLConfig(
        text_config=text,
        vision_config=QWEN_VISION,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=True,
    )
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # 4.4 GB while building, not 8.8
    try:
        model = Qwen2VLForConditionalGeneration(config)
    finally:
        torch.set_default_dtype(previous)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(folder)
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(folder)


def build_repo(repo: str, folder: Path) -> Path:
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        if repo == QWEN2_VL_2B:
            build_qwen2_vl(folder)
        else:
            build_smolvlm(repo, folder)
    return folder


def _weights(repo: str):
    from mmdemo.core.config import Settings
    from mmdemo.models.registry import get_backend

    return get_backend("chat", BACKENDS[repo]).weights(Settings())


def ensure_chat_cache(repos=tuple(BACKENDS), cache_dir: Path | None = None) -> Path:
    """A HF cache holding the random chat models in ``repos``, built and fetched once."""
    from mmdemo.models.hub.files import is_cached
    from mmdemo.models.hub.preset_weights import download_weights

    cache_dir = Path(cache_dir or DEFAULT_CACHE / "hf-cache").expanduser().resolve()
    todo = [r for r in repos if not all(is_cached(w, cache_dir) for w in _weights(r))]
    if not todo:
        return cache_dir
    from huggingface_hub import close_session, constants

    from tests.support.fake_hub import FakeHub

    cache_dir.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("HF_ENDPOINT", "HF_HUB_OFFLINE")}
    for repo in todo:
        source = Path(tempfile.mkdtemp(prefix="hub-src-chat-", dir=cache_dir.parent))
        try:
            with FakeHub(source) as hub:
                print(f"building a random {repo} ...", flush=True)
                build_repo(repo, hub.repo_dir(repo))
                bypass_proxies()
                os.environ["HF_ENDPOINT"] = hub.url
                os.environ.pop("HF_HUB_OFFLINE", None)
                constants.HF_HUB_OFFLINE = False
                close_session()
                download_weights(_weights(repo), cache_dir)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            shutil.rmtree(source, ignore_errors=True)
    missing = [w.describe() for r in repos for w in _weights(r) if not is_cached(w, cache_dir)]
    if missing:
        raise SystemExit(f"still missing after the download: {missing}")
    return cache_dir


if __name__ == "__main__":
    import sys

    print(ensure_chat_cache(tuple(sys.argv[1:]) or tuple(BACKENDS)))
