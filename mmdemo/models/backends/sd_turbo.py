"""Text-to-image with a few-step distilled Stable Diffusion through ``diffusers`` (SD-Turbo).

Why SD-Turbo (``stabilityai/sd-turbo``): adversarial diffusion distillation of SD 2.1 draws a
512 px image in 1-4 UNet steps with no classifier-free guidance (guidance 0: one UNet pass
per step, not two), which is what makes a CPU demo possible. Its licence is the *Stability
AI Community License* (the repo's LICENSE.md; earlier revisions: the Stability AI
Non-Commercial Research Community License): free for research and non-commercial use, and
commercial use only under its revenue threshold - it is not an open-source licence.

Files: a diffusers repo is a folder of subfolders (``model_index.json``, ``scheduler/``,
``text_encoder/``, ``tokenizer/``, ``unet/``, ``vae/``). ``hub.files`` judges a snapshot by a
top-level ``config.json`` (a transformers folder), so each file is named here as its own
single-file download instead; they land in one snapshot folder of the cache, which
``from_pretrained(folder)`` reads offline. Weights: the ``fp16`` variant (2.6 GB rather than
5.2 GB to download and keep; loaded into the device dtype, float32 on a CPU), falling back
to the full-precision files where a repo (or a test's) has no fp16 variant.

``tiny``: a config-built random UNet/VAE/CLIP text encoder with the same scheduler class,
saved by ``StableDiffusionPipeline.save_pretrained`` and loaded by the same code.
The pipeline ships no safety checker (sd-turbo has none); each result's note says so.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from mmdemo.core.config import Settings
from mmdemo.core.errors import ModelLoadError
from mmdemo.core.generate_results import GenerateOptions, GenerateResult, check_prompt
from mmdemo.models.base import Backend, LoadContext, require_package
from mmdemo.models.hub.files import HubWeights, resolve, snapshot_folder
from mmdemo.models.registry import BackendSpec

log = logging.getLogger(__name__)

SD_TURBO_REPO = "stabilityai/sd-turbo"
# Every file StableDiffusionPipeline reads from an SD 2.x diffusers repo (safety checker and
# feature extractor are null in sd-turbo's model_index.json). Weights: (fp16, full) pairs.
CONFIG_FILES = (
    "model_index.json",
    "scheduler/scheduler_config.json",
    "text_encoder/config.json",
    "tokenizer/merges.txt",
    "tokenizer/special_tokens_map.json",
    "tokenizer/tokenizer_config.json",
    "tokenizer/vocab.json",
    "unet/config.json",
    "vae/config.json",
)
WEIGHT_FILES = (
    ("text_encoder/model.fp16.safetensors", "text_encoder/model.safetensors"),
    ("unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.safetensors"),
    ("vae/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors"),
)
NO_SAFETY_CHECKER = "{model} ships no safety checker: images are not filtered."


class _Cancelled(Exception):
    """Raised from the step callback: a cancelled image is not decoded (the VAE costs seconds)."""


def hub_files(spec: BackendSpec, settings: Settings) -> list[HubWeights]:
    """One single-file download per repo file (see the module docstring for why)."""
    repo = spec.option("repo")
    if spec.is_random or spec.option("tiny") or not repo:
        return []
    label = spec.option("label") or repo
    return [
        HubWeights(repo, filenames=(name,), label=f"{label} {name}") for name in CONFIG_FILES
    ] + [HubWeights(repo, filenames=pair, label=f"{label} {pair[-1]}") for pair in WEIGHT_FILES]


def pipeline_dir(spec: BackendSpec, settings: Settings) -> tuple[Path, str]:
    """(local diffusers folder, label): tiny build, or the repo's files from cache/hub."""
    if spec.option("tiny"):
        from mmdemo.models.hub.tiny import tiny_model_dir

        if not spec.is_random:
            raise ModelLoadError(
                spec.name, "its spec asks for a tiny random model", "Set is_random=True on it."
            )
        seed = int(spec.option("seed", 0))
        folder = tiny_model_dir(str(spec.option("tiny")), build_tiny_sd, settings, seed)
        return folder, f"tiny random {spec.option('tiny')} (seed {seed})"
    paths = [p for w in hub_files(spec, settings) for p in resolve(w, settings.cache_dir)]
    return snapshot_folder(paths), spec.option("label") or spec.option("repo")


