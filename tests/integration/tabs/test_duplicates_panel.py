"""The Explore tab's near-duplicates section through gradio_client: ``/duplicates`` shows the
groups (JSON, rows of thumbnails, the extra ids) and ``/duplicates_remove`` removes the
extra copies within the deployment's rules (services.access), never what another visitor
sees. The panel is served on its own page (the Explore tab calls the same ``build``), with
the tiny preset: behaviour, not meaning."""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.services.access import Access
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import GallerySearch
from mmdemo.services.visitors import OVERLAY_FIRST_ID, VisitorGalleries
from mmdemo.serving import ModelServer

pytestmark = pytest.mark.integration
GALLERY = Settings().assets_dir / "gallery"


def _photos(folder):
    folder.mkdir(parents=True, exist_ok=True)
    cat = Image.open(GALLERY / "chelsea_the_cat.png").convert("RGB")
    cat.save(folder / "cat.png")
    cat.resize((cat.width // 2, cat.height // 2)).save(folder / "cat_small.png")
    cat.save(folder / "cat_again.jpg", quality=40)
    Image.open(GALLERY / "coffee_cup.png").convert("RGB").save(folder / "coffee.png")
    return folder


def _serve(tmp_path, access: Access, names):
    import gradio as gr
    from gradio_client import Client

    from mmdemo.ui.common import TabContext
    from mmdemo.ui.i18n import build_i18n
    from mmdemo.ui.panels.duplicates import build
    from mmdemo.ui.web import served_folders

    photos = _photos(tmp_path / "photos")
    settings = Settings(preset="tiny", index_dir=tmp_path / "index", index_default_gallery=False)
    server = ModelServer(settings)
    gallery = Gallery(server, settings)
    gallery.add_files([str(photos / n) for n in names], copy=True)
    visitors = VisitorGalleries(server, gallery) if access.per_visitor else None
    ctx = TabContext(server, gallery, GallerySearch(gallery), access, visitors)
    with gr.Blocks() as demo:
        build(ctx)
    demo.queue().launch(
        prevent_thread_lock=True,
        i18n=build_i18n(),
        allowed_paths=served_folders(settings, gallery),
        quiet=True,
    )
    return demo, gallery, visitors, photos, lambda: Client(demo.local_url, verbose=False)


@pytest.fixture(scope="module")
def laptop(tmp_path_factory):
    access = Access(mode="shared", public=False, login=False)
    served = _serve(
        tmp_path_factory.mktemp("laptop"), access, ["cat.png", "coffee.png", "cat_small.png"]
    )
    yield served
    served[0].close()


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    access = Access(mode="per-visitor", public=True, login=False, admin_password="sesame")
    served = _serve(
        tmp_path_factory.mktemp("space"), access, ["cat.png", "coffee.png", "cat_again.jpg"]
    )
    yield served
    served[0].close()


def _ids(gallery) -> dict[str, int]:
    return {m.display_name: m.id for m in gallery.index.items()}


def test_duplicates_shows_the_copies_as_one_group_and_removes_the_extra(laptop):
    _, gallery, _, _, client = laptop
    c = client()
    summary, rows, data, extra = c.predict(api_name="/duplicates")
    ids = _ids(gallery)
    assert [g["ids"] for g in data["groups"]] == [[ids["cat.png"], ids["cat_small.png"]]]
    assert summary.startswith("1 group(s) of near-duplicates among 3 images: 1 extra")
    assert rows.count('class="dup-item') == 2 and "/gradio_api/file=" in rows
    assert f"#{ids['cat_small.png']} · cat_small.png" in rows
    assert extra == str(ids["cat_small.png"])
    said, rows, data, extra = c.predict(extra, "", api_name="/duplicates_remove")
    assert said.startswith("Removed 1 extra cop(ies)")
    assert set(_ids(gallery)) == {"cat.png", "coffee.png"}  # the oldest copy stays
    assert data["groups"] == [] and extra == "" and rows == ""
    # the same ids again: nothing is an extra copy any more, nothing is removed
    said, *_ = c.predict(str(ids["cat_small.png"]), "", api_name="/duplicates_remove")
    assert said.startswith("Nothing to remove")


def test_remove_without_shown_groups_is_a_clear_error(laptop):
    c = laptop[4]()
    with pytest.raises(Exception, match="find them first"):
        c.predict("", "", api_name="/duplicates_remove")


def test_a_visitor_removes_their_own_copy_and_shared_ones_need_the_password(space):
    _, gallery, visitors, photos, client = space
    mine, theirs = client(), client()
    visitors.add(mine.session_hash, [str(photos / "cat_small.png")], names=["cat_small.png"])
    shared = _ids(gallery)
    _, _, data, extra = mine.predict(api_name="/duplicates")
    assert len(data["groups"]) == 1
    group = data["groups"][0]["ids"]
    assert group[0] == shared["cat.png"] and shared["cat_again.jpg"] in group
    own = [i for i in group if i >= OVERLAY_FIRST_ID]
    assert len(own) == 1 and own[0] in {int(x) for x in extra.split(",")}
    # the other visitor sees the shared copies only, never this visitor's upload
    _, _, other, _ = theirs.predict(api_name="/duplicates")
    assert all(i < OVERLAY_FIRST_ID for g in other["groups"] for i in g["ids"])
    # a wrong password is refused before anything is removed
    with pytest.raises(Exception, match="admin password"):
        mine.predict(extra, "wrong", api_name="/duplicates_remove")
    assert len(visitors.overlay(mine.session_hash).index) == 1
    # no password: the visitor's own copy goes, the shared extra stays (and says why)
    said, _, data, _ = mine.predict(extra, "", api_name="/duplicates_remove")
    assert said.startswith("Removed 1 extra cop(ies)")
    assert "1 extra cop(ies) in the shared gallery stay" in said
    assert len(visitors.overlay(mine.session_hash).index) == 0
    assert _ids(gallery) == shared
    # with the admin password the shared extra goes too
    _, _, data, extra = mine.predict(api_name="/duplicates")
    said, _, data, _ = mine.predict(extra, "sesame", api_name="/duplicates_remove")
    assert said.startswith("Removed 1 extra cop(ies)")
    assert set(_ids(gallery)) == {"cat.png", "coffee.png"}
