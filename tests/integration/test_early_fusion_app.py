"""Early fusion end to end: a running app, then ``train sentiment-fusion``, then /sentiment.

Proves the path a person takes: the app starts with no head (early fusion says how to train
one), the CLI trains a head into the app's index folder, and the *running* app uses it on
the next request, with no restart.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.config import PROJECT_ROOT
from tests.conftest import client_for, launch_app
from tests.unit.test_sentiment_fusion import write_synthetic_csv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with launch_app(tmp_path_factory.mktemp("early_app"), MMDEMO_PRESET="tiny") as running:
        yield running


def test_a_head_trained_while_the_app_runs_is_used_on_the_next_request(server, tmp_path):
    client = client_for(server)
    data = write_synthetic_csv(tmp_path / "data", rows=40)
    warm = handle_file(str(tmp_path / "data" / "img000.png"))  # a positive row's image
    with pytest.raises(AppError, match="train sentiment-fusion"):
        client.predict("what a happy day", warm, "early", 0.5, api_name="/sentiment")

    trained = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmdemo",
            "train",
            "sentiment-fusion",
            "--data",
            str(data),
            "--preset",
            "tiny",
            "--index-dir",
            str(server.index_dir),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert trained.returncode == 0, trained.stderr

    _, _, notes, raw = client.predict("what a happy day", warm, "early", 0.5, api_name="/sentiment")
    assert raw["fusion"] == "early" and set(raw["modalities"]) == {"text", "image"}
    assert sum(raw["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert "head" in notes.lower()
