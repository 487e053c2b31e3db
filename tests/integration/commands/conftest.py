"""Fixtures shared by the command tests: a folder of photos indexed through the CLI once.

``index``, ``search`` and ``info`` all read that index (none of them adds to it), so it is
built once per session rather than once per command file.
"""

from __future__ import annotations

import pytest

from tests.support.app_process import run_mmdemo
from tests.support.images import write_test_image


@pytest.fixture(scope="session")
def indexed(tmp_path_factory):
    """A folder of images (one duplicate, one broken) indexed through the CLI.

    Returns (photos folder, index folder, the ``index`` command's CompletedProcess).
    """
    root = tmp_path_factory.mktemp("cli")
    photos = root / "photos"
    for i, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200), (90, 90, 90)]):
        write_test_image(photos / f"nested{i % 2}" / f"p{i}.jpg", color=color)
    (photos / "again.jpg").write_bytes((photos / "nested0" / "p0.jpg").read_bytes())
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    index_dir = root / "index"
    result = run_mmdemo("index", str(photos), "--index-dir", str(index_dir), timeout=180)
    return photos, index_dir, result
