"""Which device and dtype models run on: CUDA + fp16 when present, else CPU + fp32.

Decided once per server; ``MMDEMO_DEVICE`` overrides, and an unavailable CUDA request falls
back to CPU with a warning rather than failing at the first request.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def resolve_device(requested: str):
    """(torch.device, torch.dtype) for a requested device name, falling back to CPU."""
    import torch

    wants_cuda = requested.startswith("cuda") or requested == "auto"
    if wants_cuda and torch.cuda.is_available():
        device = torch.device("cuda" if requested == "auto" else requested)
        if device.index is not None and device.index >= torch.cuda.device_count():
            log.warning(
                "%s does not exist (%d GPU(s)); using cuda:0", requested, torch.cuda.device_count()
            )
            device = torch.device("cuda:0")
        return device, torch.float16
    if requested.startswith("cuda"):
        log.warning(
            "MMDEMO_DEVICE=%s but no CUDA GPU is available; falling back to CPU.", requested
        )
    return torch.device("cpu"), torch.float32
