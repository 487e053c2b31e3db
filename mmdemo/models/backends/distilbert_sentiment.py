"""Text sentiment with DistilBERT fine-tuned on SST-2 (``full``) or a tiny random one (``tiny``).

``distilbert/distilbert-base-uncased-finetuned-sst-2-english`` is a two-class model
(NEGATIVE / POSITIVE, English movie-review sentences). It has no neutral class, and it is
known to be over-confident on texts that carry no opinion. We keep its two-class answer
intact and add neutral honestly, as the model's *uncertainty*: the three probabilities come
from its log-odds margin through ``models.shared.sentiment_maths.three_class_from_margin``, so

* P(positive) / P(negative) is exactly the model's own odds;
* "neutral" is the label only when the model is less than ``neutral_below`` (default 80%)
  sure either way; a neutral *statement* the model is sure about stays positive/negative;
* the three probabilities sum to 1, and ``details["p_positive_2class"]`` keeps the raw one.

The 80% threshold could not be calibrated here (the real weights need the hub, which these
machines cannot reach); the ``neutral_below`` spec option changes it.

The same class serves a *three-class* model, ``lxyuan/distilbert-base-multilingual-cased-
sentiments-student`` (``distilbert-multilingual``; positive / neutral / negative in 12
languages, Chinese included; Apache-2.0). Its neutral is its own: the three probabilities
are its softmax, reordered. Its card publishes no accuracy against gold labels, only an
88.3% agreement with its teacher (mDeBERTa-v3-base-mnli-xnli, zero-shot) on the multilingual-
sentiments test set; ``full`` uses it for Chinese only (``multilingual-routed``), so English
keeps the SST-2 model.

Long texts: the model reads at most 512 tokens (~2,000 characters of English); the rest is
cut and ``details["note"]`` says how many characters were read. Input is also capped at
``MAX_CHARS`` characters before tokenising, so a huge paste costs nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import torch

from mmdemo.core.errors import BadInputError, ModelLoadError
from mmdemo.core.sentiment_results import CLASSES, SentimentResult, label_of
from mmdemo.core.text import mostly_non_latin
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.hub.folders import hub_files, load_folder_model
from mmdemo.models.hub.tiny import build_distilbert_multilingual_sentiment, build_distilbert_sst2
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.sentiment_maths import NEUTRAL_BELOW, three_class_from_margin

log = logging.getLogger(__name__)

MULTILINGUAL_REPO = "lxyuan/distilbert-base-multilingual-cased-sentiments-student"
# the languages its model card lists (its training set, tyqiangz/multilingual-sentiments)
MULTILINGUAL_LANGUAGES = ("en", "ar", "de", "es", "fr", "ja", "zh", "id", "hi", "it", "ms", "pt")
MAX_CHARS = 20_000  # characters tokenised at most; 512 tokens never need more
ENGLISH_NOTE = (
    "The model was trained on English movie reviews: words in other scripts are mostly "
    "unknown to it ([UNK]), so this result rests on the English words in the text, if any."
)
UNKNOWN_NOTE = (
    "The model knows none of the words or symbols in this text (emoji, other scripts and "
    "over-long words become [UNK] in its English vocabulary), so this result is a guess, "
    "not a reading of the text."
)


class DistilBertSentiment(Backend):
    """Three-class sentiment (negative, neutral, positive) from a 2- or 3-class transformer."""

    task = "sentiment"

    def __init__(
        self,
        spec: BackendSpec,
        model,
        tokenizer,
        device,
        dtype,
        model_label: str,
        neutral_below: float = NEUTRAL_BELOW,
        batch_size: int = 16,
    ):
        super().__init__(spec, device, dtype, model_label)
        self.model = model
        self.tokenizer = tokenizer
        self.neutral_below = float(neutral_below)
        self.batch_size = batch_size
        self.max_tokens = int(min(tokenizer.model_max_length, model.config.max_position_embeddings))
        # (negative, positive) output indices for a two-class model, or the three in CLASSES
        # order for a three-class one
        self.indices = _class_indices(model.config, model_label)
        self.negative_index, self.positive_index = self.indices[0], self.indices[-1]
        self.english_only = "en" in spec.capabilities.languages and all(
            lang == "en" for lang in spec.capabilities.languages
        )

    def modules(self) -> list[torch.nn.Module]:
        return [self.model]

    # -- the three steps -------------------------------------------------------------------
    def preprocess(self, texts: Sequence[str]) -> tuple[dict, list[dict]]:
        """Tokenise (truncated to the model's length); also what each text's tokens cover."""
        encoded = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        specials = set(self.tokenizer.all_special_ids) - {self.tokenizer.unk_token_id}
        facts = []
        for row in range(len(texts)):
            mask = encoded["attention_mask"][row].bool()
            ids = encoded["input_ids"][row][mask].tolist()
            ends = [int(end) for _, end in encoded["offset_mapping"][row][mask].tolist()]
            words = [i for i in ids if i not in specials]
            facts.append(
                {
                    "tokens": len(ids),
                    "scored_chars": max(ends, default=0),
                    "all_unknown": bool(words)
                    and all(i == self.tokenizer.unk_token_id for i in words),
                }
            )
        inputs = {k: encoded[k] for k in ("input_ids", "attention_mask")}
        return inputs, facts

    def _forward(self, inputs: dict) -> torch.Tensor:
        return self.model(**inputs).logits

    def postprocess(self, logits: torch.Tensor, facts: list[dict]) -> list[SentimentResult]:
        logits = logits.float().cpu()
        results = []
        for row, fact in zip(logits, facts, strict=True):
            margin = float(row[self.positive_index] - row[self.negative_index])
            details = {
                "logit_margin": margin,
                "tokens": fact["tokens"],
                "scored_chars": fact["scored_chars"],
                "truncated": fact["truncated"],
            }
            if len(self.indices) == 3:  # the model's own neutral: its softmax, reordered
                probs = torch.softmax(row[list(self.indices)].double(), dim=0).tolist()
            else:
                probs = three_class_from_margin(margin, self.neutral_below)
                details["p_positive_2class"] = 1.0 / (
                    1.0 + math.exp(-max(-700.0, min(700.0, margin)))
                )
            if fact["notes"]:
                details["note"] = " ".join(fact["notes"])
            results.append(
                SentimentResult.of(probs, self.model_label, details, label=label_of(probs))
            )
        return results

    # -- public ------------------------------------------------------------------------------
    def analyze(self, text: str) -> SentimentResult:
        """Scores one text; raises BadInputError for empty or whitespace-only text."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in order, ``batch_size`` texts per forward pass."""
        cleaned = [_check_text(t) for t in texts]
        results: list[SentimentResult] = []
        for start in range(0, len(cleaned), self.batch_size):
            chunk = cleaned[start : start + self.batch_size]
            inputs, facts = self.preprocess([c for c, _ in chunk])
            for fact, (scored, original) in zip(facts, chunk, strict=True):
                fact["truncated"] = len(scored) < len(original) or (
                    fact["tokens"] >= self.max_tokens and fact["scored_chars"] < len(original)
                )
                fact["notes"] = _notes(fact, scored, original, self.max_tokens, self.english_only)
            with torch.inference_mode():
                logits = self._forward(self.to_device(inputs))
            results.extend(self.postprocess(logits, facts))
        return results


def _check_text(text: str) -> tuple[str, str]:
    """(the part that is tokenised, the stripped original); empty text is refused."""
    if not isinstance(text, str):
        raise BadInputError(f"Sentiment needs text, got {type(text).__name__}.")
    stripped = text.strip()
    if not stripped:
        raise BadInputError("Enter some text to analyse; the text is empty.")
    return stripped[:MAX_CHARS], stripped


def _notes(
    fact: dict, scored: str, original: str, max_tokens: int, english_only: bool = True
) -> list[str]:
    notes = []
    if fact["truncated"]:
        notes.append(
            f"The model reads at most {max_tokens} tokens: only the first "
            f"{fact['scored_chars']:,} of {len(original):,} characters were scored."
        )
    if fact["all_unknown"]:
        notes.append(UNKNOWN_NOTE)
    elif english_only and mostly_non_latin(scored):
        notes.append(ENGLISH_NOTE)
    return notes


def _class_indices(config, label: str) -> tuple[int, ...]:
    """(negative, positive) output indices from the config's label names, or (negative,
    neutral, positive) for a three-class model."""
    names = {str(name).lower(): int(i) for i, name in config.id2label.items()}
    if config.num_labels == 3 and set(names) == set(CLASSES):
        return tuple(names[c] for c in CLASSES)
    if "negative" not in names or "positive" not in names or config.num_labels != 2:
        raise ModelLoadError(
            label,
            f"its labels are {sorted(names)}, not NEGATIVE and POSITIVE",
            "Use a sentiment model whose config names NEGATIVE and POSITIVE (and, for three "
            "classes, NEUTRAL).",
        )
    return names["negative"], names["positive"]


def _check_vocabulary(model, tokenizer, label: str) -> None:
    """Refuse a folder whose tokenizer found no vocabulary (it would read everything as [UNK])."""
    size = len(tokenizer)
    if size < 10 or size > model.config.vocab_size:
        raise ModelLoadError(
            label,
            f"its tokenizer has {size} tokens but the model expects {model.config.vocab_size}",
            "Check that the folder holds the model's vocab.txt (or tokenizer.json), or "
            "download it again (python -m mmdemo download).",
        )


TINY_BUILDERS = {
    "distilbert-sst2": build_distilbert_sst2,
    "distilbert-multilingual": build_distilbert_multilingual_sentiment,
}


def load(spec: BackendSpec, ctx: LoadContext) -> DistilBertSentiment:
    """Local folder (tiny build, given path, cache, or one download) -> ready backend."""
    model, tokenizer, label, _ = load_folder_model(
        spec,
        ctx.settings,
        ctx.device,
        ctx.dtype,
        model_class="AutoModelForSequenceClassification",
        processor_class="AutoTokenizer",
        tiny=TINY_BUILDERS.get(str(spec.option("tiny")), build_distilbert_sst2),
    )
    _check_vocabulary(model, tokenizer, label)
    return DistilBertSentiment(
        spec,
        model,
        tokenizer,
        ctx.device,
        ctx.dtype,
        label,
        neutral_below=float(spec.option("neutral_below", NEUTRAL_BELOW)),
        batch_size=max(1, min(ctx.settings.batch_size, 64)),
    )


SPECS = (
    BackendSpec(
        task="sentiment",
        name="distilbert-sst2",
        load=load,
        hub_files=hub_files,
        label="DistilBERT SST-2",
        description="DistilBERT fine-tuned on SST-2 (distilbert-base-uncased-finetuned-sst-2-"
        "english): positive/negative, neutral when it is unsure",
        options={
            "repo": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
            # the repo also holds TF, Rust and ONNX copies: fetch only what transformers reads
            "patterns": ("config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"),
            "neutral_below": 0.8,
        },
    ),
    BackendSpec(
        task="sentiment",
        name="distilbert-sst2-tiny",
        load=load,
        hub_files=hub_files,
        label="DistilBERT, tiny random (tests)",
        description="tiny random DistilBERT sentiment classifier for tests (meaningless)",
        options={"tiny": "distilbert-sst2", "seed": 0, "neutral_below": 0.8},
        is_random=True,
    ),
    BackendSpec(
        task="sentiment",
        name="distilbert-multilingual",
        load=load,
        hub_files=hub_files,
        label="Multilingual DistilBERT sentiment (12 languages)",
        description="lxyuan/distilbert-base-multilingual-cased-sentiments-student: positive/"
        "neutral/negative in 12 languages (Chinese included), distilled from a zero-shot "
        "mDeBERTa teacher",
        options={
            "repo": MULTILINGUAL_REPO,
            # the repo also holds pytorch_model.bin, training_args.bin and an ONNX copy
            "patterns": (
                "config.json",
                "model.safetensors",
                "special_tokens_map.json",
                "tokenizer.json",
                "tokenizer_config.json",
                "vocab.txt",
            ),
        },
        capabilities=Capabilities(languages=MULTILINGUAL_LANGUAGES),
    ),
    BackendSpec(
        task="sentiment",
        name="distilbert-multilingual-tiny",
        load=load,
        hub_files=hub_files,
        label="Multilingual DistilBERT, tiny random (tests)",
        description="tiny random 3-class cased DistilBERT with some Chinese characters in its "
        "vocabulary, for tests (meaningless)",
        options={"tiny": "distilbert-multilingual", "seed": 0},
        capabilities=Capabilities(languages=MULTILINGUAL_LANGUAGES),
        is_random=True,
    ),
)
