"""Visual question answering with ViLT (``dandelin/vilt-b32-finetuned-vqa``): ranked answers.

Why ViLT next to BLIP: it is one transformer pass over patches and words (no decoder, no
generation loop), several times faster on a CPU, and it ranks a fixed list of answers
(VQAv2's 3,129), so the UI can show alternatives. It was trained with one sigmoid per
answer (VQA soft scores), so we report those raw scores: each is in [0, 1] and they need
not sum to 1. Its text side holds 40 tokens; longer questions are truncated, and we say so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
from PIL import Image

from mmdemo.core.results import Scored, VqaResult
from mmdemo.core.text import mostly_non_latin
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.hub.folders import hub_files, load_folder_model
from mmdemo.models.hub.tiny import build_vilt_vqa
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.hf_inputs import ENGLISH_NOTE, check_pairs, check_top_k

log = logging.getLogger(__name__)

# ViLT's processor scales the short side to ``shortest_edge``, caps the long side at 1333/800
# of that, then rounds both down to a multiple of ``size_divisor``: for an image thinner than
# (long cap / divisor) to 1 - 20:1 for the real model, 3.3:1 for the tiny one - the short
# side rounds down to 0 and the processor fails. Such images are padded with white first.
_LONGER_PER_SHORTER = 1333 / 800


def max_aspect(image_processor) -> float:
    """The thinnest shape (long side / short side) the processor can still resize."""
    size = image_processor.size
    shortest = size["shortest_edge"] if isinstance(size, dict) else size.shortest_edge
    divisor = getattr(image_processor, "size_divisor", None) or 1
    return int(_LONGER_PER_SHORTER * shortest) / divisor


def pad_to_aspect(image: Image.Image, limit: float) -> Image.Image:
    """``image`` centred on white so its long side is at most ``limit`` times its short one."""
    width, height = image.size
    if max(width, height) <= limit * min(width, height):
        return image
    if width > height:
        size = (width, -(-width // int(limit)))  # ceil: the padded shape is within the limit
    else:
        size = (-(-height // int(limit)), height)
    padded = Image.new("RGB", size, (255, 255, 255))
    padded.paste(image, ((size[0] - width) // 2, (size[1] - height) // 2))
    return padded


class ViltVqa(Backend):
    """ViLT VQA: image + question -> the top-k of its fixed answers with sigmoid scores."""

    task = "vqa"

    def __init__(self, spec, model, processor, device, dtype, model_label, batch_size=32):
        super().__init__(spec, device, dtype, model_label)
        self.model = model
        self.processor = processor
        self.batch_size = batch_size
        self.max_tokens = int(model.config.max_position_embeddings)
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        self.max_aspect = max_aspect(processor.image_processor)
        self.method = (
            f"ViLT ranks its {len(self.labels):,} known answers; each probability is that "
            "answer's own sigmoid score (raw, not normalised: they need not sum to 1)."
        )

    def modules(self) -> list[torch.nn.Module]:
        return [self.model]

    def token_count(self, question: str) -> int:
        """Tokens including [CLS]/[SEP], before truncation (to tell the user it happened)."""
        return len(self.processor.tokenizer(question, verbose=False)["input_ids"])

    def preprocess(self, pairs: Sequence[tuple[Image.Image, str]]) -> dict:
        """Images resized and padded together (``pixel_mask``); questions cut at 40 tokens."""
        inputs = self.processor(
            images=[pad_to_aspect(image, self.max_aspect) for image, _ in pairs],
            text=[question for _, question in pairs],
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
        )
        return dict(inputs)

    def _forward(self, inputs: dict) -> torch.Tensor:
        return self.model(**inputs).logits

    def postprocess(self, logits: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.sigmoid(logits.float()).cpu())

    def answer(self, image: Image.Image, question: str, top_k: int = 5) -> VqaResult:
        return self.answer_many([(image, question)], top_k)[0]

    def answer_many(
        self, pairs: Sequence[tuple[Image.Image, str]], top_k: int = 5
    ) -> list[VqaResult]:
        """Top-``top_k`` answers per (image, question) pair, ``batch_size`` pairs at a time."""
        top_k = min(check_top_k(top_k), len(self.labels))
        checked = check_pairs(pairs)
        scores = self.run_batched(
            checked, self.batch_size, self.preprocess, self._forward, self.postprocess
        )
        results = []
        for (_, question), row in zip(checked, scores, strict=True):
            values, indices = torch.topk(row, top_k)
            answers = tuple(
                Scored(self.labels[int(i)], float(v)) for v, i in zip(values, indices, strict=True)
            )
            notes = [self.method]
            if self.token_count(question) > self.max_tokens:
                notes.append(
                    f"The question was longer than ViLT's {self.max_tokens}-token limit; only "
                    "its beginning was used."
                )
            if mostly_non_latin(question):
                notes.append(ENGLISH_NOTE)
            results.append(VqaResult(answers, True, self.model_label, " ".join(notes)))
        return results


def load(spec: BackendSpec, ctx: LoadContext) -> ViltVqa:
    """The spec's ``repo`` (+ ``patterns``) | ``path`` | ``tiny`` folder, on the device."""
    model, processor, label, _ = load_folder_model(
        spec,
        ctx.settings,
        ctx.device,
        ctx.dtype,
        model_class="ViltForQuestionAnswering",
        processor_class="ViltProcessor",
        tiny=build_vilt_vqa,
    )
    return ViltVqa(spec, model, processor, ctx.device, ctx.dtype, label, ctx.settings.batch_size)


RANKED = Capabilities(ranked_answers=True)

SPECS = (
    BackendSpec(
        task="vqa",
        name="vilt-vqa",
        load=load,
        hub_files=hub_files,
        label="ViLT (faster; ranked answers with probabilities)",
        description="ViLT-B/32 fine-tuned on VQAv2 (dandelin/vilt-b32-finetuned-vqa): ranked "
        "answers, fast on CPU",
        options={
            "repo": "dandelin/vilt-b32-finetuned-vqa",
            "patterns": ("*.json", "*.txt", "pytorch_model.bin"),
        },
        capabilities=RANKED,
    ),
    BackendSpec(
        task="vqa",
        name="vilt-vqa-tiny",
        load=load,
        hub_files=hub_files,
        label="ViLT, tiny random (tests)",
        description="tiny random ViLT VQA for tests (meaningless)",
        options={"tiny": "vilt-vqa", "seed": 0},
        capabilities=RANKED,
        is_random=True,
    ),
)
