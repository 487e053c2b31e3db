"""``download`` fetches the chat and image-generation models by default (they are in the
``full`` preset), and ``--skip chat,generate`` leaves them out (a Space may not want their
gigabytes); ``auto``'s cache check never needed them. Through a fake, local hub."""

from __future__ import annotations

import pytest

from mmdemo.cli.commands.download import skipped_tasks
from mmdemo.cli.main import main
from mmdemo.core.config import Settings
from mmdemo.core.errors import UnknownNameError
from mmdemo.models.hub.preset_weights import required_weights
from tests.support.fake_hub import CLIP_ONLY_BUT_GENERATIVE, FakeHub, use_hub

CLIP_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
GENERATIVE = (
    "HuggingFaceTB/SmolVLM-256M-Instruct",
    "Qwen/Qwen2-VL-2B-Instruct",
    "stabilityai/sd-turbo",
)


def repos(weights) -> set[str]:
    return {w.repo_id for w in weights}


def test_the_generative_models_are_required_unless_skipped():
    settings = Settings()
    everything = repos(required_weights("full", settings, with_choices=True))
    assert set(GENERATIVE) <= everything
    skipped = repos(
        required_weights("full", settings, with_choices=True, skip=("chat", "generate"))
    )
    assert not set(GENERATIVE) & skipped
    assert everything - skipped == {r for r in everything if r.split("/")[0] in {
        "HuggingFaceTB", "Qwen", "stabilityai"}}  # fmt: skip
    # auto's cache check (essential_only) never needed them, skip or not
    assert not set(GENERATIVE) & repos(required_weights("full", settings, essential_only=True))


def test_skip_names_are_checked_against_the_preset():
    assert skipped_tasks("full", " chat, generate,chat ") == ("chat", "generate")
    assert skipped_tasks("full", "") == ()
    with pytest.raises(UnknownNameError, match=r"task of the full preset 'chatt'.*chat"):
        skipped_tasks("full", "chatt")


@pytest.fixture
def clip_hub(tmp_path, monkeypatch):
    """A hub holding only a (small, fake) CLIP checkpoint: downloads are what is tested."""
    with FakeHub(tmp_path / "hub") as hub:
        hub.add_file(CLIP_REPO, "open_clip_pytorch_model.bin", b"\0" * 4096)
        use_hub(monkeypatch, hub.url)
        monkeypatch.setenv("MMDEMO_BACKENDS", CLIP_ONLY_BUT_GENERATIVE)
        monkeypatch.delenv("MMDEMO_CACHE_DIR", raising=False)
        yield hub


def test_download_skip_leaves_the_generative_models_out(clip_hub, tmp_path, capsys):
    cache = tmp_path / "weights"
    assert main(["download", "--dir", str(cache), "--skip", "chat,generate"]) == 0
    out = capsys.readouterr().out
    assert "Skipped (not downloaded): chat, generate." in out and "open_clip_pytorch_model" in out
    assert not any(repo in path for _, path in clip_hub.requests for repo in GENERATIVE)


def test_download_fetches_the_generative_models_by_default(clip_hub, tmp_path, capsys):
    assert main(["download", "--dir", str(tmp_path / "weights")]) == 2  # the hub lacks them
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "stabilityai/sd-turbo" in err
    assert any("sd-turbo" in path for _, path in clip_hub.requests)


def test_download_skip_task_spelling_and_a_typo(clip_hub, tmp_path, capsys):
    assert main(["download", "--dir", str(tmp_path / "w"), "--skip-task", "chat,generate"]) == 0
    capsys.readouterr()
    assert main(["download", "--dir", str(tmp_path / "w"), "--skip", "genrate"]) == 2
    err = capsys.readouterr().err
    assert "Unknown task of the full preset 'genrate'" in err and "generate" in err
