"""DistilBERT sentiment: the tiny random model through the real class, and the ``full``
loading path proved offline (a random DistilBERT saved the way the hub repo holds it, served
by a fake hub, downloaded, then loaded with the hub switched off).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, ModelLoadError
from mmdemo.core.sentiment_results import SentimentResult
from mmdemo.models.backends import distilbert_sentiment
from mmdemo.models.backends.distilbert_sentiment import ENGLISH_NOTE, UNKNOWN_NOTE
from mmdemo.models.hub.files import is_cached
from mmdemo.models.hub.preset_weights import download_weights
from mmdemo.models.hub.tiny import (
    build_distilbert_multilingual_sentiment,
    build_distilbert_sst2,
    build_tiny,
)
from mmdemo.models.registry import BackendSpec, get_backend
from mmdemo.serving import ModelServer
from tests.support.fake_hub import FakeHub, go_offline, unreachable_hub, use_hub

REPO = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
FULL = get_backend("sentiment", "distilbert-sst2")
MULTI_REPO = "lxyuan/distilbert-base-multilingual-cased-sentiments-student"
MULTI = get_backend("sentiment", "distilbert-multilingual")
CLASSES = ("negative", "neutral", "positive")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    settings = Settings(
        preset="tiny",
        cache_dir=tmp_path_factory.mktemp("cache"),
        index_dir=tmp_path_factory.mktemp("index"),
        index_default_gallery=False,
    )
    return ModelServer(settings).get("sentiment", "distilbert-sst2-tiny")


def _check(result: SentimentResult) -> dict[str, float]:
    probs = {s.label: s.probability for s in result.probabilities}
    assert tuple(probs) == CLASSES
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-9)
    assert result.label == max(probs, key=probs.get)
    return probs


# -- tiny, through the real class --------------------------------------------------------------
def test_tiny_is_a_random_distilbert_with_three_probabilities(tiny):
    assert isinstance(tiny, distilbert_sentiment.DistilBertSentiment)
    assert tiny.info().is_random and "distilbert" in tiny.model_label
    result = tiny.analyze("I love this movie, it is wonderful.")
    _check(result)
    details = result.details
    assert 0.0 < details["p_positive_2class"] < 1.0
    assert not details["truncated"] and "note" not in details


def test_batched_and_single_results_agree(tiny):
    texts = ["great", "a much longer sentence about a terrible, boring film", "ok"]
    batched = tiny.analyze_many(texts)
    for text, result in zip(texts, batched, strict=True):
        single = tiny.analyze(text)
        assert result.details["logit_margin"] == pytest.approx(
            single.details["logit_margin"], abs=1e-5
        )


def test_long_text_is_truncated_with_a_note(tiny):
    text = "this film was good and the actors were fine. " * 230  # ~10,000 characters
    assert len(text.strip()) > 10_000 - 400
    result = tiny.analyze(text)
    _check(result)
    assert result.details["truncated"] and result.details["tokens"] == tiny.max_tokens
    assert 0 < result.details["scored_chars"] < len(text.strip())
    assert "only the first" in result.details["note"]


def test_emoji_only_and_other_scripts_get_notes(tiny):
    emoji = tiny.analyze("😍😍🎉")
    _check(emoji)
    assert emoji.details["note"] == UNKNOWN_NOTE
    mixed = tiny.analyze("これは本当に素晴らしい映画でした great")
    _check(mixed)
    assert mixed.details["note"] == ENGLISH_NOTE
    assert "note" not in tiny.analyze("Das Essen war gut, great").details  # Latin script


@pytest.mark.parametrize("bad", ["", "   \n", None, 42])
def test_empty_or_non_text_is_refused(tiny, bad):
    with pytest.raises(BadInputError):
        tiny.analyze(bad)


def test_neutral_below_is_read_from_the_spec(tmp_path, load_context):
    settings = Settings(cache_dir=tmp_path)
    strict = BackendSpec(
        task="sentiment",
        name="strict",
        load=distilbert_sentiment.load,
        description="x",
        options={"tiny": "distilbert-sst2", "seed": 0, "neutral_below": 0.999},
        is_random=True,
    )
    backend = distilbert_sentiment.load(strict, load_context(settings))
    assert backend.neutral_below == 0.999
    assert backend.analyze("whatever").label == "neutral"  # a random model is never 99.9% sure


# -- the full loading path, offline --------------------------------------------------------------
def _hub_layout(folder: Path) -> Path:
    """A random DistilBERT with the files the hub repo has (plus some we must not fetch)."""
    build_tiny(build_distilbert_sst2, folder, seed=3)
    config = json.loads((folder / "config.json").read_text())
    assert config["id2label"] == {"0": "NEGATIVE", "1": "POSITIVE"}
    # the real repo's 48-byte tokenizer_config.json, vocab.txt, no tokenizer.json
    (folder / "tokenizer_config.json").write_text(
        '{"model_max_length": 512, "do_lower_case": true}'
    )
    (folder / "README.md").write_text("# model card\n")
    (folder / "pytorch_model.bin").write_bytes(b"not needed: safetensors is there")
    (folder / "onnx").mkdir()
    (folder / "onnx" / "config.json").write_text("{}")
    return folder


def test_full_spec_names_the_hub_repo_and_only_the_files_it_reads():
    [weights] = FULL.weights(Settings())
    assert weights.repo_id == REPO
    assert set(weights.patterns) == {
        "config.json",
        "model.safetensors",
        "tokenizer_config.json",
        "vocab.txt",
    }
    assert get_backend("sentiment", "distilbert-sst2-tiny").is_random


def test_download_then_load_offline_through_the_serving_module(tmp_path, monkeypatch):
    source = _hub_layout(tmp_path / "repo")
    cache = tmp_path / "cache"
    settings = Settings(
        preset="full",
        cache_dir=cache,
        index_dir=tmp_path / "index",
        index_default_gallery=False,
    )
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.rglob("*"):
            if path.is_file():
                hub.add_file(REPO, path.relative_to(source).as_posix(), path)
        use_hub(monkeypatch, hub.url)
        [fetched] = download_weights(FULL.weights(settings), cache)
        assert fetched.downloaded
        assert sorted(p.name for p in fetched.paths) == [
            "config.json",
            "model.safetensors",
            "tokenizer_config.json",
            "vocab.txt",
        ]
        assert not any("README" in p or "onnx" in p or ".bin" in p for _, p in hub.requests)

        go_offline(monkeypatch)
        assert is_cached(FULL.weights(settings)[0], cache)
        seen = len(hub.requests)
        server = ModelServer(settings)
        backend = server.get("sentiment", "distilbert-sst2")  # full's English sentiment
        assert len(hub.requests) == seen  # no network while loading
    assert backend.model_label == REPO and not backend.info().is_random
    assert backend.max_tokens == 64  # min(tokenizer's 512, the config's 64 positions)
    result = backend.analyze("what a wonderful film")
    _check(result)
    assert result.model == REPO
    # the vocabulary came from vocab.txt: real words are not [UNK]
    ids = backend.tokenizer("wonderful film")["input_ids"]
    assert backend.tokenizer.unk_token_id not in ids


@pytest.mark.parametrize("offline", [False, True], ids=["nothing-listens", "HF_HUB_OFFLINE"])
def test_not_cached_and_no_hub_fails_fast_with_advice(offline, tmp_path, monkeypatch, load_context):
    unreachable_hub(monkeypatch, offline)
    started = time.perf_counter()
    with pytest.raises(ModelLoadError) as caught:
        distilbert_sentiment.load(FULL, load_context(Settings(cache_dir=tmp_path / "empty")))
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert REPO in message and "cannot be reached" in message
    assert "python -m mmdemo download" in message and "MMDEMO_PRESET=lite" in message


def _local_spec(folder: Path) -> BackendSpec:
    return BackendSpec(
        task="sentiment",
        name="local",
        load=distilbert_sentiment.load,
        description="x",
        options={"path": str(folder)},
    )


def test_a_folder_without_a_vocabulary_is_refused(tmp_path, load_context):
    folder = _hub_layout(tmp_path / "model")
    (folder / "vocab.txt").unlink()
    with pytest.raises(ModelLoadError, match=r"tokenizer|vocab"):
        distilbert_sentiment.load(_local_spec(folder), load_context(Settings()))


def test_a_model_without_negative_and_positive_labels_is_refused(tmp_path, load_context):
    folder = _hub_layout(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1"}
    config["label2id"] = {"LABEL_0": 0, "LABEL_1": 1}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="NEGATIVE and POSITIVE"):
        distilbert_sentiment.load(_local_spec(folder), load_context(Settings()))


# -- the three-class multilingual student (full's Chinese sentiment) --------------------------
@pytest.fixture(scope="module")
def tiny_multi(tmp_path_factory, load_context):
    settings = Settings(cache_dir=tmp_path_factory.mktemp("cache-multi"))
    return distilbert_sentiment.load(
        get_backend("sentiment", "distilbert-multilingual-tiny"), load_context(settings)
    )


@pytest.fixture(scope="module")
def load_context():  # module-scoped twin of tests/unit/models/conftest.py's fixture
    import torch

    from mmdemo.models.base import LoadContext

    return lambda settings, get=lambda *_: None: LoadContext(
        settings, torch.device("cpu"), torch.float32, get
    )


def test_tiny_multilingual_twin_is_a_three_class_cased_distilbert(tiny_multi):
    config = tiny_multi.model.config
    assert config.num_labels == 3 and config.model_type == "distilbert"
    assert {v.lower() for v in config.id2label.values()} == set(CLASSES)
    # the backend reorders the model's (positive, neutral, negative) ids into CLASSES order
    assert [config.id2label[i].lower() for i in tiny_multi.indices] == list(CLASSES)
    tokens = tiny_multi.tokenizer.tokenize("我很喜欢 Apple")
    assert tokens[:4] == ["我", "很", "喜", "欢"]  # one token per Chinese character, cased
    ids = tiny_multi.tokenizer("我很喜欢")["input_ids"]
    assert tiny_multi.tokenizer.unk_token_id not in ids


def test_tiny_multilingual_gives_its_own_softmax_and_no_english_note(tiny_multi):
    results = tiny_multi.analyze_many(["这个菜很好吃", "this is great", "太差了 bad"])
    for result in results:
        probs = _check(result)
        assert "p_positive_2class" not in result.details  # its neutral is the model's own
        assert "note" not in result.details  # it reads Chinese: no English-only note
        assert min(probs.values()) > 0.0
    single = tiny_multi.analyze("这个菜很好吃")
    assert single.details["logit_margin"] == pytest.approx(
        results[0].details["logit_margin"], abs=1e-5
    )


def test_multilingual_spec_names_its_repo_and_declares_chinese():
    [weights] = MULTI.weights(Settings())
    assert weights.repo_id == MULTI_REPO
    assert "model.safetensors" in weights.patterns and "pytorch_model.bin" not in weights.patterns
    assert {"en", "zh"} <= set(MULTI.capabilities.languages)
    assert get_backend("sentiment", "distilbert-multilingual-tiny").is_random


def test_multilingual_download_then_load_offline(tmp_path, monkeypatch, load_context):
    source = build_tiny(build_distilbert_multilingual_sentiment, tmp_path / "repo", seed=5)
    (source / "pytorch_model.bin").write_bytes(b"not needed: safetensors is there")
    (source / "training_args.bin").write_bytes(b"not needed")
    cache = tmp_path / "cache"
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.rglob("*"):
            if path.is_file():
                hub.add_file(MULTI_REPO, path.relative_to(source).as_posix(), path)
        use_hub(monkeypatch, hub.url)
        [fetched] = download_weights(MULTI.weights(Settings(cache_dir=cache)), cache)
        assert not any(p.endswith(".bin") for _, p in hub.requests)
        go_offline(monkeypatch)
        seen = len(hub.requests)
        backend = distilbert_sentiment.load(MULTI, load_context(Settings(cache_dir=cache)))
        assert len(hub.requests) == seen  # no network while loading
    assert {p.name for p in fetched.paths} >= {"config.json", "model.safetensors", "tokenizer.json"}
    assert backend.model_label == MULTI_REPO and len(backend.indices) == 3
    _check(backend.analyze("这个 app 太好用了"))