def _variant(folder: Path) -> str | None:
    """ "fp16" when the folder holds the fp16 weight files, else None (full precision)."""
    names = [pair[0] for pair in WEIGHT_FILES]
    return "fp16" if all((folder / name).is_file() for name in names) else None


def load_pipeline(folder: Path, label: str, device, dtype):
    """The StableDiffusionPipeline in ``folder`` on ``device`` in ``dtype`` (no network)."""
    diffusers = require_package("diffusers", label, "diffusers==0.42.1")
    try:
        pipe = diffusers.StableDiffusionPipeline.from_pretrained(
            folder,
            dtype=dtype,
            variant=_variant(folder),
            local_files_only=True,
            safety_checker=None,
            requires_safety_checker=False,
        )
    except Exception as err:  # missing subfolder, bad safetensors, config drift all differ
        first_line = (str(err).strip().splitlines() or [""])[0][:200]
        raise ModelLoadError(
            label,
            f"the files in {folder} could not be loaded as StableDiffusionPipeline "
            f"({type(err).__name__}: {first_line})",
            "Check that the folder was written by save_pretrained for this model, or delete it "
            "from the cache and download it again (python -m mmdemo download).",
        ) from err
    pipe.set_progress_bar_config(disable=True)  # progress goes to on_step, not a tqdm bar
    return pipe.to(device)


class DiffusionGenerator(Backend):
    """One diffusers text-to-image pipeline, serialised by a lock (it is not thread-safe)."""

    task = "generate"

    def __init__(self, spec, pipe, device, dtype, model_label, pixel_scale: int = 1):
        super().__init__(spec, device, dtype, model_label)
        self.pipe = pipe
        self.pixel_scale = pixel_scale  # tiny twins draw at 1/scale of the asked size
        self.lock = threading.Lock()
        self.note = NO_SAFETY_CHECKER.format(model=model_label)

    def modules(self) -> list[torch.nn.Module]:
        return [self.pipe.unet, self.pipe.vae, self.pipe.text_encoder]

    def generate(
        self,
        prompt: str,
        options: GenerateOptions,
        *,
        on_step: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
        deadline: float | None = None,
    ) -> GenerateResult:
        """One image for ``prompt``: seeded per call, stopped at the next step on cancel/deadline.

        Everything is checked before the lock and the model: the prompt, and ``options``
        (already validated by its class; a plain dict would not be). A deadline decodes what
        the steps so far made (``stopped="time"``); a cancel decodes nothing (image None).
        """
        text = check_prompt(prompt)
        if not isinstance(options, GenerateOptions):
            options = GenerateOptions(**dict(options))
        state = {"done": 0, "stopped": "done"}
        total = options.steps

        def step_end(pipe, step, _timestep, kwargs):
            state["done"] = step + 1
            if on_step is not None:
                on_step(step + 1, total)
            if cancel is not None and cancel.is_set():
                state["stopped"] = "cancelled"
                raise _Cancelled
            if deadline is not None and time.monotonic() > deadline and step + 1 < total:
                state["stopped"] = "time"
                pipe._interrupt = True  # the loop skips the remaining steps, then decodes
            return kwargs

        start = time.perf_counter()
        image = None
        with self.lock:
            if cancel is not None and cancel.is_set():
                state["stopped"] = "cancelled"
            else:
                generator = torch.Generator("cpu").manual_seed(options.seed)
                try:
                    with torch.inference_mode():
                        out = self.pipe(
                            text,
                            num_inference_steps=total,
                            guidance_scale=options.guidance_scale,
                            width=options.width // self.pixel_scale,
                            height=options.height // self.pixel_scale,
                            generator=generator,
                            callback_on_step_end=step_end,
                        )
                    image = out.images[0]
                except _Cancelled:
                    log.info("Generation cancelled after %d of %d steps", state["done"], total)
        return GenerateResult(
            image=image,
            prompt=text,
            model=self.model_label,
            backend=self.spec.name,
            steps=total,
            seed=options.seed,
            width=image.width if image is not None else options.width // self.pixel_scale,
            height=image.height if image is not None else options.height // self.pixel_scale,
            seconds=time.perf_counter() - start,
            stopped=state["stopped"],
            steps_done=state["done"],
            guidance_scale=options.guidance_scale,
            note=self.note,
        )


