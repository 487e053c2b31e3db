"""BLIP captioning, BLIP VQA and ViLT VQA through their real classes and loaders, offline.

Why tiny random models: the ``tiny`` backends are built by ``tiny_hf`` and saved with
``save_pretrained``, so these tests run the same ``from_pretrained(folder)`` + processor +
generate code as ``full``, in seconds. The ``full`` loading path (``repo`` -> cache ->
folder) is proven with a local fake hub (``tests/fake_hub.py``) and then with the hub off.
Results of random models are meaningless: only shapes, types and behaviour are checked.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.config import Settings
from mmdemo.errors import BadInputError, ModelLoadError
from mmdemo.models import blip_caption, blip_vqa, vilt_vqa
from mmdemo.models.base import LoadContext
from mmdemo.models.download import HubWeights, download_weights, is_cached
from mmdemo.models.hf_local import DEFAULT_PATTERNS, require_transformers_class
from mmdemo.models.registry import add_backend, remove_backend, spec
from mmdemo.models.tiny_hf import TINY_ANSWERS, build_tiny, tiny_model_dir
from mmdemo.serving import ModelServer
from mmdemo.types import CaptionResult, Scored, VqaResult
from tests.fake_hub import FakeHub, go_offline, unreachable_hub, use_hub

LOADERS = {
    "blip-caption": "mmdemo.models.blip_caption:load",
    "blip-vqa": "mmdemo.models.blip_vqa:load",
    "vilt-vqa": "mmdemo.models.vilt_vqa:load",
}
REPOS = {
    "blip-caption": "Salesforce/blip-image-captioning-base",
    "blip-vqa": "Salesforce/blip-vqa-base",
    "vilt-vqa": "dandelin/vilt-b32-finetuned-vqa",
}
TASKS = {"blip-caption": "caption", "blip-vqa": "vqa", "vilt-vqa": "vqa"}
MODULES = {"blip-caption": blip_caption, "blip-vqa": blip_vqa, "vilt-vqa": vilt_vqa}
# dandelin's repo has only pytorch_model.bin on its main branch (safetensors sit in a PR).
VILT_PATTERNS = ("*.json", "*.txt", "pytorch_model.bin")


def _images(n: int) -> list[Image.Image]:
    """Distinct small images of different sizes and modes (one greyscale, one RGBA)."""
    rng = np.random.default_rng(0)
    images = [
        Image.fromarray(rng.integers(0, 255, (30 + 7 * i, 50 - 3 * i, 3), dtype=np.uint8))
        for i in range(n)
    ]
    if n > 2:
        images[1] = images[1].convert("L")
        images[2] = images[2].convert("RGBA")
    return images


def _context(settings: Settings) -> LoadContext:
    return LoadContext(settings, torch.device("cpu"), torch.float32, lambda task: None)


def _tiny_spec(kind: str):
    return spec(
        TASKS[kind],
        f"test-{kind}-tiny",
        LOADERS[kind],
        f"tiny random {kind}",
        options={"tiny": True, "seed": 0},
        is_random=True,
    )


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models gain nothing from threads, and on a busy 2-core machine OpenMP's waiting
    threads made these tests several times slower; restored for the other modules."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """batch_size 2, so that a handful of inputs spans several batches."""
    cache = tmp_path_factory.mktemp("hf-cache")
    return Settings(cache_dir=cache, batch_size=2, index_default_gallery=False)


@pytest.fixture(scope="module")
def captioner(settings) -> blip_caption.BlipCaptioner:
    return blip_caption.load(_tiny_spec("blip-caption"), _context(settings))


@pytest.fixture(scope="module")
def blip_answerer(settings) -> blip_vqa.BlipVqa:
    return blip_vqa.load(_tiny_spec("blip-vqa"), _context(settings))


@pytest.fixture(scope="module")
def vilt_answerer(settings) -> vilt_vqa.ViltVqa:
    return vilt_vqa.load(_tiny_spec("vilt-vqa"), _context(settings))


# -- captioning ------------------------------------------------------------------------
def test_caption_is_text_with_its_method(captioner):
    result = captioner.caption(_images(1)[0])
    assert isinstance(result, CaptionResult)
    assert isinstance(result.caption, str) and result.caption
    assert result.method == "BLIP, beam search (3 beams)"
    info = captioner.info()
    assert info.task == "caption" and info.is_random and info.parameters > 0
    assert "tiny" in info.model


def test_beam_is_deterministic_and_sampling_follows_its_seed(captioner):
    image = _images(1)[0]
    assert captioner.caption(image, max_length=10) == captioner.caption(image, max_length=10)
    first = captioner.caption(image, mode="sample", seed=0, max_length=10)
    assert first.method == "BLIP, nucleus sampling (top-p 0.9, seed 0)"
    assert captioner.caption(image, mode="sample", seed=0, max_length=10) == first
    others = {
        captioner.caption(image, mode="sample", seed=s, max_length=10).caption for s in (1, 2)
    }
    assert others - {first.caption}  # another seed draws another caption
    two_beams = captioner.caption(image, num_beams=2, max_length=5)
    assert two_beams.method == "BLIP, beam search (2 beams)"


def test_prefix_starts_the_caption(captioner):
    result = captioner.caption(_images(1)[0], prefix="  A picture of ", max_length=8)
    assert result.caption.startswith("a picture of")  # BLIP's tokenizer lowercases
    assert "prefix 'A picture of'" in result.method


def test_max_length_bounds_the_caption(captioner):
    short = captioner.caption(_images(1)[0], max_length=5)
    ids = captioner.processor.tokenizer(short.caption, add_special_tokens=False)["input_ids"]
    assert len(ids) <= 5


def test_caption_many_equals_one_by_one_in_beam_mode(captioner):
    images = _images(5)  # batches of 2, 2 and 1
    batched = captioner.caption_many(images, prefix="a photo of", max_length=10)
    single = [captioner.caption(im, prefix="a photo of", max_length=10) for im in images]
    assert batched == single
    assert len({r.caption for r in batched}) > 1  # the images do matter
    assert captioner.caption_many([]) == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"mode": "greedy"}, "beam, sample"),
        ({"max_length": 4}, "between 5 and 100"),
        ({"max_length": 101}, "between 5 and 100"),
        ({"max_length": 2.5}, "whole number"),
        ({"prefix": "x" * 201}, "limit is 200"),
        ({"num_beams": 0}, "num_beams"),
        ({"top_p": 0.0}, "top_p"),
    ],
)
def test_bad_caption_options_are_refused(captioner, options, words):
    with pytest.raises(BadInputError, match=words):
        captioner.caption(_images(1)[0], **options)


def test_a_non_image_is_refused(captioner, blip_answerer):
    with pytest.raises(BadInputError, match="not an image"):
        captioner.caption_many([_images(1)[0], "photo.jpg"])
    with pytest.raises(BadInputError, match="not an image"):
        blip_answerer.answer(np.zeros((4, 4, 3)), "what is it?")


# -- VQA -------------------------------------------------------------------------------
QUESTIONS = ["what color is it?", "how many dogs are sitting next to the tree?", "who?", "is it"]


def test_blip_vqa_gives_one_answer_with_a_probability(blip_answerer):
    result = blip_answerer.answer(_images(1)[0], "What colour is the car?", top_k=5)
    assert isinstance(result, VqaResult) and result.answered
    [answer] = result.answers
    assert isinstance(answer, Scored) and isinstance(answer.label, str) and answer.label
    assert 0.0 <= answer.probability <= 1.0
    assert result.model == blip_answerer.model_label and "beam search" in result.message
    assert "English" not in result.message


def test_blip_answer_probability_is_the_sequence_probability(blip_answerer):
    """The confidence equals P(generated tokens, end token included) by teacher forcing."""
    image, question = _images(1)[0], "what is in the picture?"
    model = blip_answerer.model
    inputs = blip_answerer.preprocess([(image, question)])
    with torch.inference_mode():
        output = blip_answerer._forward(inputs)
    [(text, probability)] = blip_answerer.postprocess(output)
    assert blip_answerer.answer(image, question).answers[0] == Scored(text, probability)
    ids = output.sequences[0].tolist()  # [DEC] answer... [SEP] (padding after it, if any)
    end = model.config.text_config.sep_token_id
    decoder_ids = torch.tensor([ids[: ids.index(end) + 1] if end in ids else ids])
    with torch.inference_mode():
        image_embeds = model.vision_model(pixel_values=inputs["pixel_values"])[0]
        question_embeds = model.text_encoder(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            encoder_hidden_states=image_embeds,
        )[0]
        logits = model.text_decoder(
            input_ids=decoder_ids, encoder_hidden_states=question_embeds
        ).logits
    log_probs = torch.log_softmax(logits[0, :-1], dim=-1)
    expected = log_probs.gather(1, decoder_ids[0, 1:, None]).sum().exp().item()
    assert probability == pytest.approx(expected, rel=1e-3)


def test_blip_answer_many_equals_one_by_one(blip_answerer):
    pairs = list(zip(_images(4), QUESTIONS, strict=True))
    batched = blip_answerer.answer_many(pairs)
    single = [blip_answerer.answer(image, question) for image, question in pairs]
    assert [r.answers[0].label for r in batched] == [r.answers[0].label for r in single]
    for b, s in zip(batched, single, strict=True):
        assert b.answers[0].probability == pytest.approx(s.answers[0].probability, rel=1e-4)


def test_vilt_ranks_top_k_answers(vilt_answerer):
    image = _images(1)[0]
    result = vilt_answerer.answer(image, "what color is the car?", top_k=3)
    assert result.answered and len(result.answers) == 3
    probabilities = [a.probability for a in result.answers]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert all(a.label in TINY_ANSWERS for a in result.answers)
    assert "raw" in result.message and "not normalised" in result.message
    everything = vilt_answerer.answer(image, "what color is the car?", top_k=1000)
    assert len(everything.answers) == len(TINY_ANSWERS)  # top_k is capped at the answer list
    with pytest.raises(BadInputError, match="top_k"):
        vilt_answerer.answer(image, "what?", top_k=0)


def test_vilt_answer_many_equals_one_by_one(vilt_answerer):
    pairs = list(zip(_images(4), QUESTIONS, strict=True))
    batched = vilt_answerer.answer_many(pairs, top_k=2)
    single = [vilt_answerer.answer(image, question, top_k=2) for image, question in pairs]
    for b, s in zip(batched, single, strict=True):
        assert [a.label for a in b.answers] == [a.label for a in s.answers]
        np.testing.assert_allclose(
            [a.probability for a in b.answers], [a.probability for a in s.answers], atol=1e-5
        )


def test_vilt_truncates_long_questions_and_says_so(vilt_answerer):
    image = _images(1)[0]
    long_question = "is there a red car next to the small tree in this picture " * 6
    result = vilt_answerer.answer(image, long_question)
    assert result.answered and "40-token limit" in result.message
    assert "40-token" not in vilt_answerer.answer(image, "is it red?").message


@pytest.mark.parametrize("backend", ["blip_answerer", "vilt_answerer"])
@pytest.mark.parametrize(
    ("question", "words"),
    [("", "The question is empty"), ("  \n\t ", "The question is empty"), ("x" * 5000, "500")],
    ids=["empty", "whitespace", "5000-chars"],
)
def test_bad_questions_are_refused(backend, question, words, request):
    answerer = request.getfixturevalue(backend)
    started = time.perf_counter()
    with pytest.raises(BadInputError, match=words):
        answerer.answer(_images(1)[0], question)
    assert time.perf_counter() - started < 1  # refused before any model work
    with pytest.raises(BadInputError):  # one bad pair refuses the whole batch
        answerer.answer_many([(_images(1)[0], "what?"), (_images(1)[0], question)])


@pytest.mark.parametrize("backend", ["blip_answerer", "vilt_answerer"])
def test_questions_in_another_script_are_answered_with_a_note(backend, request):
    answerer = request.getfixturevalue(backend)
    result = answerer.answer(_images(1)[0], "Какого цвета машина?")
    assert result.answered and "trained on English questions" in result.message


# -- the tiny folders --------------------------------------------------------------------
def test_tiny_folders_are_built_once_per_seed(settings):
    first = tiny_model_dir("blip-caption", settings, seed=0)
    stamp = (first / "config.json").stat().st_mtime_ns
    assert first.parent == Path(settings.cache_dir) / "tiny-hf"
    assert tiny_model_dir("blip-caption", settings, seed=0) == first
    assert (first / "config.json").stat().st_mtime_ns == stamp
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_a_tiny_spec_must_say_it_is_random(settings):
    not_random = spec("caption", "bad", LOADERS["blip-caption"], "x", options={"tiny": True})
    with pytest.raises(ModelLoadError, match="is_random=True"):
        blip_caption.load(not_random, _context(settings))


# -- the full loading path, offline ----------------------------------------------------
def _full_spec(kind: str, **options):
    options = {"repo": REPOS[kind], **options}
    if kind == "vilt-vqa" and "path" not in options:
        options.setdefault("patterns", VILT_PATTERNS)
    return spec(TASKS[kind], f"test-{kind}-full", LOADERS[kind], f"full {kind}", options=options)


def _random_model_folder(kind: str, folder: Path) -> Path:
    """A random model saved with save_pretrained, as a hub repo would hold it."""
    build_tiny(kind, folder, seed=1)
    if kind == "vilt-vqa":  # like dandelin's repo: pytorch_model.bin, no safetensors
        from safetensors.torch import load_file

        state = load_file(folder / "model.safetensors")
        torch.save(state, folder / "pytorch_model.bin")
        (folder / "model.safetensors").unlink()
    return folder


def _exercise(backend, kind: str) -> None:
    """One real call: the loaded model and processor work together."""
    image = _images(1)[0]
    if kind == "blip-caption":
        assert isinstance(backend.caption(image, max_length=6).caption, str)
    else:
        result = backend.answer(image, "what is it?")
        assert isinstance(result, VqaResult) and result.model == backend.model_label


@pytest.mark.parametrize("kind", list(LOADERS))
def test_full_loads_a_local_folder_given_as_path(kind, tmp_path, settings):
    folder = _random_model_folder(kind, tmp_path / "model")
    backend = MODULES[kind].load(_full_spec(kind, path=str(folder)), _context(settings))
    assert str(folder) in backend.model_label and not backend.info().is_random
    _exercise(backend, kind)


def test_a_path_without_a_model_is_a_clear_error(tmp_path, settings):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match=r"not a folder with config\.json and a weights"):
        blip_caption.load(_full_spec("blip-caption", path=str(tmp_path)), _context(settings))


@pytest.fixture
def registered(request):
    """Register a ``full``-style spec for the test and unregister it afterwards."""
    added = []

    def register(backend_spec):
        add_backend(backend_spec, replace=True)
        added.append(backend_spec)
        return backend_spec

    yield register
    for backend_spec in added:
        remove_backend(backend_spec.task, backend_spec.name)


@pytest.mark.parametrize("kind", list(LOADERS))
def test_full_repo_downloads_once_then_loads_from_the_cache_offline(
    kind, tmp_path, monkeypatch, registered
):
    """repo -> (hub answers) snapshot into the cache -> offline, the same load hits no network.

    Through the serving module's front door, with the backend chosen by MMDEMO_BACKENDS.
    """
    repo = REPOS[kind]
    full = registered(_full_spec(kind))
    [weights] = MODULES[kind].hub_weights(full, Settings())
    assert weights.repo_id == repo
    cache = tmp_path / "cache"
    settings = Settings(
        preset="tiny",
        cache_dir=cache,
        backends=f"{full.task}={full.name}",
        index_default_gallery=False,
    )
    source = _random_model_folder(kind, tmp_path / "repo")
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.iterdir():
            hub.add_file(repo, path.name, path)
        hub.add_file(repo, "README.md", b"# model card\n")
        use_hub(monkeypatch, hub.url)
        backend = ModelServer(settings).get(full.task)  # not cached: downloaded on first use
        assert backend.model_label == repo
        assert not any("README" in path for _, path in hub.requests)
        assert is_cached(weights, cache)

        go_offline(monkeypatch)
        seen = len(hub.requests)
        backend = ModelServer(settings).get(full.task)
        assert len(hub.requests) == seen  # loaded from the cache, no network
        assert backend.model_label == repo and not backend.info().is_random
        _exercise(backend, kind)


def test_download_command_fills_the_cache_that_load_reads(tmp_path, monkeypatch):
    """``download_weights`` (the download command's body) and ``load`` agree on the files."""
    kind, repo = "blip-vqa", REPOS["blip-vqa"]
    full = _full_spec(kind)
    cache = tmp_path / "cache"
    source = _random_model_folder(kind, tmp_path / "repo")
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.iterdir():
            hub.add_file(repo, path.name, path)
        use_hub(monkeypatch, hub.url)
        [fetched] = download_weights(blip_vqa.hub_weights(full, Settings()), cache)
        assert fetched.downloaded
    go_offline(monkeypatch)
    backend = blip_vqa.load(full, _context(Settings(cache_dir=cache)))
    assert backend.model_label == repo
    snapshot = fetched.paths[0].parent
    (snapshot / "model.safetensors").unlink()  # a partial snapshot is not used
    with pytest.raises(ModelLoadError, match="cannot be reached"):
        blip_vqa.load(full, _context(Settings(cache_dir=cache)))


@pytest.mark.parametrize("offline", [False, True], ids=["nothing-listens", "HF_HUB_OFFLINE"])
@pytest.mark.parametrize("kind", list(LOADERS))
def test_not_cached_and_no_hub_fails_fast_with_advice(kind, offline, tmp_path, monkeypatch):
    unreachable_hub(monkeypatch, offline)
    loader = MODULES[kind]
    started = time.perf_counter()
    with pytest.raises(ModelLoadError) as caught:
        loader.load(_full_spec(kind), _context(Settings(cache_dir=tmp_path / "empty")))
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert REPOS[kind] in message and "cannot be reached" in message
    assert "python -m mmdemo download" in message and "MMDEMO_PRESET=lite" in message


def test_hub_weights_name_the_repo_only_for_hub_specs():
    full = _full_spec("blip-caption")
    assert blip_caption.hub_weights(full, Settings()) == [
        HubWeights(REPOS["blip-caption"], patterns=DEFAULT_PATTERNS)
    ]
    [vilt] = vilt_vqa.hub_weights(_full_spec("vilt-vqa"), Settings())
    assert vilt.repo_id == REPOS["vilt-vqa"] and vilt.patterns == VILT_PATTERNS
    assert blip_vqa.hub_weights(_tiny_spec("blip-vqa"), Settings()) == []
    assert blip_vqa.hub_weights(_full_spec("blip-vqa", path="/models/blip"), Settings()) == []


def test_missing_transformers_class_says_what_to_install():
    assert require_transformers_class("BlipProcessor").__name__ == "BlipProcessor"
    with pytest.raises(ModelLoadError, match="pip install"):
        require_transformers_class("NoSuchModelForAnything", "some model")


def test_a_snapshot_without_its_vocabulary_is_not_cached(tmp_path, monkeypatch):
    """An interrupted download (no vocabulary) is fetched again, not taken as complete."""
    from mmdemo.models.download import is_cached

    kind, repo = "blip-vqa", REPOS["blip-vqa"]
    cache = tmp_path / "cache"
    source = _random_model_folder(kind, tmp_path / "repo")
    [weights] = blip_vqa.hub_weights(_full_spec(kind), Settings())
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.iterdir():
            hub.add_file(repo, path.name, path)
        use_hub(monkeypatch, hub.url)
        [fetched] = download_weights([weights], cache)
        assert is_cached(weights, cache)
        snapshot = fetched.paths[0].parent
        for name in ("vocab.txt", "tokenizer.json"):  # transformers 5 may save either
            (snapshot / name).unlink(missing_ok=True)
        assert not is_cached(weights, cache)
        [again] = download_weights([weights], cache)
        assert again.downloaded and is_cached(weights, cache)
