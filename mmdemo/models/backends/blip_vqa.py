"""Visual question answering with BLIP (``Salesforce/blip-vqa-base``): a generated answer.

Why generative: BLIP writes its answer token by token, so it is not limited to a fixed
answer list (ViLT is). It gives one answer; its confidence is the probability the model
assigned to exactly that answer (the product of its tokens' probabilities, end token
included, from ``compute_transition_scores``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import torch
from PIL import Image

from mmdemo.core.results import Scored, VqaResult
from mmdemo.core.text import mostly_non_latin
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.hub.folders import hub_files, load_folder_model
from mmdemo.models.hub.tiny import build_blip_vqa
from mmdemo.models.registry import BackendSpec
from mmdemo.models.shared.hf_inputs import ENGLISH_NOTE, check_pairs, check_top_k

log = logging.getLogger(__name__)


def answer_probabilities(decoder, output, prompt_length: int, end_id: int) -> list[float]:
    """P(answer) per sequence: exp(sum of its tokens' log-probabilities, up to its end token).

    Scores are log-softmaxed again, which is a no-op for beam search (already log-probs) and
    turns greedy search's logits into log-probs. Steps after a sequence ended are masked:
    greedy search fills them with padding whose scores mean nothing.
    """
    steps = decoder.compute_transition_scores(
        output.sequences,
        output.scores,
        getattr(output, "beam_indices", None),
        normalize_logits=True,
    ).float()
    generated = output.sequences[:, prompt_length : prompt_length + steps.shape[1]]
    ended_before = torch.cumsum((generated == end_id).long(), dim=1) - (generated == end_id).long()
    steps = steps.masked_fill(ended_before > 0, 0.0)
    return [math.exp(float(total)) for total in steps.sum(dim=1).cpu()]


class BlipVqa(Backend):
    """BLIP VQA: question + image -> one generated answer with its probability."""

    task = "vqa"

    def __init__(
        self,
        spec,
        model,
        processor,
        device,
        dtype,
        model_label,
        batch_size=32,
        num_beams=3,
        max_answer_tokens=10,
        max_time_s=30.0,
    ):
        super().__init__(spec, device, dtype, model_label)
        self.max_time_s = max_time_s  # per pair of a batch (Settings.generate_max_s)
        self.model = model
        self.processor = processor
        self.batch_size = batch_size
        self.num_beams = num_beams
        self.max_answer_tokens = max_answer_tokens
        self.max_tokens = int(model.config.text_config.max_position_embeddings)
        search = f"beam search, {num_beams} beams" if num_beams > 1 else "greedy decoding"
        self.method = (
            f"BLIP generates one free-text answer ({search}); its probability is the one the "
            "model gave that exact answer."
        )

    def modules(self) -> list[torch.nn.Module]:
        return [self.model]

    def preprocess(self, pairs: Sequence[tuple[Image.Image, str]]) -> dict:
        images = [image for image, _ in pairs]
        questions = [question for _, question in pairs]
        inputs = self.processor(
            images=images,
            text=questions,
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
        )
        return {k: v for k, v in inputs.items() if k != "token_type_ids"}

    def _forward(self, inputs: dict):
        """Generate the answers (bounded length and time) with their scores, for the
        confidence; ``max_time`` stops a runaway call with the tokens so far."""
        return self.model.generate(
            **inputs,
            num_beams=self.num_beams,
            max_new_tokens=self.max_answer_tokens,
            max_time=self.max_time_s * len(inputs["pixel_values"]),
            output_scores=True,
            return_dict_in_generate=True,
        )

    def token_count(self, question: str) -> int:
        """The question's length in tokens as the model sees it (after truncation)."""
        tokens = self.processor.tokenizer(question, truncation=True, max_length=self.max_tokens)
        return len(tokens["input_ids"])

    def postprocess(self, output) -> list[tuple[str, float]]:
        texts = self.processor.batch_decode(output.sequences, skip_special_tokens=True)
        end_id = self.model.config.text_config.sep_token_id
        probabilities = answer_probabilities(self.model.text_decoder, output, 1, end_id)
        return [(" ".join(t.split()), p) for t, p in zip(texts, probabilities, strict=True)]

    def answer(self, image: Image.Image, question: str, top_k: int = 5) -> VqaResult:
        """One answer (``top_k`` is accepted for a common VQA signature; BLIP gives one)."""
        return self.answer_many([(image, question)], top_k)[0]

    def answer_many(
        self, pairs: Sequence[tuple[Image.Image, str]], top_k: int = 5
    ) -> list[VqaResult]:
        """Answers for (image, question) pairs, ``batch_size`` at a time."""
        check_top_k(top_k)
        checked = check_pairs(pairs)
        # Batches hold questions of one token length only: in transformers 5.23 BLIP's answer
        # decoder ignores the question's padding mask (BlipTextAttention hands the mask to
        # the cross-attention under the wrong name), so padding would change the answers.
        # The common batch - one question about many images - is still a single batch.
        groups: dict[int, list[int]] = {}
        for i, (_, question) in enumerate(checked):
            groups.setdefault(self.token_count(question), []).append(i)
        answers: list[tuple[str, float]] = [("", 0.0)] * len(checked)
        for indices in groups.values():
            found = self.run_batched(
                [checked[i] for i in indices],
                self.batch_size,
                self.preprocess,
                self._forward,
                self.postprocess,
            )
            for i, answer in zip(indices, found, strict=True):
                answers[i] = answer
        results = []
        for (_, question), (text, probability) in zip(checked, answers, strict=True):
            notes = [self.method] + ([ENGLISH_NOTE] if mostly_non_latin(question) else [])
            if not text:
                notes.insert(0, "The model generated an empty answer.")
                results.append(VqaResult((), False, self.model_label, " ".join(notes)))
                continue
            scored = (Scored(text, min(max(probability, 0.0), 1.0)),)
            results.append(VqaResult(scored, True, self.model_label, " ".join(notes)))
        return results


def load(spec: BackendSpec, ctx: LoadContext) -> BlipVqa:
    """The spec's ``repo`` | ``path`` | ``tiny`` folder, plus ``num_beams`` and
    ``max_answer_tokens`` (VQA answers are short: 10 tokens, as in BLIP's own evaluation)."""
    model, processor, label, _ = load_folder_model(
        spec,
        ctx.settings,
        ctx.device,
        ctx.dtype,
        model_class="BlipForQuestionAnswering",
        processor_class="BlipProcessor",
        tiny=build_blip_vqa,
    )
    return BlipVqa(
        spec,
        model,
        processor,
        ctx.device,
        ctx.dtype,
        label,
        batch_size=ctx.settings.batch_size,
        num_beams=int(spec.option("num_beams", 3)),
        max_answer_tokens=int(spec.option("max_answer_tokens", 10)),
        max_time_s=ctx.settings.generate_max_s,
    )


SPECS = (
    BackendSpec(
        task="vqa",
        name="blip-vqa",
        load=load,
        hub_files=hub_files,
        label="BLIP VQA (generates one answer)",
        description="BLIP base VQA (Salesforce/blip-vqa-base): one generated answer with its "
        "probability",
        options={"repo": "Salesforce/blip-vqa-base", "num_beams": 3, "max_answer_tokens": 10},
    ),
    BackendSpec(
        task="vqa",
        name="blip-vqa-tiny",
        load=load,
        hub_files=hub_files,
        label="BLIP VQA, tiny random (tests)",
        description="tiny random BLIP VQA for tests (meaningless)",
        options={"tiny": "blip-vqa", "seed": 0},
        is_random=True,
    ),
)
