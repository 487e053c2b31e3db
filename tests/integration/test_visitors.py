"""Two visitors of a public-Space style app (``MMDEMO_GALLERY_MODE=per-visitor``), each a
``gradio_client`` with its own session: neither sees the other's uploads, neither can change
the shared base without the admin password, and the base is intact after both.

The session's per-visitor app (``per_visitor_app_server``, tests/conftest.py; the browser's
visitor test uses it too): these tests add, remove and reset, each with visitors of its own.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from mmdemo.index import VectorIndex
from mmdemo.services.visitors import OVERLAY_FIRST_ID
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"  # PER_VISITOR_PASSWORD of tests/conftest.py


@pytest.fixture(scope="module")
def space(per_visitor_app_server):
    assert per_visitor_app_server.env["MMDEMO_ADMIN_PASSWORD"] == PASSWORD
    assert per_visitor_app_server.env["MMDEMO_VISITOR_MAX_IMAGES"] == "4"
    return per_visitor_app_server


def visitor(space) -> Client:
    """A new browser session (gradio_client makes a fresh session hash per client)."""
    return Client(space.url, verbose=False)


def everything(client) -> list[dict]:
    """Every hit a text search returns (k = 100 is more than the gallery holds)."""
    return client.predict("a photo", 100, api_name="/search_text")[2]


def upload(client, folder, name, color) -> int:
    """Add one new image; returns its id (found by searching for everything)."""
    before = {h["id"] for h in everything(client)}
    path = write_test_image(folder / name, color=color)
    report, _ = client.predict([handle_file(str(path))], api_name="/index_add")
    assert "added 1" in report, report
    [new] = {h["id"] for h in everything(client)} - before
    return new


def base_state(space) -> dict[int, str]:
    """The base index as saved on disk: id -> sha256."""
    return {m.id: m.sha256 for m in VectorIndex.load(space.index_dir).items()}


def stored_names(hits) -> set[str]:
    """The stored copies' file names (content hashes): ids are per visitor, names are not."""
    return {h["image"] for h in hits}


def name_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20] + ".png"


def test_each_visitor_sees_the_base_and_only_their_own_uploads(space, tmp_path):
    base_before = base_state(space)
    alice, bob = visitor(space), visitor(space)
    base_names = stored_names(everything(alice))
    assert len(base_names) == len(base_before)

    a = upload(alice, tmp_path, "alice.png", (250, 10, 10))
    b = upload(bob, tmp_path, "bob.png", (10, 10, 250))
    assert a >= OVERLAY_FIRST_ID and b >= OVERLAY_FIRST_ID  # overlay ids never meet base ids
    mine, theirs = name_of(tmp_path / "alice.png"), name_of(tmp_path / "bob.png")

    assert stored_names(everything(alice)) == base_names | {mine}
    assert stored_names(everything(bob)) == base_names | {theirs}
    assert stored_names(everything(visitor(space))) == base_names  # a new visitor: the base

    # an image search finds one's own upload first, and never the other visitor's
    query = handle_file(str(write_test_image(tmp_path / "q.png", color=(250, 10, 10))))
    hits = alice.predict(query, "", 0.0, 100, api_name="/search_image")[2]
    assert hits[0]["image"] == mine
    assert theirs not in stored_names(hits)

    # the per-visitor status says what is whose
    assert "your uploads: 1 of 4" in alice.predict(api_name="/info").replace("*", "").lower()
    assert base_state(space) == base_before  # nothing of theirs went into the base


def test_a_visitor_removes_their_own_upload_but_not_the_base_or_anothers(space, tmp_path):
    base_before = base_state(space)
    alice, bob = visitor(space), visitor(space)
    a = upload(alice, tmp_path, "mine.png", (200, 200, 10))
    base_id = min(base_before)

    with pytest.raises(AppError, match="admin password"):
        bob.predict(str(base_id), "", api_name="/index_remove")
    report, _ = bob.predict(str(a), "", api_name="/index_remove")  # not Bob's: nothing happens
    assert report.startswith("Removed 0 of 1")
    assert a in {h["id"] for h in everything(alice)}

    report, _ = alice.predict(str(a), "", api_name="/index_remove")
    assert report.startswith("Removed 1 of 1")
    assert a not in {h["id"] for h in everything(alice)}
    assert base_state(space) == base_before