def load(spec: BackendSpec, ctx: LoadContext) -> DiffusionGenerator:
    folder, label = pipeline_dir(spec, ctx.settings)
    pipe = load_pipeline(folder, label, ctx.device, ctx.dtype)
    log.info("Loaded %s (%s) on %s (%s) from %s", label, spec.name, ctx.device, ctx.dtype, folder)
    scale = int(spec.option("pixel_scale", 1))
    return DiffusionGenerator(spec, pipe, ctx.device, ctx.dtype, label, pixel_scale=scale)


# -- the tiny random twin ---------------------------------------------------------------------
def _byte_units() -> list[str]:
    """GPT-2/CLIP's byte-to-unicode table: printable bytes stand for themselves, the others
    are shifted past 255, so every byte has a visible one-character symbol."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    shifted = [b for b in range(256) if b not in keep]
    table = {b: chr(b) for b in keep} | {b: chr(256 + i) for i, b in enumerate(shifted)}
    return [table[b] for b in range(256)]


def tiny_clip_vocab() -> dict[str, int]:
    """A byte-level BPE vocabulary (every byte, alone and word-final) for a tokenizer with no
    merges: CLIP's tokenizer then spells any text byte by byte, so no prompt is unknown."""
    units = _byte_units()
    pieces = units + [f"{u}</w>" for u in units] + ["<|startoftext|>", "<|endoftext|>"]
    return {piece: i for i, piece in enumerate(pieces)}


def build_tiny_sd(folder: Path) -> None:
    """A ~0.3 M-parameter SD 2.x-shaped pipeline: 2-level UNet (32/64 wide, cross-attention on
    a 32-wide 2-layer CLIP text encoder), 2-level VAE (scale factor 2), Euler "trailing"
    scheduler as SD-Turbo's. Written with the pipeline's own save_pretrained."""
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    tokenizer = CLIPTokenizer(vocab=tiny_clip_vocab(), merges=[], model_max_length=77)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=77,
            projection_dim=32,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=32,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=(2, 4),
        use_linear_projection=True,  # as SD 2.x
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(32, 64),
        latent_channels=4,
        norm_num_groups=32,
        sample_size=64,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        timestep_spacing="trailing",
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    # the hub repo's tokenizer is vocab.json + merges.txt (no tokenizer.json): write it so
    words = folder / "tokenizer"
    (words / "tokenizer.json").unlink(missing_ok=True)
    (words / "vocab.json").write_text(json.dumps(tiny_clip_vocab()), encoding="utf-8")
    (words / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    specials = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>"}
    specials |= {"unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}
    (words / "special_tokens_map.json").write_text(json.dumps(specials), encoding="utf-8")
    # hub.tiny reuses a built folder when it has a config.json (a transformers folder); a
    # diffusers folder's index is model_index.json, so a copy under that name marks it too
    (folder / "config.json").write_text(
        (folder / "model_index.json").read_text(encoding="utf-8"), encoding="utf-8"
    )


SPECS = (
    BackendSpec(
        task="generate",
        name="sd-turbo",
        load=load,
        hub_files=hub_files,
        label="SD-Turbo (512 px, 1-4 steps)",
        description="SD-Turbo (stabilityai/sd-turbo): Stable Diffusion 2.1 distilled to 1-4 "
        "steps at 512 px, guidance 0; Stability AI Community License (non-commercial and "
        "research use; commercial use under its revenue threshold); no safety checker",
        options={"repo": SD_TURBO_REPO},
    ),
    BackendSpec(
        task="generate",
        name="sd-tiny",
        load=load,
        hub_files=hub_files,
        label="Stable Diffusion, tiny random (tests)",
        description="tiny random SD-Turbo-shaped pipeline for tests (meaningless images, "
        "drawn at 1/4 of the asked size)",
        options={"tiny": "sd-turbo", "seed": 0, "pixel_scale": 4},
        is_random=True,
    ),
)
