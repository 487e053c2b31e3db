"""The index settings, end to end: ``MMDEMO_INDEX_*`` -> Settings -> Gallery -> VectorIndex
type, its recall@10 in the manifest, again after a reload, and in the status report and panel.

Tiny preset; the memory-budget and IVF-PQ cases add 1,200 synthetic vectors through
``Gallery.add_outcome`` (PQ needs 1,000 rows to train: more photos than a unit test should
embed). Building IVF-PQ takes long enough to be marked slow.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from mmdemo.core.config import settings_from_env
from mmdemo.index import types
from mmdemo.services.gallery import Gallery
from mmdemo.services.ingest import EmbedOutcome
from mmdemo.services.status import status
from mmdemo.serving import ModelServer
from mmdemo.ui.status import status_markdown
from tests.support.galleries import write_photos
from tests.support.vectors import clustered, make_metas


@pytest.fixture(scope="module")
def server():
    return ModelServer(settings_from_env({"MMDEMO_PRESET": "tiny"}))


def gallery_from_env(server, tmp_path, **env: str) -> Gallery:
    """A gallery whose settings are read from ``MMDEMO_*`` variables, as the app reads them."""
    settings = settings_from_env(
        {
            "MMDEMO_PRESET": "tiny",
            "MMDEMO_INDEX_DIR": str(tmp_path / "index"),
            "MMDEMO_INDEX_DEFAULT_GALLERY": "0",
            "MMDEMO_BATCH_SIZE": "4",
            **{f"MMDEMO_{key.upper()}": value for key, value in env.items()},
        }
    )
    return Gallery(server, settings)


def manifest(tmp_path) -> dict:
    return json.loads((tmp_path / "index" / "manifest.json").read_text())


@pytest.mark.parametrize(
    ("env", "kinds"),
    [
        ({"approx_threshold": "3"}, ("hnsw",)),
        ({"index_compact_threshold": "2"}, types.COMPACT),  # whichever keeps its recall
    ],
)
def test_a_low_threshold_gives_the_gallery_that_type_with_its_recall(server, tmp_path, env, kinds):
    gallery = gallery_from_env(server, tmp_path, **env)
    report = gallery.add_directory(write_photos(tmp_path / "photos"))
    kind = gallery.index.kind
    assert report.added == 6 and kind in kinds
    saved = manifest(tmp_path)
    assert saved["index_type"] == kind and saved["recall_measured_on"] == 6
    recall = saved["recall_at_10"]
    assert 0.0 <= recall <= 1.0 and recall == gallery.index.recall_at_10

    again = gallery_from_env(server, tmp_path, **env)  # a restart: the saved structure is kept
    assert again.index.kind == kind and again.index.recall_at_10 == recall
    report = status(server, again)
    assert report.index_type.kind == kind and report.index_type.recall_at_10 == recall
    assert report.to_json()["index_type"] == {
        "type": kind, "exact": kind != "hnsw", "recall_at_10": recall, "recall_measured_on": 6,
        "rerank_from": None,
    }  # fmt: skip
    panel = status_markdown(server, again, language="en")
    line = next(row for row in panel.splitlines() if row.startswith("- **index**"))
    shown = {"hnsw": "approximate (HNSW)", "sq8": "exact (8-bit compact)",
             "fp16": "exact (16-bit compact)",
             "fastscan": "near-exact (4-bit fast scan, re-ranked)"}[kind]  # fmt: skip
    assert line == (
        f"- **index**: 6 images, {shown} search on CPU, 64-d — recall@10 {recall:.2f}, "
        "measured on 6 queries when it was built"
    )
    zh = status_markdown(server, again, language="zh")
    assert "recall@10 为" in zh and "（建立时用 6 个查询测得）" in zh


def test_without_index_settings_the_gallery_stays_exact(server, tmp_path):
    gallery = gallery_from_env(server, tmp_path)
    gallery.add_directory(write_photos(tmp_path / "photos"))
    assert gallery.index.kind == "flat" and manifest(tmp_path)["index_type"] == "flat"
    panel = status_markdown(server, gallery, language="en")
    assert "- **index**: 6 images, exact search on CPU, 64-d" in panel.splitlines()
    assert "recall@10" not in panel  # plain flat is exact by definition: nothing to show
    assert "- **索引**：6 张图片，精确搜索，运行于 CPU，64 维" in status_markdown(
        server, gallery, language="zh"
    )


def synthetic(gallery: Gallery, n: int, seed: int = 0) -> EmbedOutcome:
    """``n`` clustered unit vectors of the gallery's dimension with distinct hashes."""
    vectors = clustered(np.random.default_rng(seed), n, gallery.embedder.dim, clusters=40)
    metas = [{**meta, "name": f"photo{i}.jpg"} for i, meta in enumerate(make_metas(n))]
    return EmbedOutcome(vectors, metas, [], 0, [])


