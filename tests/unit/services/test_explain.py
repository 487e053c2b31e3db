"""services.explain with the tiny preset (random weights: behaviour): bounds, refusals,
through the ModelServer, and the overlay drawn from the grid."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.explain_results import ExplainResult
from mmdemo.models.registry import BackendSpec, Capabilities, add_backend, remove_backend
from mmdemo.services import explain as service
from mmdemo.serving import ModelServer


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return ModelServer(Settings(preset="tiny", index_dir=tmp_path_factory.mktemp("tiny-ex")))


def picture(w=120, h=80) -> Image.Image:
    rng = np.random.default_rng(1)
    return Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))


def test_explain_through_the_server(tiny):
    result = service.explain(tiny, picture(), "  a   red\nsquare ")
    assert isinstance(result, ExplainResult)
    assert result.query == "a red square"  # tidied like a search
    assert result.method == "attention relevancy (Chefer et al.)"
    assert result.details["random_weights"] is True
    assert min(min(r) for r in result.grid) >= 0 and max(max(r) for r in result.grid) == 1.0
    assert service.explains(tiny) == result.method


@pytest.mark.parametrize("query", ["", "   ", None])
def test_an_empty_query_is_refused(tiny, query):
    with pytest.raises(BadInputError, match="empty"):
        service.explain(tiny, picture(), query)


def test_a_missing_image_is_refused(tiny):
    with pytest.raises(BadInputError, match="No image given"):
        service.explain(tiny, None, "a cat")


def test_a_huge_image_is_refused_before_any_work(tmp_path):
    server = ModelServer(Settings(preset="tiny", index_dir=tmp_path, max_image_pixels=1000))
    with pytest.raises(BadInputError):
        service.explain(server, picture(100, 100), "a cat")
    assert not server.is_loaded("embed")


class _Plain:
    """An embedder without the capability (a real subclass would be heavier: the service
    only reads ``explains``)."""

    explains = ""
    model_label = "plain"


def test_an_embedder_without_the_capability_is_refused_by_name(tmp_path):
    spec = BackendSpec(
        task="embed",
        name="plain-test-embedder",
        load=lambda spec, ctx: _Plain(),
        description="test",
        label="Plain test embedder",
        capabilities=Capabilities(languages=("*",)),
    )
    add_backend(spec, replace=True)
    try:
        server = ModelServer(
            Settings(preset="tiny", index_dir=tmp_path, backends="embed=plain-test-embedder")
        )
        with pytest.raises(BadInputError, match="Plain test embedder cannot show where"):
            service.explain(server, picture(), "a cat")
    finally:
        remove_backend("embed", "plain-test-embedder")


def test_overlay_draws_the_hot_cell_warm_and_adds_a_legend():
    result = ExplainResult.of([[0.0, 1.0]], "m", 0.2, "b")
    image = Image.new("RGB", (200, 100), (128, 128, 128))
    drawn = service.overlay(image, result)
    assert drawn.size == (200, 100 + service.LEGEND_HEIGHT)
    arr = np.asarray(drawn, dtype=np.int32)
    left, right = arr[50, 10], arr[50, 190]
    assert right[0] > left[0] + 40 and left[2] > right[2]  # red on the right, blue on the left
    legend = arr[100:]
    assert (legend < 100).all(axis=-1).any()  # words drawn


def test_overlay_shrinks_large_images():
    result = ExplainResult.of([[1.0]], "m", 0.2, "b")
    drawn = service.overlay(Image.new("RGB", (3000, 1500)), result)
    assert max(drawn.size) <= service.OVERLAY_SIDE + service.LEGEND_HEIGHT


def test_overlay_legend_in_chinese_or_english():
    result = ExplainResult.of([[1.0]], "m", 0.2, "b")
    drawn = service.overlay(Image.new("RGB", (300, 200)), result, legend=("低", "高度匹配"))
    assert drawn.size == (300, 200 + service.LEGEND_HEIGHT)
