"""``python -m mmdemo remove ID...`` as a user runs it: the items go from the index (the
user's own photo files stay), unknown ids are counted, ids are never reused.

Commands that load a model run ``main`` in this process (``run_main``: the same output and
exit status, without a fresh interpreter's imports each time); the errors found before
any model loads still run ``python -m mmdemo`` as a process."""

from __future__ import annotations

import pytest

from mmdemo.index import storage
from tests.support.app_process import run_mmdemo, user_error
from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration


def indexed(index_dir) -> dict[int, str]:
    """What the saved index holds, {id: path}, read from its files (not through a search
    command: the test is about ``index`` and ``remove``)."""
    saved = storage.load(index_dir, expected_model_id=None, expected_dim=None, graph_above=None)
    return {meta.id: meta.path for meta in saved.metas}


def test_remove_takes_items_out_and_keeps_the_users_files(tmp_path):
    photos, index_dir = tmp_path / "photos", tmp_path / "index"
    for i, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)]):
        write_test_image(photos / f"p{i}.jpg", color=color)
    assert run_main("index", str(photos), "--index-dir", str(index_dir)).returncode == 0
    before = indexed(index_dir)
    victim = min(before)

    result = run_main("remove", str(victim), "999999", "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert "removed 1 image(s); 1 id(s) were not in the index; the index holds 2" in result.stdout
    after = indexed(index_dir)
    assert set(after) == set(before) - {victim}
    assert all(p.is_file() for p in photos.iterdir())  # indexed in place: never deleted

    # indexing the folder again brings the photo back under a new id
    assert run_main("index", str(photos), "--index-dir", str(index_dir)).returncode == 0
    again = {path: item for item, path in indexed(index_dir).items()}
    assert again[before[victim]] > max(before)


@pytest.mark.parametrize("bad", ["abc", "1.5"])
def test_an_id_that_is_not_a_whole_number_is_a_one_line_error(tmp_path, bad):
    message = user_error(run_mmdemo("remove", bad, "--index-dir", str(tmp_path / "index")))
    assert bad in message
