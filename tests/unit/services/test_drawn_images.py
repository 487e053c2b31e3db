"""The Generate tab's drawings folder: bounded (the oldest go past ``keep``, none older than
the cache's lifetime, never the one just drawn), removed at exit, and never a folder the
page serves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from mmdemo.services.drawn_images import DrawnImages


@pytest.fixture
def drawings():
    store = DrawnImages(keep=3)
    yield store
    store.close()


def picture(shade: int) -> Image.Image:
    return Image.new("RGB", (8, 8), (shade, 0, 0))


def test_the_oldest_go_past_keep_and_the_new_one_stays(drawings):
    paths = [drawings.save(picture(i)) for i in range(5)]
    assert drawings.files() == paths[2:]
    assert not paths[0].exists() and not paths[1].exists()
    with Image.open(paths[-1]) as drawn:  # a whole PNG we encoded
        assert drawn.format == "PNG" and drawn.getpixel((0, 0)) == (4, 0, 0)
    assert not list(drawings.folder.glob("*.part"))


def test_drawings_older_than_the_cache_lifetime_go(tmp_path):
    store = DrawnImages(keep=10, max_age_s=60)
    try:
        old = store.save(picture(1))
        stale = time.time() - 120
        os.utime(old, (stale, stale))
        kept = store.save(picture(2))
        assert not old.exists() and store.files() == [kept]
    finally:
        store.close()


def test_owns_and_forget_touch_only_this_folder(drawings, tmp_path):
    mine = drawings.save(picture(1))
    elsewhere = tmp_path / "generated-x.png"
    picture(2).save(elsewhere)
    assert drawings.owns(str(mine)) and not drawings.owns(elsewhere) and not drawings.owns(None)
    drawings.forget(elsewhere)  # a path from outside (a crafted state) is left alone
    drawings.forget(None)
    assert elsewhere.exists()
    drawings.forget(str(mine))
    assert not mine.exists() and not drawings.owns(mine)  # gone: the tab asks to draw again


def test_close_removes_the_folder(drawings):
    drawings.save(picture(1))
    drawings.close()
    assert not drawings.folder.exists()
    drawings.close()  # twice is fine


def test_the_folder_is_removed_when_the_process_exits(tmp_path):
    code = (
        "from PIL import Image\n"
        "from mmdemo.services.drawn_images import DrawnImages\n"
        "store = DrawnImages()\n"
        "store.save(Image.new('RGB', (4, 4)))\n"
        "print(store.folder)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
        timeout=120,
    )
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("mmdemo-generated-") and not folder.exists()


def test_the_page_never_serves_the_folder_itself(drawings, tmp_path):
    """Gradio serves the copy it makes in its cache (image/png, nosniff: the integration
    test); the drawings folder is in none of the launch's allowed paths."""
    from gradio.utils import is_allowed_file

    from mmdemo.core.config import Settings
    from mmdemo.ui.web import served_folders

    settings = Settings(preset="tiny", gallery_dir=tmp_path / "photos")
    gallery = SimpleNamespace(store_dir=tmp_path / "index" / "images")
    path = drawings.save(picture(1))
    allowed, why = is_allowed_file(path, [], served_folders(settings, gallery), [])
    assert not allowed and why == "not_created_or_allowed"
