"""A full-size random-weight stand-in for ``stabilityai/sd-turbo`` (benchmarks only).

Why: seconds per image depend on the architecture and the image size, not on the weight
values, and this machine cannot reach the hub. So SD-Turbo's three networks are rebuilt from
their published configs (SD 2.1's UNet, 865 M parameters; the SD VAE, 84 M; OpenCLIP ViT-H's
text tower as a 23-layer CLIPTextModel, 340 M) with seeded random weights, saved as the
repo's fp16 variant files (what ``sd_turbo.hub_files`` downloads), served by the test suite's
fake hub and fetched with the real download code (``preset_weights.download_weights`` on the
backend's own ``hub_files``, as ``python -m mmdemo download`` does) into a Hugging Face
cache. The app then loads it offline through ``sd_turbo.load``.

``python -m bench._random_diffusion`` builds the cache (``~/.cache/mmdemo-bench/hf-cache``,
shared with ``bench/_random_full.py``) and prints its path. Run it under
``flock /tmp/mmdemo-bigmem.lock`` (building holds ~5 GB).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from bench._loopback import bypass_proxies
from bench._random_full import DEFAULT_CACHE, SEED

REPO = "stabilityai/sd-turbo"
CLIP_VOCAB = 49408  # OpenCLIP / CLIP BPE vocabulary size

# stabilityai/sd-turbo's published component configs (SD 2.1 base shapes), written in code.
UNET = dict(
    sample_size=64,
    in_channels=4,
    out_channels=4,
    layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280),
    down_block_types=(
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=1024,
    attention_head_dim=(5, 10, 20, 20),
    use_linear_projection=True,
    norm_num_groups=32,
)
VAE = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2,
    latent_channels=4,
    norm_num_groups=32,
    sample_size=768,
    scaling_factor=0.18215,
)
TEXT = dict(
    vocab_size=CLIP_VOCAB,
    hidden_size=1024,
    intermediate_size=4096,
    num_hidden_layers=23,
    num_attention_heads=16,
    max_position_embeddings=77,
    hidden_act="gelu",
    projection_dim=512,
)
SCHEDULER = dict(
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    timestep_spacing="trailing",
    steps_offset=1,
)


def clip_vocab() -> dict[str, int]:
    """The tiny twin's byte-level vocabulary padded with filler words to CLIP's 49,408."""
    from mmdemo.models.backends.sd_turbo import tiny_clip_vocab

    vocab = tiny_clip_vocab()
    for i in range(CLIP_VOCAB - len(vocab)):
        vocab[f"w{i:05d}</w>"] = len(vocab)
    return vocab


def build_sd_turbo(folder: Path, seed: int = SEED) -> Path:
    """Write the random full-size pipeline into ``folder`` as the repo lays it out (fp16)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    vocab = clip_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    text = CLIPTextModel(CLIPTextConfig(**TEXT, **ids, pad_token_id=1)).half()
    unet = UNet2DConditionModel(**UNET).half()
    vae = AutoencoderKL(**VAE).half()
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=EulerDiscreteScheduler(**SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, variant="fp16")
    words = folder / "tokenizer"
    (words / "tokenizer.json").unlink(missing_ok=True)  # the repo ships vocab + merges only
    (words / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (words / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    specials = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>"}
    specials |= {"unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}
    (words / "special_tokens_map.json").write_text(json.dumps(specials), encoding="utf-8")
    return folder


def _weights():
    from mmdemo.core.config import Settings
    from mmdemo.models.registry import get_backend

    return get_backend("generate", "sd-turbo").weights(Settings())


def ensure_sd_turbo_cache(cache_dir: Path | None = None) -> Path:
    """A HF cache holding the random SD-Turbo, built and fetched once."""
    from mmdemo.models.hub.files import is_cached
    from mmdemo.models.hub.preset_weights import download_weights

    cache_dir = Path(cache_dir or DEFAULT_CACHE / "hf-cache").expanduser().resolve()
    if all(is_cached(w, cache_dir) for w in _weights()):
        return cache_dir
    from huggingface_hub import close_session

    from tests.support.fake_hub import FakeHub

    cache_dir.mkdir(parents=True, exist_ok=True)
    source = Path(tempfile.mkdtemp(prefix="hub-src-sd-", dir=cache_dir.parent))
    saved = {k: os.environ.get(k) for k in ("HF_ENDPOINT", "HF_HUB_OFFLINE")}
    try:
        with FakeHub(source) as hub:
            print(f"building a random {REPO} ...", flush=True)
            build_sd_turbo(hub.repo_dir(REPO))
            bypass_proxies()
            os.environ["HF_ENDPOINT"] = hub.url
            os.environ.pop("HF_HUB_OFFLINE", None)
            from huggingface_hub import constants

            constants.HF_HUB_OFFLINE = False
            close_session()
            download_weights(_weights(), cache_dir)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(source, ignore_errors=True)
    missing = [w.describe() for w in _weights() if not is_cached(w, cache_dir)]
    if missing:
        raise SystemExit(f"still missing after the download: {missing}")
    return cache_dir


if __name__ == "__main__":
    print(ensure_sd_turbo_cache())
