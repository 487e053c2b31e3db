"""open_clip embedders: images and texts into one L2-normalised vector space.

Shared by every open_clip backend file (``backends/openclip_embed.py`` and any other
architecture): each declares its specs (architecture, pretrained tag, thresholds) and calls
``load_openclip`` and ``openclip_hub_files`` from here. ``full`` resolves its pretrained tag
to a local checkpoint file first (cache or hub) and then loads that file, exactly as a test
loads a randomly initialised checkpoint it saved. A text tower from transformers (XLM-R and
other multilingual towers) is loaded from a local folder too, never by hub name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import ModelLoadError, UnknownNameError
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.hub.files import (
    OFFLINE_HINT,
    HubWeights,
    hub_reachable,
    resolve,
    snapshot_folder,
)
from mmdemo.models.registry import BackendSpec

log = logging.getLogger(__name__)

_CONFIG_DIR = Path(__file__).with_name("openclip_configs")
_DEFAULT_HUB_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
MAX_TEXT_CHARS = 2000  # the tokenizer truncates to 77 tokens anyway; this bounds the BPE work
_configs_registered = False


def register_configs(extra: Path | None = None) -> None:
    """Teach open_clip our own architectures (tiny test models): the shipped ones once per
    process, plus ``extra`` (a config file a backend wrote, e.g. into its tiny folder)."""
    global _configs_registered
    import open_clip

    if not _configs_registered:
        open_clip.add_model_config(_CONFIG_DIR)
        _configs_registered = True
    if extra is not None:
        open_clip.add_model_config(extra)


class OpenClipEmbedder(Backend):
    """Embeds images and texts; vectors are float32, L2-normalised, shape (n, dim)."""

    task = "embed"

    def __init__(self, spec, model, transform, tokenizer, device, dtype, model_id, thresholds):
        super().__init__(spec, device, dtype, model_label=model_id)
        self.model = model.eval()
        self.transform = transform
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.thresholds = dict(thresholds)
        self.dim = int(model.visual.output_dim)
        self.logit_scale = float(model.logit_scale.exp().item())
        self.batch_size = 32

    def modules(self) -> list[torch.nn.Module]:
        return [self.model]

    # -- images ------------------------------------------------------------------------
    def preprocess_image(self, image: Image.Image) -> torch.Tensor:
        """RGB PIL image -> CPU float tensor (3, H, W). Stateless, so worker threads may call it."""
        return self.transform(image)

    def embed_image_tensors(self, batch: torch.Tensor) -> np.ndarray:
        """A stacked batch from ``preprocess_image`` -> normalised vectors (the device hot path)."""
        with torch.inference_mode():
            features = self.model.encode_image(self.to_device(batch))
        return _normalise(features)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        rows = self.run_batched(
            list(images),
            self.batch_size,
            preprocess=lambda chunk: torch.stack([self.preprocess_image(im) for im in chunk]),
            forward=self.model.encode_image,
            postprocess=lambda out: list(_normalise(out)),
        )
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)

    # -- texts -------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """Token ids (n, context_length); over-long texts are truncated, never rejected."""
        return self.tokenizer([t[:MAX_TEXT_CHARS] for t in texts])

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        rows = self.run_batched(
            list(texts),
            self.batch_size,
            preprocess=self.tokenize,
            forward=self.model.encode_text,
            postprocess=lambda out: list(_normalise(out)),
        )
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)

    # -- "why this match" ----------------------------------------------------------------
    @property
    def explains(self) -> str:
        """The spec's declared method, else attention relevancy when the tower is a plain ViT."""
        from mmdemo.models.shared import explain_vit

        if self.spec.capabilities.explains:
            return self.spec.capabilities.explains
        try:
            explain_vit.check_vit(self.model.visual)
        except explain_vit.NotExplainable:
            return ""
        return explain_vit.METHOD

    def explain(self, image: Image.Image, query: str, *, baseline: bool = False):
        """Where ``query`` matched in ``image``: Chefer relevancy over the ViT's patches
        (``baseline``: raw patch-token similarity); the score is the search's cosine."""
        from mmdemo.core.explain_results import ExplainResult
        from mmdemo.models.shared import explain_vit

        visual = self.model.visual
        text = torch.from_numpy(self.embed_texts([query])[0])
        height, width = visual.image_size
        mean, std = _normalisation(self.transform)
        pixels = self.to_device(explain_vit.whole_view(image, (width, height), mean, std)[None])
        how = explain_vit.patch_similarity if baseline else explain_vit.relevancy
        grid, _ = how(visual, pixels, text.to(self.device))
        score = float(self.embed_images([image])[0] @ text.numpy())
        method = explain_vit.BASELINE if baseline else explain_vit.METHOD
        return ExplainResult.of(grid, method, score, self.spec.name, query=query)


