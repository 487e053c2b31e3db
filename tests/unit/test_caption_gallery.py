"""Captioning the gallery (batched, saved per batch, resumable) and the searches captions enable.

The embedder is the tiny preset's (random weights: shapes and behaviour, not meaning); the
captioner is a registered fake that names each test image's colour and counts its calls,
so the tests can tell which images were captioned in which run.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from mmdemo.caption_gallery import CaptionReport, caption_gallery
from mmdemo.config import Settings
from mmdemo.errors import BadInputError
from mmdemo.gallery import (
    HYBRID_WORD_WEIGHT,
    CaptionHit,
    Gallery,
    caption_words,
    word_match,
)
from mmdemo.models import add_backend
from mmdemo.models.registry import BackendSpec, remove_backend
from mmdemo.serving import ModelServer
from mmdemo.types import CaptionResult
from tests.conftest import write_test_image

COLORS = {
    "red": (220, 30, 30),
    "green": (30, 200, 30),
    "blue": (30, 30, 220),
    "yellow": (240, 240, 20),
    "cyan": (20, 220, 220),
    "black": (0, 0, 0),
}
CALLS: list[str] = []  # one entry per captioned image: "one:<colour>" or "many:<colour>"


def colour_name(image: Image.Image) -> str:
    """The test colour nearest to the image's top-middle pixel (above the gradient stripe)."""
    pixel = np.array(image.getpixel((image.width // 2, image.height // 4)), dtype=float)
    return min(COLORS, key=lambda name: float(np.sum((np.array(COLORS[name]) - pixel) ** 2)))


class FakeCaptioner:
    """Only ``caption``: the job must call it once per image."""

    task = "caption"

    def __init__(self, spec):
        self.spec = spec

    def caption(self, image, **options):
        name = colour_name(image)
        if name == "black" and self.spec.option("fail_on_black"):
            raise RuntimeError("this backend cannot handle black images")
        CALLS.append(f"one:{name}")
        return CaptionResult(f"a {name} square", "fake colour namer")


class BatchFakeCaptioner(FakeCaptioner):
    """Also ``caption_many`` (like the BLIP backend): the job must prefer it."""

    def caption_many(self, images, **options):
        if self.spec.option("fail_on_black") and any(colour_name(i) == "black" for i in images):
            raise RuntimeError("the batch holds a black image")
        names = [colour_name(image) for image in images]
        CALLS.extend(f"many:{n}" for n in names)
        return [CaptionResult(f"a {n} square", "fake colour namer") for n in names]


def load_fake(spec, ctx):
    return BatchFakeCaptioner(spec) if spec.option("batched") else FakeCaptioner(spec)


FAKES = {
    "fake-caption-one": {},
    "fake-caption-many": {"batched": True},
    "fake-caption-fragile": {"batched": True, "fail_on_black": True},
}


@pytest.fixture(scope="module", autouse=True)
def fake_backends():
    """Register the fake captioners for this module, and remove them after."""
    for name, options in FAKES.items():
        add_backend(BackendSpec("caption", name, f"{__name__}:load_fake", "test", options=options))
    yield
    for name in FAKES:
        remove_backend("caption", name)


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    for name, color in COLORS.items():
        write_test_image(folder / f"{name}.png", color=color)
    return folder


def make(tmp_path, backend="fake-caption-one"):
    """(server, gallery) over tmp_path/index with the tiny embedder and a fake captioner."""
    settings = Settings(
        preset="tiny",
        backends=f"caption={backend}",
        index_dir=tmp_path / "index",
        index_default_gallery=False,
    )
    server = ModelServer(settings)
    return server, Gallery(server, settings)


def stored_captions(tmp_path) -> dict[str, str | None]:
    """{file name: caption} as saved on disk (a fresh gallery reads the index again)."""
    _, fresh = make(tmp_path)
    return {item.path.rsplit("/", 1)[-1]: item.caption for item in fresh.index.items()}


class Stop(Exception):
    pass


@pytest.mark.parametrize("backend", ["fake-caption-one", "fake-caption-many"])
def test_captions_are_stored_saved_and_not_redone(tmp_path, photos, backend):
    server, gallery = make(tmp_path, backend)
    gallery.add_directory(photos)
    seen = []
    report = caption_gallery(
        gallery, server, batch_size=4, progress=lambda d, t: seen.append((d, t))
    )
    assert isinstance(report, CaptionReport)
    assert (report.captioned, report.skipped, report.failed, report.total) == (6, 0, [], 6)
    assert seen == [(0, 6), (4, 6), (6, 6)]
    assert report.model and report.seconds >= 0
    kind = "many" if backend.endswith("many") else "one"
    assert sorted(CALLS) == sorted(f"{kind}:{name}" for name in COLORS)
    assert stored_captions(tmp_path) == {f"{n}.png": f"a {n} square" for n in COLORS}
    hits = gallery.search_text("anything", k=6).hits  # search results carry the captions
    assert all(h.caption == f"a {h.path.rsplit('/', 1)[-1][:-4]} square" for h in hits)

    CALLS.clear()
    again = caption_gallery(gallery, server, batch_size=4)
    assert (again.captioned, again.skipped) == (0, 6) and CALLS == []
    redo = caption_gallery(gallery, server, batch_size=4, overwrite=True)
    assert (redo.captioned, redo.skipped) == (6, 0) and len(CALLS) == 6


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, photos):
    server, gallery = make(tmp_path)
    gallery.add_directory(photos)

    def stop_after_first_batch(done, total):
        if done > 0:
            raise Stop

    with pytest.raises(Stop):
        caption_gallery(gallery, server, batch_size=2, progress=stop_after_first_batch)
    first = list(CALLS)
    assert len(first) == 2
    on_disk = stored_captions(tmp_path)  # the first batch was saved before the interruption
    assert sum(1 for c in on_disk.values() if c) == 2

    CALLS.clear()
    server2, resumed = make(tmp_path)  # a new process: only the index on disk is shared
    report = caption_gallery(resumed, server2, batch_size=2)
    assert (report.captioned, report.skipped) == (4, 2)
    assert len(CALLS) == 4 and not set(CALLS) & set(first)
    assert all(stored_captions(tmp_path).values())


def test_unreadable_images_are_reported_and_skipped(tmp_path, photos):
    server, gallery = make(tmp_path)
    gallery.add_directory(photos)
    (photos / "green.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (photos / "blue.png").unlink()
    report = caption_gallery(gallery, server, batch_size=4)
    assert report.captioned == 4
    failed = dict(report.failed)
    assert set(failed) == {"green.png", "blue.png"}
    assert "not found" in failed["blue.png"]
    assert "failed: green.png" in report.summary()
    captions = stored_captions(tmp_path)
    assert captions["green.png"] is None and captions["red.png"] == "a red square"


def test_a_failing_batch_is_retried_image_by_image(tmp_path, photos):
    server, gallery = make(tmp_path, "fake-caption-fragile")
    gallery.add_directory(photos)
    report = caption_gallery(gallery, server, batch_size=3)
    assert report.captioned == 5
    assert [name for name, _ in report.failed] == ["black.png"]
    assert "RuntimeError" in report.failed[0][1]


def test_captioning_alongside_adds_keeps_everything(tmp_path, photos):
    server, gallery = make(tmp_path)
    gallery.add_directory(photos)
    extra = tmp_path / "extra"
    for i in range(6):
        write_test_image(extra / f"extra{i}.png", color=(40 * i, 10, 200 - 30 * i))
    barrier = threading.Barrier(2)
    results = {}

    def caption():
        barrier.wait()
        results["caption"] = caption_gallery(gallery, server, batch_size=1)

    def add():
        barrier.wait()
        results["add"] = gallery.add_directory(extra)

    threads = [threading.Thread(target=caption), threading.Thread(target=add)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results["add"].added == 6
    captions = stored_captions(tmp_path)
    assert len(captions) == 12
    assert all(captions[f"{name}.png"] == f"a {name} square" for name in COLORS)


def test_captions_for_a_rebuilt_index_are_refused(tmp_path, photos):
    _, gallery = make(tmp_path)
    gallery.add_directory(photos)
    old = gallery.index
    gallery.reset()
    with pytest.raises(BadInputError, match="rebuilt"):
        gallery.store_captions({0: "stale"}, index=old)


def test_image_to_text_ranks_the_gallery_captions(tmp_path, photos):
    server, gallery = make(tmp_path)
    gallery.add_directory(photos)
    query = Image.open(photos / "red.png").convert("RGB")
    with pytest.raises(BadInputError, match="caption the gallery first"):
        gallery.search_image_to_text(query, k=3)
    caption_gallery(gallery, server, batch_size=6)
    # two items sharing a caption: it is listed once, with the first item (lowest id)
    yellow = next(m for m in gallery.index.items() if m.path.endswith("yellow.png"))
    gallery.store_captions({yellow.id: "a blue square"}, overwrite=True)

    hits = gallery.search_image_to_text(query, k=10)
    assert all(isinstance(h, CaptionHit) for h in hits)
    expected = sorted(f"a {n} square" for n in COLORS if n != "yellow")
    assert sorted(h.caption for h in hits) == expected
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    embedder = server.get("embed")
    image_vector = embedder.embed_images([query])[0]
    for hit in hits:
        cosine = float(embedder.embed_texts([hit.caption])[0] @ image_vector)
        assert hit.score == pytest.approx(cosine, abs=1e-5)
        assert gallery.index.get(hit.id).caption == hit.caption
        assert hit.path == gallery.index.get(hit.id).path
    blue = next(h for h in hits if h.caption == "a blue square")
    assert blue.path.endswith("blue.png") and blue.id < yellow.id
    assert len(gallery.search_image_to_text(query, k=2)) == 2

    # the cached caption vectors follow caption changes
    gallery.store_captions({blue.id: "a navy square"}, overwrite=True)
    hits = {h.caption: h for h in gallery.search_image_to_text(query, k=10)}
    assert "a navy square" in hits and hits["a blue square"].id == yellow.id


def test_caption_words_and_word_match():
    words = caption_words("Two CATS on the mat, a glass!")
    assert words == frozenset({"two", "cat", "mat", "glass"})
    assert caption_words("a photo of the") == frozenset({"a", "photo", "of", "the"})
    assert caption_words("") == frozenset()
    query = caption_words("the cats and a dog")  # {cat, dog}
    assert word_match(query, "A cat sleeping on a sofa") == 0.5
    assert word_match(query, "dogs chasing a cat") == 1.0
    assert word_match(query, None) == 0.0 and word_match(frozenset(), "a cat") == 0.0


def test_hybrid_score_is_cosine_plus_weighted_word_match(tmp_path, photos, monkeypatch):
    _, gallery = make(tmp_path)
    gallery.add_directory(photos)
    plain = {h.id: h.score for h in gallery.search_text("a yellow cat", k=6).hits}
    worst = min(plain, key=plain.get)  # the embedding ranks it last
    others = [i for i in plain if i != worst]
    gallery.store_captions({worst: "a fat yellow cat", others[0]: "a yellow car"})

    unchanged = gallery.search_text("a yellow cat", k=6)
    assert {h.id: h.score for h in unchanged.hits} == plain  # hybrid is off by default

    result = gallery.search_text("a yellow cat", k=6, hybrid=True)
    scores = {h.id: h.score for h in result.hits}
    assert scores[worst] == pytest.approx(plain[worst] + HYBRID_WORD_WEIGHT * 1.0)
    assert scores[others[0]] == pytest.approx(plain[others[0]] + HYBRID_WORD_WEIGHT * 0.5)
    for item_id in others[1:]:
        assert scores[item_id] == pytest.approx(plain[item_id])
    assert [h.score for h in result.hits] == sorted(scores.values(), reverse=True)
    assert "Hybrid" in result.message

    # an item outside the embedding pool still counts when its caption matches
    monkeypatch.setattr("mmdemo.gallery.HYBRID_POOL", 1)
    narrow = {h.id: h.score for h in gallery.search_text("a yellow cat", k=1, hybrid=True).hits}
    best = max(scores, key=scores.get)
    assert narrow == {best: pytest.approx(scores[best])}


def test_hybrid_without_captions_says_so(tmp_path, photos):
    _, gallery = make(tmp_path)
    gallery.add_directory(photos)
    result = gallery.search_text("a cat", k=3, hybrid=True)
    plain = gallery.search_text("a cat", k=3)
    assert [h.id for h in result.hits] == [h.id for h in plain.hits]
    assert "No image has a caption yet" in result.message
