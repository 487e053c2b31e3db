"""Where a text matched in an image, for the lite label bridge: Grad-CAM on EfficientNet-Lite0.

lite's image vector is a mix of ImageNet class prompts, so a query matches an image through
the classes whose prompts it resembles. The map follows those classes: the query's cosine
with each class's bridge prompt vector picks the top ``k`` classes, their logits are summed
(weighted by that cosine), and Grad-CAM (Selvaraju et al. 2017) weighs the last conv
feature map (1280 x H/32 x W/32) by the mean gradient of that sum. Occlusion (grey patches,
the drop in the same weighted logit sum) is the baseline the evaluation compares with.

Why the classifier is called piece by piece (``extract_features`` -> mean -> ``_fc``)
instead of with a hook: a forward hook on the shared classifier would fire for every
concurrent request. A unit test holds the pieces equal to ``classifier(x)``.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from mmdemo.models.shared.explain_vit import whole_view

METHOD = "Grad-CAM on EfficientNet classes"
BASELINE = "occlusion"
TOP_CLASSES = 3  # set a priori; explain_eval.py --split tune sweeps 1/3/5 (not yet run to the end)
STRIDE = 32  # EfficientNet-Lite0's total stride: one map cell per 32 x 32 pixels
SHORT_SIDE = 224  # the classifier's training size
MAX_ASPECT = 2.0  # wider pictures are squeezed to 2:1 (bounds the cost)
LITE_MEAN = LITE_STD = (0.5, 0.5, 0.5)  # EfficientNet-Lite's [-1, 1] input scaling


def input_size(image: Image.Image) -> tuple[int, int]:
    """(width, height): short side 224, the aspect kept up to 2:1, multiples of 32 - so a
    map cell is a square of the picture and the map covers all of it (no centre crop)."""
    w, h = image.size
    aspect = min(max(w, h) / max(min(w, h), 1), MAX_ASPECT)
    long = round(SHORT_SIDE * aspect / STRIDE) * STRIDE
    return (long, SHORT_SIDE) if w >= h else (SHORT_SIDE, long)


def lite_pixels(image: Image.Image) -> torch.Tensor:
    """(1, 3, H, W) in [-1, 1] for ``input_size(image)``."""
    return whole_view(image, input_size(image), LITE_MEAN, LITE_STD)[None]


def top_classes(similarity: np.ndarray, k: int = TOP_CLASSES) -> tuple[np.ndarray, np.ndarray]:
    """(class indices, weights summing to 1) of the ``k`` classes most like the query
    (weights from the positive part of the cosine; equal if none is positive)."""
    order = np.argsort(-similarity)[:k]
    weights = np.clip(similarity[order], 0, None).astype(np.float64)
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(order), 1 / len(order))
    return order, weights.astype(np.float32)


def class_logits(classifier: torch.nn.Module, features: torch.Tensor) -> torch.Tensor:
    """The classifier's head on a feature map: global average pool, then ``_fc`` (as
    ``EfficientNet.forward`` does in eval mode; its dropout is off)."""
    return classifier._fc(features.mean(dim=(2, 3)))


def _target(logits: torch.Tensor, classes: np.ndarray, weights: np.ndarray) -> torch.Tensor:
    index = torch.as_tensor(classes, device=logits.device, dtype=torch.long)
    w = torch.as_tensor(weights, device=logits.device, dtype=torch.float32)
    return (logits.float()[:, index] * w).sum(dim=-1)


def grad_cam(classifier, pixels: torch.Tensor, classes: np.ndarray, weights: np.ndarray):
    """Grad-CAM map (H/32, W/32), float32 >= 0, for the weighted logit sum of ``classes``.
    Gradients are on even inside a caller's ``inference_mode``; no ``.grad`` is touched."""
    with torch.inference_mode(False), torch.enable_grad():
        pixels = pixels.detach().clone().requires_grad_(True)
        features = classifier.extract_features(pixels)
        target = _target(class_logits(classifier, features), classes, weights).sum()
        (grad,) = torch.autograd.grad(target, features)
        alpha = grad.float().mean(dim=(2, 3), keepdim=True)
        cam = (alpha * features.detach().float()).sum(dim=1).clamp(min=0)[0]
    return cam.cpu().numpy().astype(np.float32)


def occlusion(classifier, pixels: torch.Tensor, classes, weights, batch: int = 16):
    """Baseline: the drop of the weighted logit sum when each 32 x 32 cell is greyed (0 in
    [-1, 1] scaling); negatives to 0. One forward per cell, batched."""
    _, _, h, w = pixels.shape
    rows, cols = h // STRIDE, w // STRIDE
    with torch.inference_mode():
        base = _target(classifier(pixels), classes, weights)[0]
        drops = []
        cells = [(r, c) for r in range(rows) for c in range(cols)]
        for start in range(0, len(cells), batch):
            chunk = cells[start : start + batch]
            masked = pixels.repeat(len(chunk), 1, 1, 1)
            for i, (r, c) in enumerate(chunk):
                masked[i, :, r * STRIDE : (r + 1) * STRIDE, c * STRIDE : (c + 1) * STRIDE] = 0
            drops.append(base - _target(classifier(masked), classes, weights))
        grid = torch.cat(drops).clamp(min=0).reshape(rows, cols)
    return grid.cpu().numpy().astype(np.float32)
