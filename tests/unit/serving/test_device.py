"""Which device and dtype the models run on: CUDA + fp16 when present, else CPU + fp32."""

from __future__ import annotations

import torch

from mmdemo.core.config import Settings
from mmdemo.serving import ModelServer
from mmdemo.serving.device import resolve_device


def test_device_fallback_to_cpu(monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == (torch.device("cpu"), torch.float32)
    with caplog.at_level("WARNING"):
        assert resolve_device("cuda:1")[0] == torch.device("cpu")
    assert "falling back to CPU" in caplog.text


def test_the_server_decides_once_and_batches_only_on_a_gpu(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    server = ModelServer(Settings(preset="tiny", device="cpu", index_dir=tmp_path))
    assert (server.device, server.dtype) == (torch.device("cpu"), torch.float32)
    assert server.max_batch == 1  # measured slower on CPU: off
    pinned = ModelServer(Settings(preset="tiny", device="cpu", max_batch=4, index_dir=tmp_path))
    assert pinned.max_batch == 4
