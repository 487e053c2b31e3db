"""Every backend the tiny preset serves (defaults and alternatives) meets its task's protocol.

Loaded for real through the model server, as the app loads them: the protocols are the
contract the services rely on, so a backend missing a method fails here, not in a tab.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmdemo.core.config import Settings
from mmdemo.core.sentiment_results import CLASSES
from mmdemo.models.backends.fusion_head import FusionHeadNet, default_head_path, save_head
from mmdemo.models.presets import PRESETS
from mmdemo.models.protocols import TASK_PROTOCOLS, Backend
from mmdemo.models.registry import list_tasks
from mmdemo.serving import ModelServer

TINY = [(task, name) for task, names in PRESETS["tiny"].items() for name in names]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tiny_cache) -> ModelServer:
    """The tiny preset with a fusion head trained (well, saved) for its embedder."""
    settings = Settings(
        preset="tiny",
        index_dir=tmp_path_factory.mktemp("index"),
        cache_dir=tiny_cache,
        index_default_gallery=False,
    )
    server = ModelServer(settings)
    embedder = server.get("embed")
    meta = {"embedder": embedder.model_id, "dim": embedder.dim, "classes": list(CLASSES)}
    save_head(FusionHeadNet(embedder.dim, len(CLASSES)), meta, default_head_path(settings))
    return server


def test_every_task_has_a_protocol():
    assert sorted(TASK_PROTOCOLS) == list_tasks()


@pytest.mark.parametrize(("task", "name"), TINY, ids=lambda x: str(x))
def test_every_tiny_backend_satisfies_its_tasks_protocol(tiny, task, name):
    backend = tiny.get(task, name)
    assert isinstance(backend, Backend)
    assert isinstance(backend, TASK_PROTOCOLS[task]), (task, name)
    assert backend.spec.name == name and backend.spec.task == task
    info = backend.info()
    assert (info.task, info.backend) == (task, name)


def test_a_backend_missing_a_method_does_not_satisfy_the_protocol(tiny):
    class NoTexts:
        spec = None
        model_label = "half an embedder"
        model_id, dim, logit_scale, thresholds = "x", 2, 1.0, {}

        def info(self): ...
        def embed_images(self, images): ...
        def preprocess_image(self, image): ...
        def embed_image_tensors(self, batch): ...

    assert not isinstance(NoTexts(), TASK_PROTOCOLS["embed"])
    assert not isinstance(tiny.get("embed"), TASK_PROTOCOLS["vqa"])


def test_the_saved_head_predicts_three_probabilities(tiny):
    head = tiny.get("sentiment_head")
    vectors = tiny.get("embed").embed_texts(["a happy day", "a sad day"])
    probs = head.predict(None, vectors)
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1.0)
    assert head.classes == CLASSES and not head.is_stale()
