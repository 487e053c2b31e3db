"""Generative captions with BLIP (``Salesforce/blip-image-captioning-base``).

Why BLIP: it writes a caption from the pixels instead of naming classes (the ``lite``
label-based captioner), and a text prefix turns it into conditional captioning ("a picture
of" -> "a picture of a dog on a couch"). Weights come from ``hub.folders``: a local folder,
the cache, the hub, or a tiny random model for tests, all loaded the same way.
``caption_many`` is the batched entry point (gallery captioning, micro-batching).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from PIL import Image

from mmdemo.core.errors import BadInputError, UnknownNameError
from mmdemo.core.results import CaptionResult
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.hub.folders import hub_files, load_folder_model
from mmdemo.models.hub.tiny import build_blip_caption
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.hf_inputs import check_images

log = logging.getLogger(__name__)

MODES = ("beam", "sample")
MIN_LENGTH, MAX_LENGTH = 5, 100  # generated tokens
MAX_PREFIX_CHARS = 200
MAX_BEAMS = 10
# Sampling seeds torch's global generator (generate() takes no generator), so two sampling
# requests in different Gradio threads must not interleave.
_SAMPLING_LOCK = threading.Lock()


@dataclass(frozen=True)
class CaptionOptions:
    """Validated generation options; one object so a batch is generated with one setting."""

    mode: str = "beam"
    max_length: int = 30
    prefix: str = ""
    num_beams: int = 3
    top_p: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UnknownNameError("caption mode", self.mode, MODES)
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int):
            raise BadInputError(f"max_length must be a whole number, not {self.max_length!r}.")
        if not MIN_LENGTH <= self.max_length <= MAX_LENGTH:
            raise BadInputError(
                f"max_length must be between {MIN_LENGTH} and {MAX_LENGTH} tokens, "
                f"not {self.max_length}."
            )
        if not isinstance(self.prefix, str):
            raise BadInputError(f"The caption prefix must be text, not {type(self.prefix)}.")
        if len(self.prefix) > MAX_PREFIX_CHARS:
            raise BadInputError(
                f"The caption prefix is {len(self.prefix)} characters long; the limit is "
                f"{MAX_PREFIX_CHARS}."
            )
        if not 1 <= self.num_beams <= MAX_BEAMS:
            raise BadInputError(f"num_beams must be between 1 and {MAX_BEAMS}.")
        if not 0.0 < self.top_p <= 1.0:
            raise BadInputError(f"top_p must be in (0, 1], not {self.top_p}.")

    @property
    def method(self) -> str:
        """How the caption was made, for the UI (and so a sampled caption is never a surprise)."""
        if self.mode == "sample":
            how = f"nucleus sampling (top-p {self.top_p:g}, seed {self.seed})"
        else:
            how = f"beam search ({self.num_beams} beam{'s' if self.num_beams > 1 else ''})"
        return f"BLIP, {how}" + (f", prefix {self.prefix.strip()!r}" if self.prefix.strip() else "")

    def generate_kwargs(self) -> dict:
        """``max_length`` counts generated tokens (after the prefix), hence max_new_tokens."""
        if self.mode == "sample":
            # top_k=0 disables generate's default top-50 cut, so this is pure nucleus sampling.
            return dict(do_sample=True, top_p=self.top_p, top_k=0, max_new_tokens=self.max_length)
        return dict(do_sample=False, num_beams=self.num_beams, max_new_tokens=self.max_length)


@contextmanager
def seeded(seed: int, device: torch.device):
    """Run a block with torch's generators seeded, restoring their state afterwards."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with _SAMPLING_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


