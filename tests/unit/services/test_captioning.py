"""Captioning the gallery: batched, saved per batch, resumable, failures named and skipped.

The embedder is the tiny preset's (random weights: shapes and behaviour, not meaning); the
captioner is a registered fake that names each test image's colour and counts its calls
(``tests/support/fake_captioner.py``), so the tests can tell which images were captioned
in which run.
"""

from __future__ import annotations

import threading

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.results import CaptionReport
from mmdemo.services.captioning import CAPTION_BATCH_SIZE, caption_gallery, model_name
from mmdemo.services.search import GallerySearch
from mmdemo.serving import ModelServer
from tests.support import fake_captioner
from tests.support.fake_captioner import CALLS, COLOURS, captioning_gallery, write_colour_photos
from tests.support.images import write_test_image


@pytest.fixture(scope="module", autouse=True)
def fake_backends():
    """Register the fake captioners for this module, and remove them after."""
    fake_captioner.register_fakes()
    yield
    fake_captioner.unregister_fakes()


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


@pytest.fixture
def photos(tmp_path):
    return write_colour_photos(tmp_path / "photos")


def stored_captions(tmp_path) -> dict[str, str | None]:
    """{file name: caption} as saved on disk (a fresh gallery reads the index again)."""
    _, fresh = captioning_gallery(tmp_path)
    return {item.path.rsplit("/", 1)[-1]: item.caption for item in fresh.index.items()}


class Stop(Exception):
    pass


@pytest.mark.parametrize("backend", ["fake-caption-one", "fake-caption-many"])
def test_captions_are_stored_saved_and_not_redone(tmp_path, photos, backend):
    server, gallery = captioning_gallery(tmp_path, backend)
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
    assert sorted(CALLS) == sorted(f"{kind}:{name}" for name in COLOURS)
    assert stored_captions(tmp_path) == {f"{n}.png": f"a {n} square" for n in COLOURS}
    hits = GallerySearch(gallery).text("anything", k=6).hits  # results carry the captions
    assert all(h.caption == f"a {h.path.rsplit('/', 1)[-1][:-4]} square" for h in hits)

    CALLS.clear()
    again = caption_gallery(gallery, server, batch_size=4)
    assert (again.captioned, again.skipped) == (0, 6) and CALLS == []
    redo = caption_gallery(gallery, server, batch_size=4, overwrite=True)
    assert (redo.captioned, redo.skipped) == (6, 0) and len(CALLS) == 6


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, photos):
    server, gallery = captioning_gallery(tmp_path)
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
    # a new process: only the index on disk is shared
    server2, resumed = captioning_gallery(tmp_path)
    report = caption_gallery(resumed, server2, batch_size=2)
    assert (report.captioned, report.skipped) == (4, 2)
    assert len(CALLS) == 4 and not set(CALLS) & set(first)
    assert all(stored_captions(tmp_path).values())


def test_unreadable_images_are_reported_and_skipped(tmp_path, photos):
    server, gallery = captioning_gallery(tmp_path)
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
    server, gallery = captioning_gallery(tmp_path, "fake-caption-fragile")
    gallery.add_directory(photos)
    report = caption_gallery(gallery, server, batch_size=3)
    assert report.captioned == 5
    assert [name for name, _ in report.failed] == ["black.png"]
    assert "RuntimeError" in report.failed[0][1]


def test_captioning_alongside_adds_keeps_everything(tmp_path, photos):
    server, gallery = captioning_gallery(tmp_path)
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
    assert all(captions[f"{name}.png"] == f"a {name} square" for name in COLOURS)


@pytest.mark.parametrize(
    ("size", "message"), [("many", "whole number"), (None, "whole number"), (0, "at least 1")]
)
def test_a_bad_batch_size_is_refused(tmp_path, size, message):
    server, gallery = captioning_gallery(tmp_path)
    with pytest.raises(BadInputError, match=message):
        caption_gallery(gallery, server, batch_size=size)


def test_the_report_names_the_model(tmp_path, photos):
    server, gallery = captioning_gallery(tmp_path)
    gallery.add_directory(photos)
    assert CAPTION_BATCH_SIZE == 8
    assert model_name(server.get("caption")) == "FakeCaptioner"  # no info(): the class name
    report = caption_gallery(gallery, server)
    assert report.model == "FakeCaptioner" and "with FakeCaptioner" in report.summary()
    blip = ModelServer(Settings(preset="tiny", index_dir=tmp_path / "unused")).get("caption")
    info = blip.info()
    assert info.backend == "blip-caption-tiny"
    assert model_name(blip) == f"blip-caption-tiny ({info.model})"


def test_captions_the_lite_model_is_not_sure_of_are_not_stored(tmp_path):
    """lite's label captioner knows the espresso and guesses at the Hubble deep field: the
    guess is reported by name and left out of the index, so no search matches it."""
    import shutil

    from mmdemo.core.config import PROJECT_ROOT
    from mmdemo.services.gallery import Gallery

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("coffee_cup.png", "hubble_deep_field.jpg"):
        shutil.copy(PROJECT_ROOT / "assets" / "gallery" / name, photos / name)
    settings = Settings(preset="lite", index_dir=tmp_path / "index", index_default_gallery=False)
    server = ModelServer(settings)
    gallery = Gallery(server, settings)
    gallery.add_directory(photos)
    report = caption_gallery(gallery, server)
    assert report.captioned == 1 and report.unsure == ["hubble_deep_field.jpg"]
    assert "1 left without a caption (the model was not sure)" in report.summary()
    assert report.to_json()["unsure"] == ["hubble_deep_field.jpg"]
    stored = {item.path.rsplit("/", 1)[-1]: item.caption for item in gallery.index.items()}
    assert "espresso" in stored["coffee_cup.png"] and stored["hubble_deep_field.jpg"] is None
    chinese = caption_gallery(gallery, server, overwrite=True, language="zh")
    assert chinese.captioned == 1 and chinese.unsure == ["hubble_deep_field.jpg"]
    stored = {item.path.rsplit("/", 1)[-1]: item.caption for item in gallery.index.items()}
    assert "意式浓缩咖啡" in stored["coffee_cup.png"]


def test_a_model_that_writes_english_only_captions_in_english_and_says_so(tmp_path, photos):
    server, gallery = captioning_gallery(tmp_path)
    gallery.add_directory(photos)
    report = caption_gallery(gallery, server, batch_size=4, language="zh")
    assert report.captioned == len(COLOURS)
    assert report.model == "FakeCaptioner; writes English only, so the captions are in English"
    with pytest.raises(BadInputError, match="caption language"):
        caption_gallery(gallery, server, language="fr")