def test_changes_to_the_base_need_the_admin_password(space):
    base_before = base_state(space)
    carol = visitor(space)
    for call in (
        lambda: carol.predict("", api_name="/index_reembed"),
        lambda: carol.predict("wrong", api_name="/index_reembed"),
        lambda: carol.predict(True, "wrong", api_name="/caption_gallery"),
    ):
        with pytest.raises(AppError, match="admin password"):
            call()
    with pytest.raises(AppError, match="no uploads to caption"):  # without one: one's own
        carol.predict(True, "", api_name="/caption_gallery")
    # with it, the owner can re-embed the base: same images, same ids
    report, _ = carol.predict(PASSWORD, api_name="/index_reembed")
    assert f"holds {len(base_before)} image(s)" in report
    assert set(base_state(space).values()) == set(base_before.values())


def test_reset_clears_only_this_visitors_uploads(space, tmp_path):
    base_before = base_state(space)
    alice, bob = visitor(space), visitor(space)
    upload(alice, tmp_path, "a2.png", (30, 200, 30))
    upload(bob, tmp_path, "b2.png", (30, 30, 30))
    report, _ = alice.predict("", api_name="/index_reset")
    assert "your uploads are gone" in report.lower()
    assert {h["id"] for h in everything(alice)} == set(base_before)
    bobs = stored_names(everything(bob))
    assert name_of(tmp_path / "b2.png") in bobs and name_of(tmp_path / "a2.png") not in bobs
    assert base_state(space) == base_before


def test_a_visitor_is_held_to_their_own_image_budget(space, tmp_path):
    dave = visitor(space)
    files = [
        handle_file(str(write_test_image(tmp_path / f"d{i}.png", color=(i * 40, 99, 140))))
        for i in range(5)
    ]
    with pytest.raises(AppError, match="may keep 4"):
        dave.predict(files, api_name="/index_add")
    assert len(everything(dave)) == len(base_state(space))  # refused before any was kept


def test_visitor_files_stay_out_of_the_saved_base(space):
    """Overlays live in their own folders (``visitors/``) - never in the base manifest."""
    manifest = json.loads((space.index_dir / "manifest.json").read_text())
    assert "visitors" not in json.dumps(manifest)
    stored = {m.sha256 for m in VectorIndex.load(space.index_dir).items()}
    copies = list((space.index_dir / "images" / "visitors").rglob("*.png"))
    assert copies, "the earlier tests' uploads should be stored as copies"
    for path in copies:
        assert hashlib.sha256(path.read_bytes()).hexdigest() not in stored


def test_the_gallery_tab_shows_each_visitor_the_shared_photos_and_their_own(space, tmp_path):
    """The Gallery tab's browser marks whose each image is, and a selection holding a shared
    photo is refused as a whole without the admin password: nothing of it is removed."""
    alice, bob = visitor(space), visitor(space)
    base = len(base_state(space))
    mine = upload(alice, tmp_path, "mine.png", (240, 200, 10))
    hers, note, _, data = alice.predict(1, 60, api_name="/gallery_page")
    assert hers[0]["caption"] == "mine.png · yours" and data["items"][0]["id"] == mine
    assert all(item["caption"].endswith(" · shared") for item in hers[1:])
    his, his_note, _, _ = bob.predict(1, 60, api_name="/gallery_page")
    assert [i["caption"] for i in his] == [i["caption"] for i in hers[1:]]
    assert f"{base + 1} images" in note and f"{base} images" in his_note

    with pytest.raises(AppError, match="admin password"):
        alice.predict(f"{mine}, {min(base_state(space))}", "", api_name="/index_remove")
    assert mine in {h["id"] for h in everything(alice)}  # nothing was removed
    report, _ = alice.predict(str(mine), "", api_name="/index_remove")
    assert report == "Removed 1 of 1 image(s): mine.png."
    assert len(alice.predict(1, 60, api_name="/gallery_page")[0]) == base