def _normalisation(transform) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The mean and std of an eval transform's ``Normalize`` (open_clip's; OpenAI's if none)."""
    for step in getattr(transform, "transforms", ()):
        if hasattr(step, "mean") and hasattr(step, "std"):
            return tuple(step.mean), tuple(step.std)
    from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

    return OPENAI_DATASET_MEAN, OPENAI_DATASET_STD


def _normalise(features: torch.Tensor) -> np.ndarray:
    return F.normalize(features.float(), dim=-1).cpu().numpy().astype(np.float32, copy=False)


_CHECKPOINT_SUFFIXES = (".pt", ".bin", ".safetensors", ".pth")


def _is_file_reference(pretrained: str) -> bool:
    """True when ``pretrained`` names a checkpoint file rather than an open_clip tag."""
    return (
        os.path.isfile(pretrained)
        or os.sep in pretrained
        or pretrained.endswith(_CHECKPOINT_SUFFIXES)
    )


def model_choice(spec: BackendSpec, settings: Settings) -> tuple[str, str | None]:
    """(arch, pretrained) for ``spec``: settings may override a real (non-random) preset's."""
    arch = spec.option("arch")
    pretrained = spec.option("pretrained")
    if not spec.is_random:
        arch = settings.clip_model or arch
        pretrained = settings.clip_pretrained or pretrained
    return arch, pretrained


def _hub_location(
    arch: str, pretrained: str, hub: str | None
) -> tuple[str, tuple[str, ...]] | None:
    """(repo_id, alternative filenames) holding a pretrained tag's weights; None if URL-only.

    One place for open_clip's naming, so loading and the ``download`` command agree. ``hub``
    is open_clip's own "hf_hub" entry for the tag when a spec carries it (so the start-up
    check of ``MMDEMO_PRESET=auto`` needs no open_clip import, ~5 s on 2 cores; a unit test
    keeps every spec's copy equal to open_clip's table); else open_clip is asked.
    """
    if hub is None:
        import open_clip

        cfg = open_clip.get_pretrained_cfg(arch, pretrained)
        if not cfg:
            raise UnknownNameError(
                f"pretrained tag for {arch}",
                pretrained,
                open_clip.list_pretrained_tags_by_model(arch),
            )
        hub = cfg.get("hf_hub", "")
    if not hub:
        return None
    # open_clip's convention: "org/repo/" means the repo's default weight files.
    if hub.endswith("/"):
        return hub.rstrip("/"), _DEFAULT_HUB_FILES
    repo_id, filename = os.path.split(hub)
    return repo_id, (filename,)


def checkpoint_weights(
    arch: str, pretrained: str | None, hub: str | None = None
) -> HubWeights | None:
    """The hub file holding a pretrained tag's checkpoint (None: random, local file or URL)."""
    if pretrained is None or _is_file_reference(pretrained):
        return None  # random init or a local file: nothing to download
    location = _hub_location(arch, pretrained, hub)
    if location is None:
        log.warning(
            "open_clip %s/%s is downloaded from a URL, not the hub; it cannot be prefetched",
            arch,
            pretrained,
        )
        return None
    repo_id, names = location
    return HubWeights(repo_id, names, label=f"open_clip {arch}/{pretrained}")


def _known_hub(spec: BackendSpec, arch: str, pretrained: str | None) -> str | None:
    """The spec's copy of open_clip's hf_hub entry, unless settings changed the model."""
    same = (arch, pretrained) == (spec.option("arch"), spec.option("pretrained"))
    return spec.option("hub") if same else None


def openclip_hub_files(spec: BackendSpec, settings: Settings) -> list[HubWeights]:
    """``BackendSpec.hub_files`` of an open_clip backend: its checkpoint (and text tower)."""
    if spec.is_random:
        return []
    arch, pretrained = model_choice(spec, settings)
    checkpoint = checkpoint_weights(arch, pretrained, _known_hub(spec, arch, pretrained))
    return [w for w in (checkpoint, text_tower_weights(spec)) if w]


def text_tower_weights(spec: BackendSpec) -> HubWeights | None:
    """The transformers folder (config + tokenizer) of a hub text tower, named by the spec's
    ``text_repo`` option; open_clip would otherwise fetch it by name at every start."""
    repo = spec.option("text_repo")
    if spec.is_random or not repo:
        return None
    patterns = tuple(spec.option("text_patterns") or ("*.json", "*.model", "*.txt"))
    return HubWeights(repo, patterns=patterns, label=f"{repo} (text tower)", needs_weights=False)


