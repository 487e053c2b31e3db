"""VQA for ordinary photos without a VQA model: answers ranked in the shared embedding space.

Why so narrow: with only a classifier and a shared space, two kinds of question have
honest answers - "what is this?" (the classifier's classes) and "is there a X?". For the
latter a raw similarity means little (a grey or ambiguous image is close to *every*
"a photo of a ..." prompt), so "X" is scored against the same image's similarity to the
1000 ImageNet class prompts: a z-score, i.e. "does X stand out for this image?".
Everything else ("how many", "what colour", "why", ...) gets a plain "can't answer this
kind of question", never a guess dressed up as an answer.

Chinese questions (这是什么 / 有没有X / 这是X吗, parsed in ``models.shared.zh_questions``)
get the same two kinds of answer in Chinese: class names from ``imagenet_zh.txt`` and
有/没有 or 是/不是 by the same z-score. A Chinese X that is an ImageNet class's Chinese name
is scored as that class (exact, and needs no text encoder that reads Chinese); any other X
is embedded as "一张X的照片。" when the embedder reads Chinese, else matched by its head
noun against the Chinese class names (虎斑猫 and 波斯猫 are kinds of 猫); if even that finds
nothing, the answer says the models cannot read the word. Served alone
(``MMDEMO_BACKENDS=vqa=photo-vqa``) or behind the routed VQA, which sends shapes images to
our shapes model and photos here.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mmdemo.core.i18n import has_cjk
from mmdemo.core.results import Scored, VqaResult
from mmdemo.core.text import check_question
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import ANY, BackendSpec, Capabilities
from mmdemo.models.shared.class_scores import ClassScorer
from mmdemo.models.shared.imagenet import chinese_name, imagenet_classes
from mmdemo.models.shared.text_cache import cached_text_vectors
from mmdemo.models.shared.zh_questions import classes_named, classes_of_kind, parse_zh

WHAT_IS = re.compile(
    r"^(what|which)( kind of| type of| sort of)?"
    r"( object| animal| thing| things| objects| animals| food| plant| vehicle| building)?"
    r"( is| are|'s)( this| that| it| these| those| there| shown| in (the|this) "
    r"(image|picture|photo|photograph))?( in (the|this) (image|picture|photo|photograph))?$"
    r"|^what (do|can) (you|i) see( in (the|this) (image|picture|photo))?$"
    r"|^(describe|identify) (this|the image|the picture|the photo|it)$"
)
IS_THERE = re.compile(
    r"^(is there|are there|is this|is that|is it|does (the|this) (image|picture|photo) "
    r"(contain|show|have)|do you see|can you see)\s+(an?\s+|any\s+|some\s+|the\s+)?"
    r"(?P<thing>.+?)(\s+in (the|this) (image|picture|photo))?$"
)
CAN_ANSWER = (
    'The lite photo VQA can answer "what is this?" (which objects the ImageNet classifier '
    'sees) and "is there a …?" / "is this a …?" (does the image match that object). '
)
# P(yes) = sigmoid((z - Z_MIDPOINT) / Z_SLOPE). Measured on the gallery with 24 objects x 16
# photos (docs/quality.md): z >= 2.5 had no false "yes"; z around 2 is a coin toss.
Z_MIDPOINT, Z_SLOPE = 2.0, 0.5
LOW_CONFIDENCE = 0.25
# What parse_question can answer, on any image (declared for the Ask tab's suggestions).
QUESTION_KINDS = ((ANY, ("what", "is_there")),)
# Languages the questions may be asked in (and are answered in).
LANGUAGES = ("en", "zh")
ZH_PROMPT = "一张{thing}的照片。"
# A word read as k classes (猫: 7 of them) is scored by the best of k z-scores, which stands
# out by chance more often than one: the expected best of k independent normals is about
# sqrt(2 ln k); classes of one kind move together, so half of it is taken off. Chosen on the
# gallery (tuning split): false yes 16 -> 2 of 169 pairs, true yes 4 -> 3 of 7 (quality.md).
GROUP_PENALTY = 0.5
# The Chinese replies (a Chinese question is answered in Chinese: the answer is content, not
# a package message; the English replies have their templates in core/locales/zh_vqa.py).
ZH_CAN_ANSWER = (
    "轻量照片问答能回答“这是什么？”（ImageNet 分类器看到了哪些东西）和“有没有……？”/"
    "“这是……吗？”（图像是否与该物体相符）。"
)
ZH_CANNOT = "轻量模型回答不了这类问题。" + ZH_CAN_ANSWER
ZH_WHAT = "答案是 ImageNet 的类别。"
ZH_LOW = "把握不大：图中的东西可能不在 ImageNet 的类别里。"
ZH_WORDS = {"there": ("有", "没有"), "identity": ("是", "不是")}


@dataclass(frozen=True)
class ParsedQuestion:
    kind: str  # "what" | "is_there" | "unsupported"
    thing: str = ""
    language: str = "en"  # the question's language, which the answer is given in
    form: str = "there"  # Chinese yes/no words: "there" (有/没有) or "identity" (是/不是)


def parse_question(question: str) -> ParsedQuestion:
    """Classify the question into a kind this model can answer (or not), in its language.

    English patterns are tried first, so "is there a 猫?" is an English question about a
    Chinese word; any other question with Chinese in it goes to the Chinese parser."""
    checked = check_question(question)
    text = checked.lower().rstrip("?？.。!！ ")
    if WHAT_IS.match(text):
        return ParsedQuestion("what")
    match = IS_THERE.match(text)
    if match and match.group("thing").strip():
        return ParsedQuestion("is_there", match.group("thing").strip())
    if has_cjk(checked):
        zh = parse_zh(checked)
        return ParsedQuestion(zh.kind, zh.thing, "zh", zh.form)
    return ParsedQuestion("unsupported")


@dataclass(frozen=True)
class ThingScore:
    """How much a thing stands out for an image, and how the thing was understood."""

    p_yes: float
    z: float
    classes: tuple[str, ...] = ()  # the ImageNet classes it was scored as (empty: embedded)


class PhotoVqa(Backend):
    """Answers "what is this?" and "is there a ...?" about a photo in the shared space."""

    task = "vqa"

    def __init__(self, spec: BackendSpec, embedder, cache_dir=None):
        super().__init__(
            spec,
            embedder.device,
            embedder.dtype,
            model_label=f"similarity in the shared space of {embedder.model_id}",
        )
        self.embedder = embedder
        self.scorer = ClassScorer(embedder, cache_dir)
        self.cache_dir = cache_dir
        self._zh_background: np.ndarray | None = None
        self._zh_lock = threading.Lock()

    def zh_background(self) -> np.ndarray:
        """The 1000 class prompts in Chinese ("一张虎斑猫的照片。"), embedded once and cached:
        a Chinese query is judged against Chinese prompts, as an English one against English
        ones (against the English prompts a Chinese query stood out far too often)."""
        with self._zh_lock:
            if self._zh_background is None:
                self._zh_background = cached_text_vectors(
                    self.embedder.embed_texts,
                    [ZH_PROMPT.format(thing=c.name_zh) for c in imagenet_classes()],
                    self.embedder.model_id,
                    self.cache_dir,
                )
        return self._zh_background

    @property
    def reads_chinese(self) -> bool:
        """Whether the embedder's text encoder reads Chinese (its declared languages)."""
        spec = getattr(self.embedder, "spec", None)
        languages = spec.capabilities.languages if spec is not None else ("en",)
        return ANY in languages or "zh" in languages

    def is_there(self, image: Image.Image, thing: str) -> tuple[float, float]:
        """(P(yes), z-score) for "is there a ``thing``": how much it stands out for the image."""
        score = self.score_thing(image, thing)
        if score is None:
            return 0.0, float("-inf")
        return score.p_yes, score.z

    def score_thing(self, image: Image.Image, thing: str) -> ThingScore | None:
        """The z-score of ``thing`` against the 1000 class prompts for this image; None for a
        Chinese word the models cannot read (no class name, no Chinese text encoder)."""
        _, background = self.scorer.prompt_table()
        image_vector = self.embedder.embed_images([image])[0]
        classes: tuple[int, ...] = ()
        chinese = has_cjk(thing)
        if chinese:
            classes = classes_named(thing)
            if not classes and not self.reads_chinese:
                classes = classes_of_kind(thing)
                if not classes:
                    return None
        if chinese and not classes:  # embedded, and judged against the Chinese prompts
            background = self.zh_background()
        reference = background @ image_vector
        mean, std = float(reference.mean()), max(float(reference.std()), 1e-6)
        if classes:  # a class prompt is a row of the background: no text to embed
            best = float(np.max(reference[list(classes)]))
            z = (best - mean) / std - GROUP_PENALTY * math.sqrt(2.0 * math.log(len(classes)))
            names = imagenet_classes()
            understood = tuple(names[i].name for i in classes)
        else:
            prompt = ZH_PROMPT.format(thing=thing) if chinese else f"a photo of a {thing}."
            similarity = float(self.embedder.embed_texts([prompt])[0] @ image_vector)
            z = (similarity - mean) / std
            understood = ()
        return ThingScore(1.0 / (1.0 + math.exp(-(z - Z_MIDPOINT) / Z_SLOPE)), z, understood)

    def answer(self, image: Image.Image, question: str, top_k: int = 5) -> VqaResult:
        parsed = parse_question(question)
        zh = parsed.language == "zh"
        if parsed.kind == "what":
            labels = self.scorer.top(image, top_k)
            low = bool(labels) and labels[0].probability < LOW_CONFIDENCE
            if zh:
                labels = [Scored(chinese_name(s.label), s.probability) for s in labels]
                message = ZH_WHAT + (ZH_LOW if low else "")
            else:
                message = "Answers are ImageNet classes."
                if low:
                    message += (
                        " Low confidence: the image may show something ImageNet has no class for."
                    )
            return VqaResult(tuple(labels), True, self.model_label, message)
        if parsed.kind == "is_there":
            score = self.score_thing(image, parsed.thing)
            if score is None:
                return VqaResult((), False, self.model_label, self._unreadable(parsed))
            yes, no = ZH_WORDS[parsed.form] if zh else ("yes", "no")
            answers = sorted(
                (Scored(yes, score.p_yes), Scored(no, 1.0 - score.p_yes)),
                key=lambda s: s.probability,
                reverse=True,
            )
            message = self._thing_note(parsed, score, yes, no)
            return VqaResult(tuple(answers), True, self.model_label, message)
        if zh:
            return VqaResult((), False, self.model_label, ZH_CANNOT)
        return VqaResult(
            (),
            False,
            self.model_label,
            "Can't answer this kind of question with the lite models. " + CAN_ANSWER,
        )

    @staticmethod
    def _thing_note(parsed: ParsedQuestion, score: ThingScore, yes: str, no: str) -> str:
        """What the yes/no rests on: the z-score, and the classes a Chinese word was read as."""
        shown = ", ".join(score.classes[:5]) + ("…" if len(score.classes) > 5 else "")
        if parsed.language == "zh":
            note = (
                f"“{parsed.thing}”在这张图上的突出程度为 z = {score.z:.1f}（与 1000 个 "
                f"ImageNet 类别相比；约 2 以上答“{yes}”）。答“{no}”也可能是因为模型不认识它。"
            )
            if score.classes:
                zh_names = "、".join(chinese_name(c) for c in score.classes[:5])
                note += f"“{parsed.thing}”按 ImageNet 类别判断：{zh_names}" + (
                    "等。" if len(score.classes) > 5 else "。"
                )
            return note
        note = (
            f'"{parsed.thing}" stands out for this image by z = {score.z:.1f} against the 1000 '
            'ImageNet classes (yes from about 2). A "no" can also mean the models have '
            "no notion of it."
        )
        if score.classes:
            note += f' "{parsed.thing}" was read as the ImageNet classes: {shown}.'
        return note

    @staticmethod
    def _unreadable(parsed: ParsedQuestion) -> str:
        if parsed.language == "zh":
            return (
                f"轻量模型读不懂“{parsed.thing}”：它不是任何 ImageNet 类别的中文名，而文本编码器"
                "只读英文。请换一个说法（例如“有没有猫？”），或用英文提问（is there a …?）。"
            )
        return (
            f'The lite models cannot read "{parsed.thing}": it is no ImageNet class\'s Chinese '
            "name, and the text encoder reads English only. Use another word, or ask in English."
        )


def load(spec: BackendSpec, ctx: LoadContext) -> PhotoVqa:
    return PhotoVqa(spec, ctx.get("embed"), ctx.settings.cache_dir)


SPECS = (
    BackendSpec(
        task="vqa",
        name="photo-vqa",
        load=load,
        label="Similarity answers for photos (what is this? / is there a ...?)",
        description="answers ranked in the shared image-text space: what is this? and is "
        "there a ...?; other questions are declined",
        needs=("embed",),
        capabilities=Capabilities(languages=LANGUAGES, question_kinds=QUESTION_KINDS),
    ),
)
