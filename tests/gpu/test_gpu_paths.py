"""The GPU paths, run only where there is a GPU: ``python -m pytest -m gpu``.

Why a folder of its own: CI and most machines here have no GPU, and these tests cannot
pass without one; the default run deselects them (``-m 'not gpu'``) and, asked for on a
machine without CUDA, each skips with the reason. They check behaviour, not speed (speed is
``bench/``): the model server puts models on CUDA in fp16, the index searches on the GPU
with the same answers as on the CPU, and a search through the app works end to end.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine")
    return torch


@pytest.fixture(scope="module")
def faiss_gpu():
    faiss = pytest.importorskip("faiss")
    if not hasattr(faiss, "StandardGpuResources") or faiss.get_num_gpus() < 1:
        pytest.skip("faiss sees no GPU on this machine")
    return faiss


def test_model_server_puts_models_on_cuda_in_fp16(cuda, tmp_path):
    from mmdemo.core.config import Settings
    from mmdemo.services import tasks
    from mmdemo.serving import ModelServer

    server = ModelServer(Settings(preset="tiny", device="auto", cache_dir=tmp_path))
    assert server.device.type == "cuda" and server.dtype == cuda.float16
    assert server.max_batch == 8  # micro-batching is on by default on a GPU
    embedder = server.get("embed")
    vectors = embedder.embed_texts(["a cat", "a dog"])
    assert vectors.dtype == np.float32 and np.allclose(
        np.linalg.norm(vectors, axis=1), 1, atol=1e-3
    )
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    assert np.isfinite(embedder.embed_images([image])).all()
    caption = tasks.caption(server, image, mode="beam", max_length=8)
    assert caption.random_weights and isinstance(caption.caption, str)
    answer = tasks.answer(server, image, "what is this?", model="vilt-vqa-tiny")
    assert answer.answered and len(answer.answers) == 5
    assert {info.device.split(":")[0] for info in server.loaded()} == {"cuda"}


def test_gpu_index_gives_the_cpu_answers(faiss_gpu):
    from mmdemo.index import VectorIndex

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(20_000, 64)).astype(np.float32)
    metas = [
        {"path": f"{i}.png", "sha256": f"{i:064x}", "size_bytes": 1, "width": 1, "height": 1}
        for i in range(len(vectors))
    ]
    on_gpu = VectorIndex(64, "test-model", use_gpu=True)
    on_cpu = VectorIndex(64, "test-model", use_gpu=False)
    on_gpu.add(vectors, metas)
    on_cpu.add(vectors, metas)
    assert on_gpu.on_gpu and not on_cpu.on_gpu
    queries = rng.normal(size=(5, 64)).astype(np.float32)
    gpu_hits = on_gpu.search(queries, 10)
    cpu_hits = on_cpu.search(queries, 10)
    for gpu_row, cpu_row in zip(gpu_hits, cpu_hits, strict=True):
        assert [i for i, _ in gpu_row] == [i for i, _ in cpu_row]
        assert np.allclose([s for _, s in gpu_row], [s for _, s in cpu_row], atol=1e-4)
    on_gpu.remove([cpu_hits[0][0][0]])  # a removal re-uploads the GPU copy
    assert on_gpu.search(queries[:1], 1)[0][0][0] == cpu_hits[0][1][0]
