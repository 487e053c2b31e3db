"""The easy-VQA shapes world: its answers, its question words, and what its images look like.

Why apart from the model: a router asks "is this image from the shapes world?" and "is this
question about it?" before loading anything (``looks_like_shapes_image``, ``can_answer``),
and training and answering encode questions and images the same way. The world: one
flat-coloured circle, rectangle or triangle on a plain background, ~26 question words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import torch
from PIL import Image

from mmdemo.core.imaging import to_rgb  # the project's one "any mode -> RGB" conversion

FUSIONS = ("concat", "sum", "product", "attention")
DEFAULT_FUSION = "product"  # the best test accuracy in assets/models/shapes_vqa/README.md
IMAGE_SIZE = 64
PAD_ID, UNK_ID = 0, 1
PAD, UNK = "<pad>", "<unk>"

# easy-VQA's answers, in the order of its answers.txt (the checkpoint stores its own copy).
ANSWERS = (
    "circle", "green", "red", "gray", "yes", "teal", "black",
    "rectangle", "yellow", "triangle", "brown", "blue", "no",
)  # fmt: skip
SHAPE_WORDS = frozenset({"circle", "rectangle", "triangle"})
COLOUR_WORDS = frozenset({"red", "green", "blue", "yellow", "teal", "brown", "black", "gray"})
# Every word of the 38,575 training questions (a unit test checks this against the data),
# so a router can ask ``can_answer`` without loading the model.
EASY_VQA_WORDS = frozenset(
    {"a", "color", "contain", "does", "image", "in", "is", "no", "not", "of", "present", "shape",
     "the", "there", "what"} | SHAPE_WORDS | COLOUR_WORDS
)  # fmt: skip
# A question must name a shape, a colour, or ask for one, to be about this world at all.
ANCHOR_WORDS = SHAPE_WORDS | COLOUR_WORDS | {"shape", "color"}
# Spellings users type that mean a training word; applied before the vocabulary lookup.
SYNONYMS = {
    "colour": "color", "grey": "gray", "picture": "image", "photo": "image", "pic": "image",
    "an": "a", "this": "the", "that": "the", "circles": "circle", "rectangles": "rectangle",
    "triangles": "triangle", "shapes": "shape", "which": "what", "contains": "contain",
}  # fmt: skip
# Words that carry no meaning here: dropped rather than counted as unknown.
FILLERS = frozenset({"please", "any", "some", "shown", "visible", "here", "you", "can", "see"})

CAPABILITIES = (
    "This model only knows the easy-VQA shapes world (one circle, rectangle or triangle in "
    "red, green, blue, yellow, teal, brown, black or gray on a plain background). It can "
    "answer: what shape is in the image? / what color is the shape (or the circle...)? / "
    "what is the red shape? / is there a triangle (a blue shape)? / does the image contain "
    "a circle? / is no rectangle present? (answers: a shape, a colour, yes or no)"
)


# -- questions -------------------------------------------------------------------------
def tokenize(question: str) -> list[str]:
    """Lower-case words without punctuation, with common variants mapped to training words."""
    words = re.findall(r"[a-z0-9]+", question.lower())
    return [SYNONYMS.get(w, w) for w in words if w not in FILLERS]


class Vocabulary:
    """Word -> id for the question encoder; id 0 pads, id 1 stands for any unknown word."""

    def __init__(self, words: Iterable[str]):
        ordered = [w for w in words if w not in (PAD, UNK)]
        self.words: list[str] = [PAD, UNK, *sorted(set(ordered))]
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def from_saved(cls, words: Sequence[str]) -> Vocabulary:
        """Exactly the saved word list (ids are positions), checked to start with pad, unk."""
        if list(words[:2]) != [PAD, UNK] or len(set(words)) != len(words):
            raise ValueError("a saved vocabulary starts with <pad>, <unk> and has no repeats")
        vocab = cls(())
        vocab.words = list(words)
        vocab.index = {w: i for i, w in enumerate(vocab.words)}
        return vocab

    @classmethod
    def from_questions(cls, questions: Iterable[str]) -> Vocabulary:
        words: set[str] = set()
        for question in questions:
            words.update(tokenize(question))
        return cls(words)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index and word not in (PAD, UNK)

    def encode(self, question: str) -> list[int]:
        """Token ids (never empty: an all-filler question becomes one unknown token)."""
        return [self.index.get(w, UNK_ID) for w in tokenize(question)] or [UNK_ID]

    def encode_batch(self, questions: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded ids (n, max_len) int64 and the lengths (n,) int64."""
        ids = [self.encode(q) for q in questions]
        lengths = torch.tensor([len(x) for x in ids], dtype=torch.long)
        out = torch.full((len(ids), int(lengths.max()) if ids else 1), PAD_ID, dtype=torch.long)
        for row, seq in enumerate(ids):
            out[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        return out, lengths


def unknown_words(question: str, vocab: Iterable[str] | None = None) -> list[str]:
    """The question's words the model never saw in training (after synonyms and fillers)."""
    known = EASY_VQA_WORDS if vocab is None else vocab
    return [w for w in tokenize(question) if w not in known]


def can_answer(question: str, vocab: Iterable[str] | None = None) -> bool:
    """True if every word is known and one names a shape/colour: else any answer is made up."""
    words = tokenize(question)
    if not words:
        return False
    return not unknown_words(question, vocab) and any(w in ANCHOR_WORDS for w in words)


def unanswerable_message(question: str, vocab: Iterable[str] | None = None) -> str:
    """Why the model declines ``question``, and what it can be asked instead."""
    unknown = sorted(set(unknown_words(question, vocab)))
    if unknown:
        why = "The question uses words this model never learned: " + ", ".join(unknown) + "."
    else:
        why = "The question does not ask about a shape or a colour."
    return f"{why} {CAPABILITIES}"


# -- images ----------------------------------------------------------------------------
def preprocess_image(image: Image.Image) -> torch.Tensor:
    """Any PIL image (mode, size) -> float (3, 64, 64) in [0, 1], as the training data was."""
    rgb = to_rgb(image)
    if rgb.size != (IMAGE_SIZE, IMAGE_SIZE):
        rgb = rgb.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)
    array = np.asarray(rgb, dtype=np.uint8).copy()
    return torch.from_numpy(array).permute(2, 0, 1).float().div_(255.0)


