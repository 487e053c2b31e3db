"""One function per task: every tab, every CLI command and the tests call these.

Why a task layer: a caption asked for in the browser, over the HTTP API and on the command
line must be made the same way. Each function validates its inputs once (numbers as a
slider, a raw HTTP call or argparse send them; options the chosen model cannot honour),
asks the model server (micro-batched where the backend batches), and returns a typed result
whose ``random_weights`` says whether random-weight (tiny) models made it. What a control
may offer comes from the backend's declared ``Capabilities`` (``model_choices``), never from
its name.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mmdemo.core.errors import BadInputError, UnknownNameError, shown
from mmdemo.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from mmdemo.core.results import CaptionResult, ClassifyResult, VqaResult
from mmdemo.core.sentiment_results import FusionResult
from mmdemo.core.text import check_question
from mmdemo.models.registry import Capabilities, require_readable
from mmdemo.services.sentiment import DEFAULT_FUSION, DEFAULT_TEXT_WEIGHT, SentimentFusion
from mmdemo.serving import ModelServer

DEFAULT_MODE = "beam"
DEFAULT_MAX_TOKENS = 30
DEFAULT_TOP_K = 5
# Appended to the method of a caption asked for in a language its model cannot write.
ENGLISH_ONLY_CAPTION = "{method}; the model writes English only, so the caption is in English"


@dataclass(frozen=True)
class ModelChoice:
    """One entry of a model menu: what to send, what to show, what it can do."""

    name: str
    label: str
    capabilities: Capabilities
    is_random: bool


def model_choices(server: ModelServer, task: str) -> list[ModelChoice]:
    """The models a person may pick for ``task``, the default first."""
    choices = []
    for name in server.choices(task):
        spec = server.spec_for(task, name)
        choices.append(
            ModelChoice(name, spec.label, spec.capabilities, server.is_random(task, name))
        )
    return choices


def capabilities(server: ModelServer, task: str, model: str | None = None) -> Capabilities:
    """What ``model`` (default: the task's own) can do; unknown names list the choices."""
    return server.spec_for(task, model or None).capabilities


# -- numbers as the browser, the API and argparse send them -------------------------------
def whole_number(value: object, what: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in [low, high]; floats from sliders are accepted, inf/NaN refused."""
    try:
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            raise ValueError
        whole = int(number)
    except (TypeError, ValueError, OverflowError):
        raise BadInputError(f"{what} must be a whole number, not {shown(value)}.") from None
    if whole < low or (high is not None and whole > high):
        limits = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadInputError(f"{what} must be {limits}, not {whole}.")
    return whole


def fraction(value: object, what: str, default: float) -> float:
    """A number in [0, 1] (``None`` -> ``default``); the message names ``what``."""
    if value is None:
        return default
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int past float's range
        raise BadInputError(
            f"{what} must be a number between 0 and 1, not {shown(value)}."
        ) from None
    if not 0.0 <= number <= 1.0:  # also refuses NaN
        raise BadInputError(f"{what} must be between 0 and 1, not {shown(value)}.")
    return number


def choice(value: object, what: str) -> str | None:
    """A menu value (a model, a mode, a fusion) as the API sends it: None or "" for the
    default, else a name; anything else (a dict from a crafted call) is refused."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadInputError(f"{what} must be a name (text), not {type(value).__name__}.")
    return value


def optional_text(value: object, what: str) -> str:
    """Free text that may be left empty (None -> ""); any other type is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInputError(f"{what} must be text, not {type(value).__name__}.")
    return value


# -- the tasks -----------------------------------------------------------------------------
def classify(
    server: ModelServer, image: Image.Image, labels: object, template: str | None = None
) -> ClassifyResult:
    """Zero-shot labels -> probabilities; an empty template means the label alone ("{}")."""
    backend = server.get("classify")
    if isinstance(labels, str) or (
        isinstance(labels, (list, tuple)) and all(isinstance(x, str) for x in labels)
    ):
        text = labels if isinstance(labels, str) else ", ".join(labels)
        # zero-shot labels are read by the embedding model
        embed = server.spec_for("embed", None)
        require_readable(embed.capabilities, text, embed.name, "labels")
    scores = backend.classify(image, labels, template or "{}")
    return ClassifyResult(tuple(scores), backend.model_label, server.is_random("classify"))


def caption_language(value: object) -> str:
    """The language a caption is asked for in (None or "" -> English); others are refused."""
    language = choice(value, "The caption language") or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        raise UnknownNameError("caption language", language, LANGUAGES)
    return language


def caption(
    server: ModelServer,
    image: Image.Image,
    *,
    model: str | None = None,
    mode: str | None = DEFAULT_MODE,
    max_length: object = DEFAULT_MAX_TOKENS,
    prefix: str | None = "",
    language: str | None = DEFAULT_LANGUAGE,
) -> CaptionResult:
    """A caption of ``image``. Decoding options apply to generative captioners only; a
    prefix given to one that cannot honour it is refused rather than silently dropped.

    ``language`` asks for the caption in that language where the model writes it (the
    label-based captioner writes Chinese); a model that writes English only (BLIP) gives its
    English caption, and its ``method`` says so - a caption is still better than none."""
    model = choice(model, "The caption model")
    can = capabilities(server, "caption", model)
    prefix = optional_text(prefix, "The caption prefix")
    language = caption_language(language)
    options: dict = {}
    if language != DEFAULT_LANGUAGE and language in can.languages:
        options["language"] = language
    if can.generative:
        mode = choice(mode, "The caption mode") or DEFAULT_MODE
        if mode not in can.decoding:
            raise UnknownNameError("caption mode", mode, can.decoding)
        options["mode"] = mode
        options["max_length"] = whole_number(max_length, "Max new tokens", 1)
    if prefix.strip():
        if not can.prefix:
            raise BadInputError(
                "A caption prefix needs a generative captioner (BLIP); the chosen one is "
                "label-based."
            )
        options["prefix"] = prefix
    result = server.run("caption", "caption", image, backend=model, **options)
    if language != DEFAULT_LANGUAGE and language not in can.languages:
        result = dataclasses.replace(
            result, method=ENGLISH_ONLY_CAPTION.format(method=result.method)
        )
    return dataclasses.replace(result, random_weights=server.is_random("caption", model))


def answer(
    server: ModelServer,
    image: Image.Image,
    question: object,
    *,
    model: str | None = None,
    fusion: str | None = None,
    top_k: object = DEFAULT_TOP_K,
) -> VqaResult:
    """Answers to ``question`` about ``image``. ``fusion`` picks the variant of a model that
    offers fusions (our shapes model); naming one for a model without fusions is refused."""
    model = choice(model, "The VQA model")
    spec = server.spec_for("vqa", model)
    question = check_question(question)
    require_readable(spec.capabilities, question, spec.name, "question")
    options: dict = {"top_k": whole_number(top_k, "The number of answers", 1)}
    fusion = choice(fusion, "The fusion")
    if fusion:
        fusions = spec.capabilities.fusions
        if not fusions:
            raise BadInputError(
                f"The model {spec.name} has no fusion variants to choose from; a fusion "
                "applies to our shapes model (routed-vqa)."
            )
        if fusion not in fusions:
            raise UnknownNameError("fusion", fusion, fusions)
        options["fusion"] = fusion
    result = server.run("vqa", "answer", image, question, backend=model, **options)
    return dataclasses.replace(result, random_weights=server.is_random("vqa", model))


def sentiment(
    server: ModelServer,
    text: str | None = None,
    image: Image.Image | str | Path | None = None,
    *,
    fusion: str | None = DEFAULT_FUSION,
    text_weight: object = DEFAULT_TEXT_WEIGHT,
) -> FusionResult:
    """Sentiment of a text, an image or both, combined by ``fusion`` (see services.sentiment)."""
    weight = fraction(text_weight, "The text weight", DEFAULT_TEXT_WEIGHT)
    text = optional_text(text, "The text") or None
    fusion = choice(fusion, "The fusion") or DEFAULT_FUSION
    return SentimentFusion(server).analyze(text, image, fusion, weight)
