"""``index --engine ray``: the same index as the local engine, built on Ray.

One local Ray (2 CPUs, no dashboard) serves the whole module; the lite preset's real
embedder runs in this process (the local engine, and Ray's default on one machine: decode
tasks feed the driver's model) and in a Ray model actor, over the same folder with a
duplicate and an unreadable file, and every index must hold the same ids, metadata and
vectors. The plan (actors, decode slots) is checked on its own, without Ray.
"""

from __future__ import annotations

import logging
import pickle
import sys
import time

import numpy as np
import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import MissingPackageError
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from tests.support.app_process import run_mmdemo, run_python, user_error
from tests.support.images import write_test_image

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.integration

from mmdemo.services import ray_ingest  # noqa: E402  (after the skip: it needs no ray to import)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """12 files: 10 distinct photos in nested folders, one byte-for-byte repeat, one broken."""
    folder = tmp_path_factory.mktemp("ray") / "photos"
    for i in range(10):
        color = (25 * i, 220 - 20 * i, (90 * i) % 256)
        write_test_image(folder / f"d{i % 3}" / f"p{i}.jpg", color=color)
    (folder / "again.jpg").write_bytes((folder / "d0" / "p0.jpg").read_bytes())
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return folder


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _gallery(index_dir) -> Gallery:
    settings = Settings(preset="lite", index_dir=index_dir, index_default_gallery=False)
    return Gallery(ModelServer(settings), settings)


@pytest.fixture(scope="module")
def both(photos, local_ray, tmp_path_factory):
    """(local gallery, its report, ray gallery, its RayIndexReport) over the same folder."""
    root = tmp_path_factory.mktemp("indexes")
    local = _gallery(root / "local")
    local_report = local.add_directory(photos)
    on_ray = _gallery(root / "ray")
    ray_report = ray_ingest.ray_add_directory(on_ray, photos, batch_size=4)
    return local, local_report, on_ray, ray_report


def _assert_same_index(local, local_report, on_ray, ray_report):
    assert ray_report.report.to_json() == local_report.to_json()
    assert ray_report.shards == 3  # 12 files in batches of 4: one shard per batch
    a, b = local.index.items(), on_ray.index.items()
    assert len(a) == len(b) == 10
    for x, y in zip(a, b, strict=True):
        assert (x.id, x.name, x.path, x.sha256, x.width, x.height, x.size_bytes) == (
            y.id, y.name, y.path, y.sha256, y.width, y.height, y.size_bytes,
        )  # fmt: skip
        assert np.allclose(local.index.vector(x.id), on_ray.index.vector(y.id), atol=1e-5)
    # and what is searched is the same: each photo's nearest neighbour is itself, in both
    query = local.index.vector(a[3].id)[None]
    ((hits_local, hits_ray),) = zip(
        local.index.search(query, 3), on_ray.index.search(query, 3), strict=True
    )
    assert [i for i, _ in hits_ray] == [i for i, _ in hits_local] and hits_ray[0][0] == a[3].id
    assert [s for _, s in hits_ray] == pytest.approx([s for _, s in hits_local], abs=1e-5)


def test_same_index_as_the_local_engine(both):
    """Ray's default on one machine without GPUs: no actor, the driver's model embeds."""
    _assert_same_index(*both)
    assert both[3].actors == 0 and "on the driver's model, CPU" in both[3].summary()


