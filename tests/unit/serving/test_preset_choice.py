"""``MMDEMO_PRESET=auto``: ``full`` when its weights are at hand or the hub answers, else
``lite``, and one sentence saying why."""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import UnknownNameError
from mmdemo.models.hub.files import HubWeights
from mmdemo.models.hub.preset_weights import download_weights
from mmdemo.serving import ModelServer
from mmdemo.serving.preset_choice import HUB_PROBE_SECONDS, choose_preset
from tests.support.fake_hub import CLIP_ONLY, FakeHub, go_offline, use_hub

CLIP_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"


def never(timeout: float) -> bool:
    raise AssertionError("the hub was probed")


def test_a_named_preset_is_used_as_it_is():
    choice = choose_preset(Settings(preset="tiny"), probe=never)
    assert (choice.name, choice.requested, choice.reason) == ("tiny", "tiny", "MMDEMO_PRESET=tiny")
    with pytest.raises(UnknownNameError, match="full, lite, tiny"):
        choose_preset(Settings(preset="huge"), probe=never)


@pytest.mark.parametrize(("answers", "preset"), [(True, "full"), (False, "lite")])
def test_auto_without_the_weights_asks_the_hub_once_briefly(answers, preset, tmp_path):
    probes = []

    def probe(timeout: float) -> bool:
        probes.append(timeout)
        return answers

    choice = choose_preset(Settings(preset="auto", cache_dir=tmp_path / "empty"), probe=probe)
    assert (choice.name, choice.requested) == (preset, "auto")
    assert probes == [HUB_PROBE_SECONDS]
    assert "open_clip xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k" in choice.reason
    if answers:
        assert "the Hugging Face hub answered" in choice.reason
    else:
        assert "cannot be reached" in choice.reason


def test_auto_with_the_weights_in_the_cache_is_full_without_a_probe(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    with FakeHub(tmp_path / "hub") as hub:
        hub.add_file(CLIP_REPO, "open_clip_pytorch_model.bin", b"weights")
        use_hub(monkeypatch, hub.url)
        weights = HubWeights(CLIP_REPO, ("open_clip_pytorch_model.bin",))
        download_weights([weights], cache)
    go_offline(monkeypatch)
    settings = Settings(preset="auto", cache_dir=cache, backends=CLIP_ONLY)
    choice = choose_preset(settings, probe=never)
    assert choice.name == "full" and "in the local cache" in choice.reason


def test_the_server_serves_what_auto_chose_offline(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    server = ModelServer(Settings(preset="auto", cache_dir=tmp_path, index_dir=tmp_path))
    assert server.preset == "lite" and server.choice.requested == "auto"
    assert server.spec_for("embed").name == "lite-label-bridge"
