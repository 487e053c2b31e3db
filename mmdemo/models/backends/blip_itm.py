"""Image-text matching with BLIP's ITM head (``Salesforce/blip-itm-base-coco``): task "match".

Why a second opinion after the embedding search: CLIP-style search compares one image
vector with one text vector, so it cannot see *how* the words relate to the picture. BLIP's
ITM head reads the text with cross-attention over the image patches and says whether this
text describes this image (trained on COCO with hard negatives), which is what LAVIS uses
to re-rank its top hits. It is ~50x the cost of a cosine, so it only re-ranks a few hits
(``services.rerank``).

The score is the ITM head's "match" probability: softmax over its two logits, class 1. As
in LAVIS (and BLIP's own retrieval evaluation) the text's first token is BLIP's ``[ENC]``
token, the one the head was trained with, not the tokenizer's ``[CLS]``.
Weights come from ``hub.folders`` (a folder, the cache, the hub, or the tiny random twin).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image

from mmdemo.core.errors import BadInputError
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.hub.folders import hub_files, load_folder_model
from mmdemo.models.registry import BackendSpec, Capabilities, require_readable
from mmdemo.models.shared.hf_inputs import check_images

log = logging.getLogger(__name__)

REPO = "Salesforce/blip-itm-base-coco"
# The repo's main branch ships pytorch_model.bin (its safetensors copy sits in an unmerged
# hub PR), so the weights are fetched as ViLT's are: the .bin, configs and vocabulary.
PATTERNS = ("*.json", "*.txt", "pytorch_model.bin")
# BLIP's retrieval models were trained on texts of at most 35 tokens (LAVIS max_txt_len):
# a longer text is cut there, so its cost is bounded whatever is sent.
MAX_TOKENS = 35
MAX_TEXT_CHARS = 1_000  # the search query's own limit (services.search.MAX_QUERY_CHARS)
ENC_TOKEN = "[ENC]"


def check_text(text: object) -> str:
    """The text with whitespace tidied; empty, over-long or non-text texts are refused."""
    if not isinstance(text, str):
        raise BadInputError(f"The text to match must be text, not {type(text).__name__}.")
    tidy = " ".join(text.split())
    if not tidy:
        raise BadInputError("The text to match is empty: type what the image should show.")
    if len(tidy) > MAX_TEXT_CHARS:
        raise BadInputError(
            f"The text to match is {len(tidy)} characters long; the limit is {MAX_TEXT_CHARS}."
        )
    return tidy


class BlipMatcher(Backend):
    """BLIP ITM: (image, text) pairs -> the probability that the text describes the image."""

    task = "match"

    def __init__(self, spec, model, processor, device, dtype, model_label, batch_size=32):
        super().__init__(spec, device, dtype, model_label)
        self.model = model
        self.processor = processor
        self.batch_size = batch_size
        enc = processor.tokenizer.convert_tokens_to_ids(ENC_TOKEN)
        # a tokenizer without [ENC] (not a Salesforce one) keeps its [CLS]
        self.enc_token_id = None if enc == processor.tokenizer.unk_token_id else enc

    def modules(self) -> list[torch.nn.Module]:
        return [self.model]

    def preprocess(self, pairs: Sequence[tuple[Image.Image, str]]) -> dict:
        """Images and texts -> CPU tensors; texts padded to the longest (masked) and cut at
        ``MAX_TOKENS``; the first token becomes [ENC], as the ITM head was trained."""
        inputs = self.processor(
            images=[image for image, _ in pairs],
            text=[text for _, text in pairs],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        )
        if self.enc_token_id is not None:
            inputs["input_ids"][:, 0] = self.enc_token_id
        return {k: v for k, v in inputs.items() if k != "token_type_ids"}

    def _forward(self, inputs: dict) -> torch.Tensor:
        # BLIP's forward builds the image mask on the CPU; a GPU model needs it beside the
        # patches, which passing the vision output through would not fix: see _itm_logits.
        return _itm_logits(self.model, inputs)

    @staticmethod
    def postprocess(logits: torch.Tensor) -> list[float]:
        probs = torch.softmax(logits.float(), dim=-1)[:, 1]
        return [float(p) for p in probs.cpu()]

    def match(self, image: Image.Image, text: str) -> float:
        """The probability that ``text`` describes ``image`` (0..1)."""
        return self.match_many([(image, text)])[0]

    def match_many(self, pairs: Sequence[tuple[Image.Image, str]]) -> list[float]:
        """One probability per (image, text) pair, ``batch_size`` pairs at a time; every
        pair is checked before any model work (a Chinese text is refused: English only)."""
        pairs = list(pairs)
        for item in pairs:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise BadInputError("Each item to match must be an (image, text) pair.")
        images = check_images([image for image, _ in pairs])
        texts = [check_text(text) for _, text in pairs]
        for text in texts:
            require_readable(self.spec.capabilities, text, self.spec.name, "text to match")
        return self.run_batched(
            list(zip(images, texts, strict=True)),
            self.batch_size,
            preprocess=self.preprocess,
            forward=self._forward,
            postprocess=self.postprocess,
        )


def _itm_logits(model, inputs: dict) -> torch.Tensor:
    """(n, 2) ITM logits: ``BlipForImageTextRetrieval``'s ITM branch with the image mask
    made on the patches' own device (its forward makes it on the CPU, which fails on a GPU)."""
    image_embeds = model.vision_model(pixel_values=inputs["pixel_values"]).last_hidden_state
    image_mask = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=image_embeds.device)
    text = model.text_encoder(
        input_ids=inputs["input_ids"],
        attention_mask=inputs.get("attention_mask"),
        encoder_hidden_states=image_embeds,
        encoder_attention_mask=image_mask,
    ).last_hidden_state
    return model.itm_head(text[:, 0, :])


def build_blip_itm(folder: Path) -> None:
    """A 2-layer, 32-wide BLIP ITM model on 32-px images, built like the other tiny BLIPs
    (the same tokenizer with [DEC]/[ENC], config and processor; ``hub.tiny``)."""
    from mmdemo.models.hub import tiny

    tiny._build_blip("BlipForImageTextRetrieval", folder)


def load(spec: BackendSpec, ctx: LoadContext) -> BlipMatcher:
    """The spec's ``repo`` | ``path`` | ``tiny`` folder (see ``hub.folders``), on the device."""
    model, processor, label, _ = load_folder_model(
        spec,
        ctx.settings,
        ctx.device,
        ctx.dtype,
        model_class="BlipForImageTextRetrieval",
        processor_class="BlipProcessor",
        tiny=build_blip_itm,
    )
    return BlipMatcher(
        spec, model, processor, ctx.device, ctx.dtype, label, ctx.settings.batch_size
    )


ENGLISH = Capabilities(languages=("en",))  # trained on COCO's English captions

SPECS = (
    BackendSpec(
        task="match",
        name="blip-itm",
        load=load,
        hub_files=hub_files,
        label="BLIP image-text matching",
        description=f"BLIP base ITM head ({REPO}): does this text describe this image",
        options={"repo": REPO, "patterns": PATTERNS},
        capabilities=ENGLISH,
    ),
    BackendSpec(
        task="match",
        name="blip-itm-tiny",
        load=load,
        hub_files=hub_files,
        label="BLIP ITM, tiny random (tests)",
        description="tiny random BLIP image-text matcher for tests (meaningless)",
        options={"tiny": "blip-itm", "seed": 0},
        capabilities=ENGLISH,
        is_random=True,
    ),
)
