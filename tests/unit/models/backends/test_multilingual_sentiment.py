"""Chinese sentiment: lite's router (VADER + the cross-lingual e5 head) by meaning, the tiny
router by shape, and the head's file and training by behaviour.

The lite sentences here are new (not in sentiment_zh.tsv, so not in the head's training
rows): clear positive / negative / neutral Chinese, a negation and mixed Chinese + English.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, ModelLoadError
from mmdemo.core.sentiment_sets import load_table
from mmdemo.models.backends import e5_sentiment_head as e5
from mmdemo.models.backends.multilingual_sentiment import RoutedSentiment, routes_to_multilingual
from mmdemo.models.registry import get_backend
from mmdemo.quality.sentiment_eval import CHINESE_SET
from mmdemo.serving import ModelServer

CLASSES = ("negative", "neutral", "positive")


@pytest.fixture(scope="module")
def lite():
    settings = Settings(preset="lite", index_default_gallery=False)
    return ModelServer(settings).get("sentiment")  # lite's default: the router


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    settings = Settings(
        preset="tiny", cache_dir=tmp_path_factory.mktemp("cache"), index_default_gallery=False
    )
    return ModelServer(settings).get("sentiment")


def _probs(result) -> dict[str, float]:
    probs = {s.label: s.probability for s in result.probabilities}
    assert tuple(probs) == CLASSES and sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
    return probs


# -- lite: meaning ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("这家面馆的牛肉面特别香，我每周都来吃。", "positive"),
        ("新买的吸尘器声音很大，吸力也很弱，太失望了。", "negative"),
        ("本次列车将于下午四点二十分到达杭州东站。", "neutral"),
        ("这家店的蛋糕一点也不新鲜。", "negative"),  # negation of a positive word
        ("这个 keyboard 手感超好，打字很 smooth。", "positive"),  # mixed scripts
        ("这个 website 老是 crash，气死我了。", "negative"),
    ],
)
def test_lite_reads_chinese(lite, text, label):
    result = lite.analyze(text)
    probs = _probs(result)
    assert result.label == label, probs
    assert result.details["judged_by"] == "e5-sentiment-head"
    assert "e5" in result.model and "note" not in result.details  # no "VADER only knows English"


def test_lite_keeps_english_on_vader_exactly(lite):
    vader = ModelServer(Settings(preset="lite", backends="sentiment=vader")).get("sentiment")
    for text in ("I love this phone!", "Worst service ever.", "The meeting is at 3 pm."):
        routed, alone = lite.analyze(text), vader.analyze(text)
        assert routed.details["judged_by"] == "vader" and routed.model == alone.model
        assert routed.label == alone.label
        assert _probs(routed) == pytest.approx(_probs(alone))


def test_lite_batch_keeps_order_across_the_two_models(lite):
    texts = ["I hate it.", "我太喜欢这部电影了！", "Lovely!", "服务太差了。"]
    batch = lite.analyze_many(texts)
    assert [r.details["judged_by"] for r in batch] == [
        "vader",
        "e5-sentiment-head",
        "vader",
        "e5-sentiment-head",
    ]
    assert [r.label for r in batch] == ["negative", "positive", "positive", "negative"]
    assert [r.label for r in batch] == [lite.analyze(t).label for t in texts]


def test_routing_rule():
    assert routes_to_multilingual("这个 app 太 buggy 了")  # any Chinese: the multilingual model
    assert routes_to_multilingual("Great movie 好看")
    assert routes_to_multilingual("Это ужасно")  # mostly another script
    assert not routes_to_multilingual("Das Essen war gut")  # Latin: the English model
    assert not routes_to_multilingual("😍😍")  # no letters: VADER reads emoji names


def test_other_scripts_get_a_note_and_long_text_is_cut(lite, monkeypatch):
    russian = lite.analyze("Это ужасно")
    assert russian.details["judged_by"] == "e5-sentiment-head"
    assert russian.details["note"] == e5.OTHER_SCRIPT_NOTE
    monkeypatch.setattr(e5, "MAX_CHARS", 40)  # the 2,000-character cap, cheaper to reach
    long = lite.analyze("这部电影很好看。" * 10)  # 80 characters
    assert long.details["truncated"] and long.details["scored_chars"] == 40
    assert "Only the first 40 of 80 characters" in long.details["note"]
    assert long.label == "positive"


@pytest.mark.parametrize("bad", ["", "  \n", None, 3])
def test_empty_or_non_text_is_refused(lite, bad):
    with pytest.raises(BadInputError):
        lite.analyze(bad)


def test_lite_declares_chinese_and_needs_no_hub():
    spec = get_backend("sentiment", "lite-multilingual")
    assert set(spec.capabilities.languages) == {"en", "zh"}
    assert spec.weights(Settings()) == []


# -- tiny: shapes ----------------------------------------------------------------------------
def test_tiny_router_uses_the_two_random_twins(tiny):
    assert isinstance(tiny, RoutedSentiment) and tiny.info().is_random
    english, chinese = tiny.analyze_many(["great film", "这部电影很好看"])
    _probs(english), _probs(chinese)
    assert english.details["judged_by"] == "distilbert-sst2-tiny"
    assert "p_positive_2class" in english.details  # two-class model, neutral from its margin
    assert chinese.details["judged_by"] == "distilbert-multilingual-tiny"
    assert "p_positive_2class" not in chinese.details  # three-class model: its own softmax
    assert "note" not in chinese.details  # no English-only note on Chinese


def test_full_router_fetches_both_models():
    repos = [w.repo_id for w in get_backend("sentiment", "multilingual-routed").weights(Settings())]
    assert repos == [
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        "lxyuan/distilbert-base-multilingual-cased-sentiments-student",
    ]


# -- the head's file and its training -------------------------------------------------------
def test_committed_head_was_trained_on_tune_rows_only():
    head = e5.load_head(e5.default_head_path(Settings().assets_dir), 384)
    tune = [r for r in load_table(CHINESE_SET) if r["split"] == "tune"]
    assert head.meta["rows"] == {"english": 190, "chinese_tune": len(tune)}
    assert head.weight.shape == (3, 384) and head.meta["classes"] == list(CLASSES)


def test_a_missing_or_mismatched_head_says_how_to_retrain(tmp_path):
    with pytest.raises(ModelLoadError, match=r"training\.multilingual_sentiment"):
        e5.load_head(tmp_path / "head.npz", 384)
    path = e5.save_head(tmp_path / "head.npz", np.zeros((3, 8)), np.zeros(3), {})
    with pytest.raises(ModelLoadError, match="8-d vectors"):
        e5.load_head(path, 384)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match="could not be read"):
        e5.load_head(tmp_path / "bad.npz", 384)


def test_training_is_deterministic_and_learns_separable_data():
    from mmdemo.training.multilingual_sentiment import fit_logistic, predict, stratified_folds

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 3
    y = np.repeat(np.arange(3), 20)
    x = centres[y] + rng.normal(size=(60, 16))
    first, second = fit_logistic(x, y, 1e-3), fit_logistic(x, y, 1e-3)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert (predict(*first, x) == y).mean() > 0.95
    folds = stratified_folds(y.tolist())
    assert all({int(c) for c in y[np.array(folds) == k]} == {0, 1, 2} for k in range(5))


def test_english_still_works_when_the_chinese_model_cannot_load(tmp_path):
    from mmdemo.models.backends import multilingual_sentiment as ms
    from mmdemo.models.registry import BackendSpec, add_backend, remove_backend

    broken = BackendSpec(
        task="sentiment",
        name="test-missing-head",
        load=e5.load,
        description="the e5 head pointed at a file that is not there",
        options={"path": str(tmp_path / "nowhere" / "head.npz")},
    )
    router = BackendSpec(
        task="sentiment",
        name="test-router",
        load=ms.load,
        description="lite's router over the broken head",
        options={"english": "vader", "multilingual": "test-missing-head"},
    )
    add_backend(broken)
    add_backend(router)
    try:
        settings = Settings(preset="lite", backends="sentiment=test-router")
        backend = ModelServer(settings).get("sentiment")
        assert backend.analyze("I love it").label == "positive"  # English is unaffected
        assert "did not load" in backend.model_label
        with pytest.raises(ModelLoadError, match=r"training\.multilingual_sentiment"):
            backend.analyze("我很喜欢")  # Chinese gets the reason and the fix
    finally:
        remove_backend("sentiment", "test-router")
        remove_backend("sentiment", "test-missing-head")
