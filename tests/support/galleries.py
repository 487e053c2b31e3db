"""A folder of small test photos and a gallery over a temporary index (tiny preset).

Shared by the unit tests of the gallery, search and ingest services: six distinct images
in two sub-folders, plus a duplicate, a broken JPEG and a text file.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.images import write_test_image

COLORS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 240, 20), (20, 220, 220), (0, 0, 0)]


def write_photos(folder: Path) -> Path:
    """Six distinct small images, one duplicate, one broken file and one non-image, nested."""
    paths = [
        write_test_image(folder / f"sub{i % 2}" / f"img{i}.png", color=c)
        for i, c in enumerate(COLORS)
    ]
    (folder / "copy_of_img0.png").write_bytes(paths[0].read_bytes())
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "notes.txt").write_text("not an image, and not an image extension either")
    return folder


def make_gallery(server, tmp_path: Path, **changes):
    """A ``Gallery`` over ``tmp_path/index`` (no default gallery, batches of 4)."""
    from mmdemo.core.config import Settings
    from mmdemo.services.gallery import Gallery

    settings = Settings(
        preset="tiny",
        index_dir=tmp_path / "index",
        index_default_gallery=False,
        batch_size=4,
        **changes,
    )
    return Gallery(server, settings)