def test_every_index_setting_reaches_the_new_and_the_loaded_index(server, tmp_path):
    env = {"approx_threshold": "700", "index_compact_threshold": "30",
           "index_ivfpq_threshold": "9000", "index_memory_gb": "0.5"}  # fmt: skip
    limits = {"approx_threshold": 700, "compact_threshold": 30, "ivfpq_threshold": 9000,
              "memory_budget_bytes": 512 * 1024**2}  # fmt: skip
    gallery = gallery_from_env(server, tmp_path, **env)
    gallery.add_outcome(synthetic(gallery, 3))
    loaded = gallery_from_env(server, tmp_path, **env).index  # read back from the saved files
    for index in (gallery.index, loaded):
        assert {name: getattr(index, name) for name in limits} == limits
    reset = gallery.reset(to_default=False)  # a reset builds a new index: the same limits
    assert reset.total == 0 and gallery.index.ivfpq_threshold == 9000


def test_a_tight_memory_budget_gives_a_smaller_type_that_fits(server, tmp_path):
    # 1,200 x 64 fp32 = 300 KB does not fit a 0.0002 GB (215 KB) budget: a smaller type that does
    budget = 0.0002 * 1024**3
    small = gallery_from_env(server, tmp_path, index_memory_gb="0.0002")
    small.add_outcome(synthetic(small, 1200))
    kind = small.index.kind
    assert kind != "flat" and 1200 * types.bytes_per_vector(kind, 64) <= budget
    assert manifest(tmp_path)["index_type"] == kind


@pytest.mark.slow  # OPQ + PQ training on 1,200 rows: 72 s on the 2-core VM (load average 7)
def test_the_ivfpq_threshold_gives_ivfpq_with_its_recall_shown(server, tmp_path):
    ivf = gallery_from_env(server, tmp_path / "a", index_ivfpq_threshold="1000")
    report = ivf.add_outcome(synthetic(ivf, 1200))
    assert report.added == 1200 and report.total == 1200 and ivf.index.kind == "ivfpq"
    saved = manifest(tmp_path / "a")
    assert saved["index_type"] == "ivfpq" and saved["recall_measured_on"] == 1000
    assert 0.0 < saved["recall_at_10"] <= 1.0
    panel = status_markdown(server, ivf, language="en")
    assert re.search(
        r"approximate \(OPQ \+ IVF-PQ, re-ranked from fp16\) search on CPU, 64-d — recall@10 "
        rf"{saved['recall_at_10']:.2f}, measured on 1,000 queries",
        panel,
    ), panel


def test_add_outcome_reports_rows_already_there_as_duplicates(server, tmp_path):
    gallery = gallery_from_env(server, tmp_path)
    first = gallery.add_outcome(synthetic(gallery, 5))
    assert (first.added, first.duplicates, first.total) == (5, 0, 5)
    again = gallery.add_outcome(synthetic(gallery, 5))  # same hashes: another add got there first
    assert (again.added, again.duplicates, again.total) == (0, 5, 5)
    names = [f"photo{i}.jpg" for i in range(5)]
    assert [(d.name, d.existing) for d in again.duplicate_of] == list(
        zip(names, names, strict=True)
    )
    assert manifest(tmp_path)["next_id"] == 5
    empty = gallery.add_outcome(EmbedOutcome(np.zeros((0, 64), np.float32), [], [], 0, []))
    assert (empty.added, empty.total) == (0, 5)
