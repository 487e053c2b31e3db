"""The index on disk: round trips, refusals, corruption, interrupted and concurrent saves."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from mmdemo.core.errors import IndexCorruptError, IndexMismatchError
from mmdemo.index import VectorIndex, kernels, storage
from tests.support.vectors import DIM, MODEL, OTHER_MODEL, clustered, make_metas, unit


def test_save_load_round_trip(tmp_path, small, rng):
    index, _ = small
    index.remove([5, 6])
    index.update_meta(9, caption="nine")
    queries = rng.standard_normal((6, DIM))
    before = index.search(queries, 8, exclude_ids=[9])
    assert not VectorIndex.exists(tmp_path)
    index.save(tmp_path)
    assert VectorIndex.exists(tmp_path)

    loaded = VectorIndex.load(tmp_path, expected_model_id=MODEL, expected_dim=DIM, use_gpu=False)
    assert len(loaded) == 298 and loaded.model_id == MODEL and loaded.dim == DIM
    assert loaded.items() == index.items()
    assert loaded.search(queries, 8, exclude_ids=[9]) == before  # same ids, same scores
    np.testing.assert_array_equal(loaded.vector(299), index.vector(299))

    manifest = VectorIndex.read_manifest(tmp_path)
    assert manifest["format_version"] == 1 and manifest["count"] == 298
    assert manifest["next_id"] == 300 and manifest["kind"] == "flat"
    assert manifest["metric"] == "inner_product" and manifest["normalized"] is True
    assert {"faiss_version", "created_at", "updated_at"} <= manifest.keys()
    files = manifest["files"]
    assert sorted(os.listdir(tmp_path)) == sorted(["manifest.json", *files.values()])
    ids = np.load(tmp_path / files["ids"], allow_pickle=False)
    assert ids.dtype == np.int64 and ids.tolist() == [m.id for m in index.items()]
    lines = (tmp_path / files["metadata"]).read_text(encoding="utf-8").splitlines()
    by_id = {item["id"]: item for item in map(json.loads, lines)}
    assert len(by_id) == 298 and by_id[9]["caption"] == "nine" and by_id[8]["caption"] is None

    index.add(rng.standard_normal((1, DIM)), make_metas(1, 300))
    index.save(tmp_path)  # the previous generation's files are deleted
    new_files = VectorIndex.read_manifest(tmp_path)["files"]
    assert sorted(os.listdir(tmp_path)) == sorted(["manifest.json", *new_files.values()])
    assert len(VectorIndex.load(tmp_path)) == 299


def test_created_at_survives_saves(tmp_path, small):
    index, _ = small
    index.save(tmp_path)
    created = VectorIndex.read_manifest(tmp_path)["created_at"]
    loaded = VectorIndex.load(tmp_path)
    loaded.save(tmp_path)
    assert VectorIndex.read_manifest(tmp_path)["created_at"] == created


def test_manifest_from_another_model_is_refused(tmp_path, small):
    index, _ = small
    index.save(tmp_path)
    with pytest.raises(IndexMismatchError) as err:
        VectorIndex.load(tmp_path, expected_model_id=OTHER_MODEL)
    assert MODEL in str(err.value) and OTHER_MODEL in str(err.value)
    with pytest.raises(IndexMismatchError) as err:
        VectorIndex.load(tmp_path, expected_model_id=MODEL, expected_dim=768)
    assert f"dim {DIM}" in str(err.value) and "dim 768" in str(err.value)
    assert len(VectorIndex.load(tmp_path, expected_model_id=MODEL, expected_dim=DIM)) == 300


def _manifest_edit(**changes):
    def edit(directory):
        path = directory / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest.update(changes)
        path.write_text(json.dumps(manifest))

    return edit


def _file(key, action):
    def edit(directory):
        path = directory / VectorIndex.read_manifest(directory)["files"][key]
        action(path)

    return edit


def _rewrite_metadata(transform):
    def action(path):
        lines = path.read_text().splitlines()
        path.write_text("\n".join(transform(lines)) + "\n")

    return _file("metadata", action)


def _swap_id(lines):
    item = json.loads(lines[3])
    item["id"] = 12345
    return [*lines[:3], json.dumps(item), *lines[4:]]


CORRUPTIONS = {
    "manifest missing": lambda d: (d / "manifest.json").unlink(),
    "manifest not json": lambda d: (d / "manifest.json").write_text("{not json"),
    "manifest not an object": lambda d: (d / "manifest.json").write_text("[1, 2]"),
    "format_version 2": _manifest_edit(format_version=2),
    "count mismatch": _manifest_edit(count=301),
    "metric changed": _manifest_edit(metric="l2"),
    "file name leaves the folder": _manifest_edit(
        files={"vectors": "../vectors.npy", "ids": "ids.npy", "metadata": "m.jsonl"}
    ),
    "vectors missing": _file("vectors", lambda p: p.unlink()),
    "ids missing": _file("ids", lambda p: p.unlink()),
    "metadata missing": _file("metadata", lambda p: p.unlink()),
    "vectors truncated": _file("vectors", lambda p: p.write_bytes(p.read_bytes()[:-100])),
    "vectors wrong shape": _file("vectors", lambda p: np.save(p, np.ones((300, 7), np.float32))),
    "vectors not unit length": _file(
        "vectors", lambda p: np.save(p, np.full((300, DIM), 3.0, np.float32))
    ),
    "vectors not npy": _file("vectors", lambda p: p.write_bytes(b"garbage" * 100)),
    "ids not int64": _file("ids", lambda p: np.save(p, np.arange(300, dtype=np.float64))),
    "ids pickled objects": _file("ids", lambda p: np.save(p, np.array([{}] * 300), True)),
    "metadata bad json": _rewrite_metadata(lambda lines: [*lines[:5], "{oops", *lines[6:]]),
    "metadata lacks an item": _rewrite_metadata(lambda lines: lines[:-1]),
    "metadata other ids": _rewrite_metadata(_swap_id),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_corrupt_or_missing_files_raise_index_corrupt_error(tmp_path, small, corruption):
    index, _ = small
    index.save(tmp_path)
    assert len(VectorIndex.load(tmp_path)) == 300  # intact before the damage
    CORRUPTIONS[corruption](tmp_path)
    with pytest.raises(IndexCorruptError) as err:
        VectorIndex.load(tmp_path, expected_model_id=MODEL)
    assert str(tmp_path) in str(err.value)


def _fail_on_call(monkeypatch, name: str, call: int):
    real = getattr(storage, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise OSError(f"simulated crash in {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(storage, name, flaky)


@pytest.mark.parametrize(
    "where",
    ["second data file", "metadata file", "manifest tmp file", "manifest replace"],
)
def test_interrupted_save_leaves_the_previous_index_loadable(tmp_path, monkeypatch, small, where):
    index, _ = small
    index.save(tmp_path)
    old_items = index.items()
    query = index.vector(1)
    old_hits = index.search(query, 10)
    old_files = sorted(os.listdir(tmp_path))

    index.remove([1, 2, 3])
    index.add(np.ones((1, DIM)), make_metas(1, 900))
    index.update_meta(0, caption="changed")
    if where == "second data file":
        _fail_on_call(monkeypatch, "_write_npy", 2)
    elif where == "metadata file":
        _fail_on_call(monkeypatch, "_write_lines", 1)
    elif where == "manifest tmp file":
        _fail_on_call(monkeypatch, "_write_lines", 2)
    else:

        def no_replace(*args, **kwargs):
            raise OSError("simulated crash before the rename")

        monkeypatch.setattr(storage.os, "replace", no_replace)
    with pytest.raises(OSError, match="simulated"):
        index.save(tmp_path)
    monkeypatch.undo()

    loaded = VectorIndex.load(tmp_path, expected_model_id=MODEL)
    assert loaded.items() == old_items
    assert loaded.search(query, 10) == old_hits
    assert sorted(os.listdir(tmp_path)) == old_files  # the half-written generation is gone

    index.save(tmp_path)  # and the next save works
    assert len(VectorIndex.load(tmp_path)) == len(index) == 298


def test_load_follows_a_save_that_replaced_the_files_meanwhile(tmp_path, small, monkeypatch):
    index, _ = small
    index.save(tmp_path)
    real = storage.read_generation
    calls = {"n": 0}

    def racing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # another writer saves between our manifest read and file reads
            index.remove([0])
            index.save(tmp_path)
        return real(*args, **kwargs)

    monkeypatch.setattr(storage, "read_generation", racing)
    loaded = VectorIndex.load(tmp_path)
    assert calls["n"] == 2 and len(loaded) == 299


def test_large_saved_index_without_graph_is_rebuilt_as_hnsw(tmp_path, rng):
    vectors = clustered(rng, 3_000, DIM)
    index = VectorIndex(DIM, MODEL, use_gpu=False)  # exact when saved
    index.add(vectors, make_metas(3_000))
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, approx_threshold=1_000, use_gpu=False)
    assert loaded.kind == "hnsw" and len(loaded) == 3_000
    np.testing.assert_array_equal(loaded.vector(2_999), index.vector(2_999))


# -- the pure helpers ------------------------------------------------------------------------


def test_safe_name_keeps_data_files_inside_the_folder(tmp_path):
    assert storage.safe_name(tmp_path, "ids-3.npy", "ids") == tmp_path / "ids-3.npy"
    for bad in ("../ids.npy", "sub/ids.npy", ".hidden", "", None, 7):
        with pytest.raises(IndexCorruptError, match="bad ids file"):
            storage.safe_name(tmp_path, bad, "ids")


def test_read_flat_reads_the_npy_into_faiss(tmp_path, rng):
    vectors = unit(rng.standard_normal((40, DIM)))
    np.save(tmp_path / "v.npy", vectors)
    flat = storage.read_flat(tmp_path / "v.npy", 40, DIM, str(tmp_path))
    np.testing.assert_array_equal(kernels.vectors_view(flat), vectors)
    with pytest.raises(IndexCorruptError, match=r"expected float32 \(41, 32\)"):
        storage.read_flat(tmp_path / "v.npy", 41, DIM, str(tmp_path))


def test_read_graph_refuses_a_graph_that_does_not_match(tmp_path, small, rng):
    index, _ = small  # saved flat: 300 ids, vectors of dim DIM
    index.save(tmp_path)
    files = {
        **VectorIndex.read_manifest(tmp_path)["files"],
        "faiss_index": "hnsw-9.faiss",
        "hnsw_rows": "hnsw-rows-9.npy",
    }
    ids = np.load(tmp_path / files["ids"])
    np.save(tmp_path / "hnsw-rows-9.npy", np.arange(20, dtype=np.int64))
    for dim, problem in ((DIM // 2, "does not match the other files"), (DIM, "every saved id")):
        graph = kernels.build_hnsw(
            unit(rng.standard_normal((20, dim))), dim, m=8, ef_construction=40, ef_search=64
        )
        storage._write_faiss(tmp_path / "hnsw-9.faiss", graph)
        with pytest.raises(IndexCorruptError, match=problem):
            storage.read_graph(tmp_path, files, ids, tmp_path / files["vectors"], DIM)
