"""Where a text matched in an image, for open_clip's ViT: gradient-weighted attention relevancy.

Chefer et al. 2021, "Generic Attention-model Explainability for Interpreting Bi-Modal and
Encoder-Decoder Transformers", the CLIP variant: with ``A_b`` a block's attention
probabilities and ``dA_b`` the gradient of the image-text cosine with respect to them,
``R = I + sum_b mean_heads(clamp(dA_b * A_b, 0)) @ R`` (blocks in forward order), and the
map is the CLS token's row of ``R`` over the patch tokens. Raw patch-token similarity is
kept as the baseline the evaluation compares with (it is known to be weak).

Why the blocks are re-run here rather than hooked: open_clip's ``ResidualAttentionBlock``
calls ``nn.MultiheadAttention`` with ``need_weights=False`` (the probabilities never
exist), and patching the shared model would change what concurrent searches run. So the
vision tower's forward is replayed from the model's own modules and weights (open_clip
3.3.0's ``VisionTransformer._embeds`` / ``_pool`` and each block's ``ln_1``, ``attn``
projections, ``ls_1``, ``ln_2``, ``mlp``, ``ls_2``), computing the attention explicitly; a
unit test holds its image vector equal to ``encode_image``'s. The model is not changed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

METHOD = "attention relevancy (Chefer et al.)"
BASELINE = "patch-token similarity"


class NotExplainable(ValueError):
    """The vision tower is not a plain ViT (attention pooling, custom blocks, a ConvNet)."""


def check_vit(visual: torch.nn.Module) -> None:
    """Refuse towers the replay does not reproduce, naming what is different."""
    blocks = getattr(getattr(visual, "transformer", None), "resblocks", None)
    if blocks is None or not hasattr(visual, "_embeds"):
        raise NotExplainable(f"the image tower ({type(visual).__name__}) is not a ViT")
    if getattr(visual, "attn_pool", None) is not None:
        raise NotExplainable("the ViT pools with attention, not with its CLS token")
    for block in blocks:
        attn = getattr(block, "attn", None)
        if (
            not isinstance(attn, torch.nn.MultiheadAttention)
            or not attn._qkv_same_embed_dim
            or attn.bias_k is not None
            or attn.add_zero_attn
            or hasattr(block, "ln_1_kv")
        ):
            raise NotExplainable(f"a block ({type(block).__name__}) is not a plain self-attention")


def whole_view(image: Image.Image, size: tuple[int, int], mean, std) -> torch.Tensor:
    """The WHOLE image resized to ``size`` (width, height) and normalised, (3, H, W).

    Why not the embedder's own transform: it centre-crops, so a map of a wide photo would
    miss its sides; a map must cover the picture a person sees."""
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    arr = np.asarray(rgb.resize(size, Image.Resampling.BICUBIC), dtype=np.float32) / 255.0
    tensor = torch.from_numpy(arr).permute(2, 0, 1)
    mean_t = torch.tensor(mean, dtype=torch.float32)[:, None, None]
    std_t = torch.tensor(std, dtype=torch.float32)[:, None, None]
    return (tensor - mean_t) / std_t


def _block(block: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One ``ResidualAttentionBlock`` on (B, L, D) tokens with its attention made explicit;
    returns (output, attention probabilities (B, heads, L, L))."""
    attn = block.attn
    h = block.ln_1(x)
    q, k, v = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    b, length, dim = h.shape
    heads = attn.num_heads
    shape = (b, length, heads, dim // heads)
    q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
    probs = ((q @ k.transpose(-2, -1)) / math.sqrt(dim // heads)).softmax(dim=-1)
    out = (probs @ v).transpose(1, 2).reshape(b, length, dim)
    x = x + block.ls_1(attn.out_proj(out))
    x = x + block.ls_2(block.mlp(block.ln_2(x)))
    return x, probs


def replay(visual: torch.nn.Module, pixels: torch.Tensor):
    """(image features (B, out), tokens after the last block, [attention probs per block])."""
    x = visual._embeds(pixels)
    probs = []
    for block in visual.transformer.resblocks:
        x, p = _block(block, x)
        probs.append(p)
    pooled, _ = visual._pool(x)
    if visual.proj is not None:
        pooled = pooled @ visual.proj
    return pooled, x, probs


def _grid_shape(visual: torch.nn.Module, tokens: int) -> tuple[int, int]:
    rows, cols = getattr(visual, "grid_size", (0, 0))
    if rows * cols != tokens:
        side = round(math.sqrt(tokens))
        rows, cols = side, tokens // max(side, 1)
    return int(rows), int(cols)


def relevancy(visual: torch.nn.Module, pixels: torch.Tensor, text: torch.Tensor):
    """Chefer relevancy of one image (pixels (1, 3, H, W)) for one unit text vector (dim,).

    Returns (grid (rows, cols) float32 >= 0, the cosine). Gradients are taken with
    ``torch.autograd.grad`` on the attention maps only: no parameter's ``.grad`` is touched.
    Runs with gradients on even inside a caller's ``inference_mode``.
    """
    check_vit(visual)
    with torch.inference_mode(False), torch.enable_grad():
        pixels = pixels.detach().clone().requires_grad_(True)
        features, _, probs = replay(visual, pixels)
        score = (F.normalize(features.float(), dim=-1) * text.float().to(features.device)).sum()
        grads = torch.autograd.grad(score, probs)
        length = probs[0].shape[-1]
        relevance = torch.eye(length, device=pixels.device, dtype=torch.float32)
        for attn, grad in zip(probs, grads, strict=True):
            cam = (grad[0].float() * attn[0].detach().float()).clamp(min=0).mean(dim=0)
            relevance = relevance + cam @ relevance
    row = relevance[0, 1:] if visual.pool_type == "tok" else relevance[1:, 1:].mean(dim=0)
    rows, cols = _grid_shape(visual, row.numel())
    return row.reshape(rows, cols).cpu().numpy().astype(np.float32), float(score.detach())


def patch_similarity(visual: torch.nn.Module, pixels: torch.Tensor, text: torch.Tensor):
    """The baseline: each patch token through ``ln_post`` and ``proj``, its cosine with the
    text, negatives to 0. Returns (grid, the image-text cosine)."""
    check_vit(visual)
    with torch.inference_mode():
        features, tokens, _ = replay(visual, pixels)
        patches = visual.ln_post(tokens[:, 1:])
        if visual.proj is not None:
            patches = patches @ visual.proj
        text = text.float().to(patches.device)
        sims = (F.normalize(patches.float(), dim=-1) @ text)[0].clamp(min=0)
        score = float((F.normalize(features.float(), dim=-1)[0] * text).sum())
    rows, cols = _grid_shape(visual, sims.numel())
    return sims.reshape(rows, cols).cpu().numpy().astype(np.float32), score