def test_a_model_actor_builds_the_same_index(both, photos, tmp_path, caplog):
    """--ray-actors 1: the model loads in an actor process; same index, stages logged."""
    local, local_report, _, _ = both
    on_actor = _gallery(tmp_path / "actor")
    with caplog.at_level(logging.INFO, logger="mmdemo.services.ray_ingest"):
        report = ray_ingest.ray_add_directory(on_actor, photos, batch_size=4, actors=1)
    _assert_same_index(local, local_report, on_actor, report)
    assert report.actors == 1 and "on 1 model actor(s), CPU" in report.summary()
    (stages,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Ray stages")]
    assert "model loaded in" in stages and "for 3 batch(es)" in stages
    deadline = time.monotonic() + 30  # ray.kill is asynchronous: the CPU comes back soon
    while ray.available_resources().get("CPU") != 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ray.available_resources().get("CPU") == 2  # the actor was killed: its CPU is free


def test_decode_tasks_use_the_numpy_twin_and_never_import_torch(both, photos, tmp_path):
    """The lite embedder's preprocessing is replayed without torch, bit for bit; a fresh
    process (what a decode worker is) preprocesses a photo without importing torch."""
    local = both[0]
    stand_in, shape = ray_ingest._stand_in(local.embedder)
    assert type(stand_in).__name__ == "TwinPreprocess" and shape == (3, 224, 224)
    blob = tmp_path / "stand_in.pkl"
    blob.write_bytes(pickle.dumps(stand_in))
    photo = next(iter(sorted(photos.rglob("p1.jpg"))))
    code = (
        "import pickle, sys, numpy as np\n"
        "from mmdemo.services.ingest import prepare_file\n"
        f"stand_in = pickle.loads(open({str(blob)!r}, 'rb').read())\n"
        f"item = prepare_file({str(photo)!r}, stand_in, 64_000_000, lambda sha: False)\n"
        f"np.save({str(tmp_path / 'tensor.npy')!r}, np.asarray(item.tensor))\n"
        "print('torch' in sys.modules)\n"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    from mmdemo.services.ingest import prepare_file

    want = prepare_file(str(photo), local.embedder, 64_000_000, lambda sha: False).tensor
    assert np.array_equal(np.load(tmp_path / "tensor.npy"), want.numpy())


@pytest.mark.parametrize(
    ("cpus", "gpus", "actors", "here", "want"),
    [
        (2, 0, None, True, (0, 0, 1.0, 2)),  # one machine: the driver embeds, 2 decode
        (2, 0, None, False, (1, 0, 1.0, 2)),  # a cluster without GPUs: one CPU actor
        (2, 0, 2, True, (2, 0, 0.75, 1)),  # two actors shrink to leave one decode slot
        (16, 4, None, False, (4, 1, 0.0, 32)),  # one actor per GPU, all CPUs decode
        (16, 4, 2, False, (2, 1, 0.0, 32)),
        (16, 4, 0, True, (0, 0, 1.0, 30)),  # asked for none: the driver embeds
    ],
)
def test_plan_actors_and_decode_slots(cpus, gpus, actors, here, want):
    got = ray_ingest.plan(cpus, gpus, actors, 0.5, 1.0, here=here)
    assert (got.actors, got.gpu_per_actor, got.actor_cpus, got.decode_slots) == want


def test_report_names_the_unreadable_file_and_the_repeat(both):
    _, _, on_ray, result = both
    assert [u.path for u in result.report.unreadable] == ["broken.png"]
    assert [(d.name, d.existing, d.in_upload) for d in result.report.duplicate_of] == [
        ("p0.jpg", "again.jpg", True)
    ]
    text = result.summary()
    assert "broken.png is unreadable" in text and "img/s" in text
    assert result.to_json()["engine"] == "ray" and result.images == 12
    assert not list(on_ray.index_dir.glob(".ray-shards-*"))  # scratch shards are cleaned up


def test_rerun_adds_nothing_and_embeds_nothing_it_has(both, photos):
    _, _, on_ray, _ = both
    again = ray_ingest.ray_add_directory(on_ray, photos, batch_size=4)
    assert again.report.added == 0
    assert again.report.duplicates == 11  # 10 known + the repeat, each named
    assert again.report.total == 10
    reopened = _gallery(on_ray.index_dir)  # what was saved, not what is in memory
    assert len(reopened.index) == 10


def test_missing_ray_names_the_requirements_file(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(MissingPackageError, match=r"requirements-scale\.txt"):
        ray_ingest.import_ray()


def test_cli_engine_ray_end_to_end(photos, tmp_path):
    """The command as a user runs it (its own local Ray, tiny preset), then a re-run."""
    index_dir = str(tmp_path / "index")
    first = run_mmdemo("index", str(photos), "--engine", "ray", "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    assert "added 10, skipped 1 duplicate(s), 1 unreadable" in first.stdout
    assert "broken.png is unreadable" in first.stdout and "img/s" in first.stdout
    bad = run_mmdemo("index", str(photos), "--ray-address", "auto", "--index-dir", index_dir)
    assert "--engine ray" in user_error(bad)
