"""The shapes-VQA network, its checkpoints, and answering one question with it.

Why our own model: it shows the textbook multimodal recipe end to end - a CNN image
encoder, a learned-embedding question encoder, a fusion step and a classifier over the
13 answers - at a size that trains in minutes on a laptop CPU (``mmdemo.training``). Shared
by the shapes-VQA backend and the routed VQA (which holds one model per fusion), and by the
training code. It says when an image or a question is outside its world instead of
inventing an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import nn

from mmdemo.core.errors import BadInputError, ModelLoadError, UnknownNameError
from mmdemo.core.results import Scored, VqaResult
from mmdemo.core.text import check_question
from mmdemo.models.shared.shapes_world import (
    ANSWERS,
    DEFAULT_FUSION,
    FUSIONS,
    PAD_ID,
    Vocabulary,
    can_answer,
    looks_like_shapes_image,
    preprocess_image,
    unanswerable_message,
)

log = logging.getLogger(__name__)


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


class ShapesModel:
    """One trained fusion variant: answers a question about an easy-VQA-style image."""

    def __init__(self, net: ShapesVqaNet, vocab: Vocabulary, answers, model_label, test_accuracy):
        self.net = net.eval()
        self.vocab = vocab
        self.answers = tuple(answers)
        self.fusion = net.fusion
        self.model_label = model_label
        self.test_accuracy = test_accuracy
        parameter = next(net.parameters())
        self.device, self.dtype = parameter.device, parameter.dtype

    def can_answer(self, question: str) -> bool:
        return can_answer(question, self.vocab)

    def answer(self, image: Image.Image, question: str, top_k: int = 5) -> VqaResult:
        """Top-k answers with probabilities; ``answered=False`` for out-of-world questions."""
        question = check_question(question)
        if not isinstance(image, Image.Image):
            raise BadInputError("Give an image (a PIL image) to ask the question about.")
        if not self.can_answer(question):
            return VqaResult(
                (), False, self.model_label, unanswerable_message(question, self.vocab)
            )
        tokens, lengths = self.vocab.encode_batch([question])
        pixels = preprocess_image(image)[None].to(self.device, self.dtype)
        with torch.inference_mode():
            logits = self.net(pixels, tokens.to(self.device), lengths)
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


# -- checkpoints ---------------------------------------------------------------------------
def weights_path(weights_dir: Path, fusion: str) -> Path:
    return Path(weights_dir) / f"shapes_vqa_{fusion}.pt"


def retrain_hint(fusion: str, path: Path | None = None) -> str:
    where = f"; writes {path}" if path is not None else ""
    return (
        f"Retrain it with: python -m mmdemo train shapes-vqa --fusion {fusion} "
        f"(2-3 minutes on a 2-core CPU{where})."
    )


def read_checkpoint(path: Path, fusion: str) -> dict[str, Any]:
    """A checkpoint dict from ``path``, or ModelLoadError naming the file and how to rebuild it."""
    label = f"shapes-vqa ({fusion})"
    hint = retrain_hint(fusion, path)
    if not path.is_file():
        raise ModelLoadError(label, f"the weights file {path} does not exist", hint)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and torch each fail differently on a broken file
        detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        raise ModelLoadError(
            label, f"the weights file {path} is unreadable ({type(err).__name__}: {detail})", hint
        ) from err
    needed = ("state_dict", "vocab", "answers", "config", "fusion")
    if not isinstance(checkpoint, dict) or any(key not in checkpoint for key in needed):
        raise ModelLoadError(label, f"{path} is not a shapes-vqa checkpoint (missing keys)", hint)
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
            retrain_hint(fusion),
        ) from err
    if len(vocab) != net.config["vocab_size"]:
        raise ModelLoadError(label, "the vocabulary does not fit the model", retrain_hint(fusion))
    return net.eval(), vocab


def load_shapes_model(path: Path, fusion: str, device: torch.device, dtype) -> ShapesModel:
    """The ``fusion`` variant from its checkpoint file, on ``device``.

    A tiny model: fp32 on CPU (half precision there is slower, not faster).
    """
    if fusion not in FUSIONS:
        raise UnknownNameError("shapes-vqa fusion", fusion, FUSIONS)
    label = f"shapes-vqa ({fusion})"
    checkpoint = read_checkpoint(path, fusion)
    if checkpoint["fusion"] != fusion:
        raise ModelLoadError(
            label,
            f"{path} holds the {checkpoint['fusion']!r} fusion",
            retrain_hint(fusion, path),
        )
    net, vocab = build_from_checkpoint(checkpoint, label)
    dtype = dtype if device.type == "cuda" else torch.float32
    accuracy = checkpoint.get("test_accuracy")
    acc_text = f", easy-VQA test acc {accuracy:.3f}" if isinstance(accuracy, float) else ""
    model = ShapesModel(
        net.to(device, dtype),
        vocab,
        checkpoint["answers"],
        model_label=f"shapes-vqa ({fusion} fusion{acc_text})",
        test_accuracy=accuracy,
    )
    log.info("Loaded %s from %s", model.model_label, path)
    return model