def looks_like_shapes_image(image: Image.Image) -> bool:
    """Cheap check that ``image`` is from the easy-VQA world (so a router can send photos on).

    Measured at 64x64 with colours quantised to 16 levels per channel: the two most common
    colours (background + shape) cover >= 92% of pixels (every easy-VQA image: >= 93.9%;
    gallery photos: <= 89%), the background bin is flat (pixel std <= 2; photos 2.7+),
    it fills >= 70% of the border, the shape covers 0.5%..50%, and few colours are common.
    """
    rgb = to_rgb(image)
    if rgb.size != (IMAGE_SIZE, IMAGE_SIZE):
        rgb = rgb.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)
    pixels = np.asarray(rgb, dtype=np.int32).reshape(-1, 3)
    quant = pixels // 16
    keys = quant[:, 0] * 256 + quant[:, 1] * 16 + quant[:, 2]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.argsort(counts)[::-1]
    shares = counts[order] / keys.size
    if len(shares) < 2:
        return False  # one flat colour: no shape at all
    background = inverse.reshape(-1) == order[0]
    border = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=bool)
    border[[0, -1], :] = True
    border[:, [0, -1]] = True
    return bool(
        shares[:2].sum() >= 0.92
        and pixels[background].std(axis=0).max() <= 2.0
        and background.reshape(IMAGE_SIZE, IMAGE_SIZE)[border].mean() >= 0.7
        and 0.005 <= 1.0 - shares[0] <= 0.5
        and int((shares > 0.005).sum()) <= 8
    )
