"""The early-fusion head backend: a missing head names the command that trains one, and a
head trained on another embedder's vectors is refused."""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.models.backends.fusion_head import (
    TRAIN_COMMAND,
    FusionHeadMismatchError,
    NoFusionHeadError,
    default_head_path,
)
from mmdemo.services.sentiment import SentimentFusion
from mmdemo.serving import ModelServer
from mmdemo.training.sentiment_fusion import train_from_csv
from tests.support.sentiment_data import write_synthetic_csv


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory):
    """One index folder (where heads live), shared by the tiny and the lite server."""
    return tmp_path_factory.mktemp("sentiment-index")


@pytest.fixture(scope="module")
def tiny(shared_index) -> ModelServer:
    return ModelServer(Settings(preset="tiny", index_dir=shared_index, index_default_gallery=False))


@pytest.fixture(scope="module")
def lite(shared_index) -> ModelServer:
    return ModelServer(Settings(preset="lite", index_dir=shared_index, index_default_gallery=False))


@pytest.fixture(scope="module")
def trained(tiny, tmp_path_factory):
    data = write_synthetic_csv(tmp_path_factory.mktemp("synthetic"))
    return data, train_from_csv(tiny, data, epochs=200)


def test_early_fusion_without_a_head_names_the_command(tmp_path):
    server = ModelServer(
        Settings(preset="tiny", index_dir=tmp_path / "index", index_default_gallery=False)
    )
    analyzer = SentimentFusion(server)
    with pytest.raises(NoFusionHeadError) as caught:
        analyzer.analyze("hi", None, "early")
    message = str(caught.value)
    assert TRAIN_COMMAND in message and "late or caption" in message
    assert str(default_head_path(server.settings)) in message
    assert TRAIN_COMMAND in analyzer.head_status()


def test_a_head_from_another_embedder_is_refused(trained, shared_index, lite):
    assert lite.settings.index_dir == shared_index  # same folder: it finds tiny's head
    with pytest.raises(FusionHeadMismatchError) as caught:
        SentimentFusion(lite).analyze("hi", None, "early")
    message = str(caught.value)
    lite_dim = lite.get("embed").dim  # 896: the bilingual label bridge
    assert "mmdemo-tiny-" in message and "(64-d)" in message and f"({lite_dim}-d)" in message
    assert "Retrain" in message