class BlipCaptioner(Backend):
    """BLIP captioning: preprocess (processor) -> generate on the device -> decode."""

    task = "caption"

    def __init__(
        self, spec, model, processor, device, dtype, model_label, batch_size=32, max_time_s=30.0
    ):
        super().__init__(spec, device, dtype, model_label)
        self.model = model
        self.processor = processor
        self.batch_size = batch_size
        self.max_time_s = max_time_s  # per image of a batch (Settings.generate_max_s)

    def modules(self) -> list[torch.nn.Module]:
        return [self.model]

    def preprocess(self, images: Sequence[Image.Image], prefix: str = "") -> dict:
        """PIL images (+ one shared prefix) -> CPU tensors. A shared prefix means no padding."""
        prefix = " ".join(prefix.split())
        if prefix:
            texts = [prefix] * len(images)
            inputs = self.processor(images=list(images), text=texts, return_tensors="pt")
        else:
            inputs = self.processor(images=list(images), return_tensors="pt")
        return {k: v for k, v in inputs.items() if k != "token_type_ids"}

    def _forward(self, inputs: dict, options: CaptionOptions) -> torch.Tensor:
        """Token ids (prefix included, as BLIP returns them); sampling is seeded per batch.

        ``max_time`` bounds the whole call (a batch gets each image's share): generate stops
        there and returns the tokens so far, so a runaway request cannot hold the model.
        """
        images = len(inputs["pixel_values"])
        kwargs = {**options.generate_kwargs(), "max_time": self.max_time_s * images}
        if options.mode == "sample":
            with seeded(options.seed, self.device):
                return self.model.generate(**inputs, **kwargs)
        return self.model.generate(**inputs, **kwargs)

    def postprocess(self, ids: torch.Tensor, options: CaptionOptions) -> list[CaptionResult]:
        texts = self.processor.batch_decode(ids, skip_special_tokens=True)
        return [CaptionResult(" ".join(text.split()), options.method) for text in texts]

    def caption(self, image: Image.Image, **options) -> CaptionResult:
        """One caption; options as ``caption_many``."""
        return self.caption_many([image], **options)[0]

    def caption_many(
        self,
        images: Sequence[Image.Image],
        *,
        mode: str = "beam",
        max_length: int = 30,
        prefix: str = "",
        num_beams: int = 3,
        top_p: float = 0.9,
        seed: int = 0,
    ) -> list[CaptionResult]:
        """Captions for ``images``, ``batch_size`` at a time.

        ``mode`` "beam" is deterministic (batching does not change a caption); "sample" draws
        with nucleus sampling, seeding each batch with ``seed`` (so it is reproducible for the
        same images in the same batches). ``prefix`` starts every caption, and stays in it.
        """
        options = CaptionOptions(mode, max_length, prefix, num_beams, top_p, seed)
        return self.run_batched(
            check_images(images),
            self.batch_size,
            preprocess=lambda chunk: self.preprocess(chunk, options.prefix),
            forward=lambda inputs: self._forward(inputs, options),
            postprocess=lambda ids: self.postprocess(ids, options),
        )


def load(spec: BackendSpec, ctx: LoadContext) -> BlipCaptioner:
    """The spec's ``repo`` | ``path`` | ``tiny`` folder (see ``hub.folders``), on the device."""
    model, processor, label, _ = load_folder_model(
        spec,
        ctx.settings,
        ctx.device,
        ctx.dtype,
        model_class="BlipForConditionalGeneration",
        processor_class="BlipProcessor",
        tiny=build_blip_caption,
    )
    return BlipCaptioner(
        spec,
        model,
        processor,
        ctx.device,
        ctx.dtype,
        label,
        ctx.settings.batch_size,
        max_time_s=ctx.settings.generate_max_s,
    )


# Generated captions: both decoding modes and a prefix are offered in the UI, API and CLI.
GENERATIVE = Capabilities(decoding=MODES, prefix=True)

SPECS = (
    BackendSpec(
        task="caption",
        name="blip-caption",
        load=load,
        hub_files=hub_files,
        label="BLIP (generated caption)",
        description="BLIP base captioner (Salesforce/blip-image-captioning-base): generated "
        "captions",
        options={"repo": "Salesforce/blip-image-captioning-base"},
        capabilities=GENERATIVE,
    ),
    BackendSpec(
        task="caption",
        name="blip-caption-tiny",
        load=load,
        hub_files=hub_files,
        label="BLIP, tiny random (tests)",
        description="tiny random BLIP captioner for tests (meaningless)",
        options={"tiny": "blip-caption", "seed": 0},
        capabilities=GENERATIVE,
        is_random=True,
    ),
)