def resolve_checkpoint(
    arch: str, pretrained: str | None, cache_dir: Path | None, hub: str | None = None
) -> str | None:
    """A local checkpoint path for ``pretrained`` (a tag or a file), or None for random init."""
    import open_clip

    label = f"open_clip {arch}/{pretrained}"
    if pretrained is None:
        return None
    if os.path.isfile(pretrained):
        return pretrained
    if _is_file_reference(pretrained):
        raise ModelLoadError(
            label,
            f"the checkpoint file {pretrained} does not exist",
            "Check MMDEMO_CLIP_PRETRAINED, or use a pretrained tag.",
        )
    weights = checkpoint_weights(arch, pretrained, hub)
    if weights is not None:
        return str(resolve(weights, cache_dir)[0])
    url = open_clip.get_pretrained_cfg(arch, pretrained).get("url", "")
    target = Path(cache_dir or Path.home() / ".cache" / "clip") / os.path.basename(url)
    if target.is_file():
        return str(target)
    if not hub_reachable():
        raise ModelLoadError(
            label, "its weights are not cached and cannot be downloaded", OFFLINE_HINT
        )
    try:
        return open_clip.pretrained.download_pretrained_from_url(url, cache_dir=cache_dir)
    except Exception as err:
        raise ModelLoadError(label, f"downloading {url} failed ({err})", OFFLINE_HINT) from err


def build_openclip(
    arch: str,
    checkpoint: str | None,
    device: torch.device,
    dtype: torch.dtype,
    *,
    seed: int | None = None,
    image_mean=None,
    image_std=None,
    text_tower: Path | None = None,
):
    """Build (model, eval transform, tokenizer) from an architecture and a local checkpoint.

    ``text_tower`` is a local transformers folder (config + tokenizer) standing in for the
    hub name in the architecture's ``hf_model_name``: the tower is built from its config and
    its weights come with the checkpoint, so nothing is fetched by name.
    """
    import open_clip

    register_configs()
    if arch not in open_clip.list_models():
        raise UnknownNameError("open_clip architecture", arch, open_clip.list_models())
    precision = "fp16" if dtype == torch.float16 else "bf16" if dtype == torch.bfloat16 else "fp32"
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        overrides = {}
        if text_tower is not None:
            text_cfg = dict(open_clip.get_model_config(arch)["text_cfg"])
            text_cfg.update(hf_model_name=str(text_tower), hf_tokenizer_name=str(text_tower))
            # built from its config: the weights come with the checkpoint (or are random)
            text_cfg["hf_model_pretrained"] = False
            overrides["text_cfg"] = text_cfg
        try:
            model, _, transform = open_clip.create_model_and_transforms(
                arch,
                pretrained=checkpoint,
                precision=precision,
                device=device,
                image_mean=image_mean,
                image_std=image_std,
                **overrides,
            )
        except Exception as err:  # torch/pickle/safetensors each fail differently
            first_line = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
            raise ModelLoadError(
                f"open_clip {arch}",
                (
                    f"the checkpoint {checkpoint} could not be loaded"
                    if checkpoint
                    else "the model could not be built"
                )
                + f" ({type(err).__name__}: {first_line})",
                "Check that the file is an open_clip checkpoint for this architecture.",
            ) from err
    if text_tower is not None:
        context = open_clip.get_model_config(arch)["text_cfg"].get("context_length", 77)
        return model, transform, open_clip.tokenizer.HFTokenizer(str(text_tower), context)
    return model, transform, open_clip.get_tokenizer(arch)


def load_openclip(
    spec: BackendSpec,
    ctx: LoadContext,
    *,
    text_tower: Path | None = None,
    config_file: Path | None = None,
) -> OpenClipEmbedder:
    """An open_clip backend's ``load``: settings may override a real preset's model and weights.

    ``text_tower``: a local folder for a transformers text tower (else the spec's
    ``text_repo`` is resolved through the cache or the hub, when it names one).
    ``config_file``: an architecture config to register first (a tiny twin's).
    """
    import open_clip

    arch, pretrained = model_choice(spec, ctx.settings)
    register_configs(config_file)
    tower = text_tower_weights(spec)
    if text_tower is None and tower is not None:
        text_tower = snapshot_folder(resolve(tower, ctx.settings.cache_dir))
    checkpoint = resolve_checkpoint(
        arch, pretrained, ctx.settings.cache_dir, _known_hub(spec, arch, pretrained)
    )
    tag_cfg = open_clip.get_pretrained_cfg(arch, pretrained) if pretrained else {}
    model, transform, tokenizer = build_openclip(
        arch,
        checkpoint,
        ctx.device,
        ctx.dtype,
        seed=spec.option("seed"),
        image_mean=tag_cfg.get("mean"),
        image_std=tag_cfg.get("std"),
        text_tower=text_tower,
    )
    if pretrained is None:
        weights = f"random-seed{spec.option('seed')}"
    elif checkpoint == pretrained:
        weights = f"file:{os.path.basename(pretrained)}"
    else:
        weights = pretrained
    embedder = OpenClipEmbedder(
        spec,
        model,
        transform,
        tokenizer,
        ctx.device,
        ctx.dtype,
        model_id=f"open_clip:{arch}/{weights}",
        thresholds=spec.option("thresholds", {}),
    )
    embedder.batch_size = ctx.settings.batch_size
    log.info("Loaded %s on %s (%s)", embedder.model_id, ctx.device, ctx.dtype)
    return embedder
