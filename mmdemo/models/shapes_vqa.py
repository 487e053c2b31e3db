"""A small VQA model for the easy-VQA shapes world, trained here (``mmdemo.training.shapes_vqa``).

Why our own model: it shows the textbook multimodal recipe end to end - a CNN image
encoder, a learned-embedding question encoder, a fusion step and a classifier over the
13 answers - at a size that trains in minutes on a laptop CPU. It only knows images with one
flat-coloured shape on a plain background and ~26 question words, so this module also says
when an image or a question is outside that world (``looks_like_shapes_image``,
``can_answer``) instead of inventing an answer.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from mmdemo.config import PROJECT_ROOT
from mmdemo.errors import BadInputError, ModelLoadError, UnknownNameError
from mmdemo.imaging import _to_rgb  # the project's one "any mode -> RGB" conversion
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec
from mmdemo.types import Scored, VqaResult

log = logging.getLogger(__name__)

FUSIONS = ("concat", "sum", "product", "attention")
DEFAULT_FUSION = "product"  # the best test accuracy in assets/models/shapes_vqa/README.md
WEIGHTS_DIR = PROJECT_ROOT / "assets" / "models" / "shapes_vqa"
IMAGE_SIZE = 64
MAX_QUESTION_CHARS = 500
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
    rgb = _to_rgb(image)
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
    rgb = _to_rgb(image)
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


# -- the network -----------------------------------------------------------------------
class ShapesVqaNet(nn.Module):
    """CNN image encoder + embedding/GRU question encoder + one fusion + an MLP classifier.

    ``forward(images, tokens, lengths, image_index)``: ``image_index[i]`` says which image
    question ``i`` is about, so training encodes each image once for its ~10 questions.
    """

    def __init__(
        self,
        vocab_size: int,
        fusion: str = DEFAULT_FUSION,
        *,
        num_answers: int = len(ANSWERS),
        channels: Sequence[int] = (16, 32, 64),
        extra_convs: int = 1,
        embed_dim: int = 32,
        text_dim: int = 64,
        fused_dim: int = 128,
        hidden_dim: int = 64,
    ):
        super().__init__()
        if fusion not in FUSIONS:
            raise UnknownNameError("fusion", fusion, FUSIONS)
        self.fusion = fusion
        self.config = {
            "vocab_size": int(vocab_size),
            "fusion": fusion,
            "num_answers": int(num_answers),
            "channels": [int(c) for c in channels],
            "extra_convs": int(extra_convs),
            "embed_dim": int(embed_dim),
            "text_dim": int(text_dim),
            "fused_dim": int(fused_dim),
            "hidden_dim": int(hidden_dim),
        }
        layers: list[nn.Module] = []
        previous = 3
        for width in channels:  # 64 -> 32 -> 16 -> 8 pixels
            layers += [
                nn.Conv2d(previous, width, 3, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            previous = width
        for _ in range(extra_convs):  # at 8x8: widens the receptive field to whole shapes
            layers += [
                nn.Conv2d(previous, previous, 3, padding=1, bias=False),
                nn.BatchNorm2d(previous),
                nn.ReLU(inplace=True),
            ]
        self.cnn = nn.Sequential(*layers)
        map_dim = previous
        image_dim = 2 * map_dim  # global average + global max pooling of the map

        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_ID)
        self.gru = nn.GRU(embed_dim, text_dim, batch_first=True)

        if fusion == "concat":
            out_dim = image_dim + text_dim
        elif fusion in ("sum", "product"):
            self.image_proj = nn.Linear(image_dim, fused_dim)
            self.text_proj = nn.Linear(text_dim, fused_dim)
            if fusion == "sum":
                self.sum_weights = nn.Parameter(torch.ones(2))
            out_dim = fused_dim
        else:  # attention: score each map cell against the question, pool, then multiply
            self.att_image = nn.Conv2d(map_dim, fused_dim, 1)
            self.att_text = nn.Linear(text_dim, fused_dim)
            self.att_score = nn.Conv1d(fused_dim, 1, 1)
            self.image_proj = nn.Linear(map_dim, fused_dim)
            self.text_proj = nn.Linear(text_dim, fused_dim)
            out_dim = fused_dim
        self.last_attention: torch.Tensor | None = None
        self.classifier = nn.Sequential(
            nn.Linear(out_dim, hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, num_answers),
        )

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """Float images in [0, 1], (n, 3, 64, 64) -> feature map (n, C, 8, 8)."""
        return self.cnn((images - 0.5) * 4.0)

    def encode_question(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Padded ids (n, L) and lengths (n,) -> the GRU's last real hidden state (n, text_dim)."""
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, hidden = self.gru(packed)
        return hidden[-1]

    def image_side(self, feature_map: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The fusion's question-independent image tensors, computed once per image."""
        if self.fusion == "attention":
            return feature_map.flatten(2), self.att_image(feature_map).flatten(2)
        image = torch.cat([feature_map.mean(dim=(2, 3)), feature_map.amax(dim=(2, 3))], dim=1)
        if self.fusion == "concat":
            return (image,)
        return (self.image_proj(image),)

    def fuse(self, image_side: Sequence[torch.Tensor], text: torch.Tensor) -> torch.Tensor:
        """One fused vector per question from its image's ``image_side`` and its text vector."""
        if self.fusion == "attention":
            cells, keys = image_side  # (n, C, H*W), (n, fused_dim, H*W)
            scores = self.att_score(torch.tanh(keys + self.att_text(text)[:, :, None])).squeeze(1)
            weights = torch.softmax(scores, dim=1)  # how relevant each map cell is to the question
            self.last_attention = weights.detach()  # kept for anyone who wants to draw it
            attended = torch.bmm(cells, weights[:, :, None]).squeeze(2)
            # Combined multiplicatively, like ``product``: with a plain concat here the
            # yes/no questions stalled at 0.93 (the answer is an image-question match).
            return torch.tanh(self.image_proj(attended)) * torch.tanh(self.text_proj(text))
        (image,) = image_side
        if self.fusion == "concat":
            return torch.cat([image, text], dim=1)
        if self.fusion == "sum":
            w = self.sum_weights
            return torch.relu(w[0] * image + w[1] * self.text_proj(text))
        return torch.tanh(image) * torch.tanh(self.text_proj(text))

    def forward(
        self,
        images: torch.Tensor,
        tokens: torch.Tensor,
        lengths: torch.Tensor,
        image_index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Answer logits (n_questions, num_answers)."""
        side = self.image_side(self.encode_image(images))
        if image_index is not None:
            side = tuple(t.index_select(0, image_index) for t in side)
        return self.classifier(self.fuse(side, self.encode_question(tokens, lengths)))


# -- the backend -----------------------------------------------------------------------
class ShapesVqa(Backend):
    """Answers a question about one easy-VQA-style image, or says why it cannot."""

    task = "vqa"

    def __init__(self, spec, net, vocab, answers, device, dtype, model_label, test_accuracy):
        super().__init__(spec, device, dtype, model_label=model_label)
        self.net = net.eval()
        self.vocab = vocab
        self.answers = tuple(answers)
        self.fusion = net.fusion
        self.test_accuracy = test_accuracy

    def modules(self) -> list[torch.nn.Module]:
        return [self.net]

    def can_answer(self, question: str) -> bool:
        return can_answer(question, self.vocab)

    def answer(self, image: Image.Image, question: str, top_k: int = 5) -> VqaResult:
        """Top-k answers with probabilities; ``answered=False`` for out-of-world questions."""
        if not isinstance(question, str) or not question.strip():
            raise BadInputError("Type a question about the image (e.g. 'what shape is this?').")
        if len(question) > MAX_QUESTION_CHARS:
            raise BadInputError(
                f"The question is {len(question)} characters long; the limit is "
                f"{MAX_QUESTION_CHARS}. Ask one short question about the shape."
            )
        if not isinstance(image, Image.Image):
            raise BadInputError("Give an image (a PIL image) to ask the question about.")
        if not self.can_answer(question):
            return VqaResult(
                (), False, self.model_label, unanswerable_message(question, self.vocab)
            )
        tokens, lengths = self.vocab.encode_batch([question])
        pixels = preprocess_image(image)[None]
        with torch.inference_mode():
            logits = self.net(self.to_device(pixels), self.to_device(tokens), lengths)
        probs = torch.softmax(logits.float(), dim=-1)[0].cpu()
        k = max(1, min(int(top_k), len(self.answers)))
        top = torch.topk(probs, k)
        answers = tuple(
            Scored(self.answers[int(i)], float(p))
            for p, i in zip(top.values, top.indices, strict=True)
        )
        message = ""
        if not looks_like_shapes_image(image):
            message = (
                "This image does not look like an easy-VQA shapes image (one flat shape on a "
                "plain background); this model has seen nothing else, so treat the answer as "
                "a guess."
            )
        return VqaResult(answers, True, self.model_label, message)


def _retrain_hint(fusion: str) -> str:
    return (
        f"Retrain it with: python -m mmdemo train shapes-vqa --fusion {fusion} "
        f"(2-3 minutes on a 2-core CPU; writes {WEIGHTS_DIR / f'shapes_vqa_{fusion}.pt'})."
    )


def read_checkpoint(path: Path, fusion: str) -> dict[str, Any]:
    """A checkpoint dict from ``path``, or ModelLoadError naming the file and how to rebuild it."""
    label = f"shapes-vqa ({fusion})"
    if not path.is_file():
        raise ModelLoadError(
            label, f"the weights file {path} does not exist", _retrain_hint(fusion)
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and torch each fail differently on a broken file
        detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        raise ModelLoadError(
            label,
            f"the weights file {path} is unreadable ({type(err).__name__}: {detail})",
            _retrain_hint(fusion),
        ) from err
    needed = ("state_dict", "vocab", "answers", "config", "fusion")
    if not isinstance(checkpoint, dict) or any(key not in checkpoint for key in needed):
        raise ModelLoadError(
            label, f"{path} is not a shapes-vqa checkpoint (missing keys)", _retrain_hint(fusion)
        )
    return checkpoint


def build_from_checkpoint(
    checkpoint: dict[str, Any], label: str
) -> tuple[ShapesVqaNet, Vocabulary]:
    """The net (fp32, CPU, eval) and vocabulary a checkpoint describes."""
    config = dict(checkpoint["config"])
    fusion = config.pop("fusion", checkpoint["fusion"])
    try:
        vocab = Vocabulary.from_saved(checkpoint["vocab"])
        net = ShapesVqaNet(config.pop("vocab_size"), fusion, **config)
        net.load_state_dict(checkpoint["state_dict"], strict=True)
    except Exception as err:
        raise ModelLoadError(
            label,
            f"the checkpoint does not fit the model ({type(err).__name__}: {err})"[:300],
            _retrain_hint(fusion),
        ) from err
    if len(vocab) != net.config["vocab_size"]:
        raise ModelLoadError(label, "the vocabulary does not fit the model", _retrain_hint(fusion))
    return net.eval(), vocab


def load(spec: BackendSpec, ctx: LoadContext) -> ShapesVqa:
    """Loader named by the registry; option ``fusion`` (or ``weights``, a path) picks the file."""
    started = time.perf_counter()
    fusion = spec.option("fusion", DEFAULT_FUSION)
    if fusion not in FUSIONS:
        raise UnknownNameError("shapes-vqa fusion", fusion, FUSIONS)
    path = Path(spec.option("weights") or WEIGHTS_DIR / f"shapes_vqa_{fusion}.pt")
    label = f"shapes-vqa ({fusion})"
    checkpoint = read_checkpoint(path, fusion)
    if checkpoint["fusion"] != fusion:
        raise ModelLoadError(
            label, f"{path} holds the {checkpoint['fusion']!r} fusion", _retrain_hint(fusion)
        )
    net, vocab = build_from_checkpoint(checkpoint, label)
    # Tiny model: fp32 on CPU (half precision there is slower, not faster).
    dtype = ctx.dtype if ctx.device.type == "cuda" else torch.float32
    net = net.to(ctx.device, dtype)
    accuracy = checkpoint.get("test_accuracy")
    acc_text = f", easy-VQA test acc {accuracy:.3f}" if isinstance(accuracy, float) else ""
    backend = ShapesVqa(
        spec,
        net,
        vocab,
        checkpoint["answers"],
        ctx.device,
        dtype,
        model_label=f"shapes-vqa ({fusion} fusion{acc_text})",
        test_accuracy=accuracy,
    )
    backend.load_seconds = time.perf_counter() - started
    log.info("Loaded %s from %s in %.2fs", backend.model_label, path, backend.load_seconds)
    return backend
