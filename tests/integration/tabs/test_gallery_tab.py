"""The Gallery tab through gradio_client: uploads keep their names and the report names
each duplicate and unreadable file; the browser's pages are bounded; removal names what it
removed; /caption_gallery, /index_reembed and /info; and, on a per-visitor app, who may
remove what.

These endpoints change the index (images added and removed, captions stored, the index
rebuilt), so they run against apps of this module's own (tiny preset): the session's app
keeps the default gallery's 16 uncaptioned images that the search tab's tests count on.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.support.app_process import AppProcess
from tests.support.images import write_test_image
from tests.support.uploads import raw_call, server_file_payload

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def manage_server(tmp_path_factory):
    with AppProcess(tmp_path_factory.mktemp("manage_app"), MMDEMO_PRESET="tiny") as running:
        yield running


@pytest.fixture(scope="module")
def client(manage_server):
    return manage_server.client()


def search_text(client, query, k=5):
    return client.predict(query, k, api_name="/search_text")


def caption_table(value) -> list[list]:
    """Rows of a Dataframe output (gradio_client returns {"headers", "data", ...})."""
    assert value["headers"] == ["caption", "score", "id", "image"]
    return value["data"]


def plain(markdown: str) -> str:
    """A markdown report as its reader sees it (our escapes and bold marks dropped)."""
    return markdown.replace("\\", "").replace("**", "")


def page_of(client, page=1, size=60):
    """One page of the Gallery tab's browser: (grid items, note, page shown, page as JSON)."""
    return client.predict(page, size, api_name="/gallery_page")


def upload(client, folder, name, color) -> int:
    """Add one new image under ``name``; returns its id (the newest, first in the browser)."""
    path = write_test_image(folder / name, color=color)
    report, _ = client.predict([handle_file(str(path))], api_name="/index_add")
    assert "added 1" in report, report
    newest = page_of(client, 1, 1)[3]["items"][0]
    assert newest["name"] == name
    return newest["id"]


def test_index_add_reports_and_keeps_the_index_intact(client, tmp_path, make_test_image):
    before = len(search_text(client, "x", 100)[2])
    good = [make_test_image(f"new{i}.png", color=(10 + 70 * i, 90, 200)) for i in range(2)]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    files = [handle_file(str(p)) for p in [*good, good[0], broken]]
    report, status = client.predict(files, api_name="/index_add")
    assert "added 2" in report and "1 duplicate" in report and "broken.jpg" in report
    assert "index" in status
    after = search_text(client, "x", 100)[2]
    assert len(after) == before + 2
    again, _ = client.predict([handle_file(str(good[1]))], api_name="/index_add")
    assert "added 0" in again and "1 duplicate" in again
    with pytest.raises(AppError, match="No files"):
        client.predict([], api_name="/index_add")


def test_two_users_adding_at_once(manage_server, make_test_image):
    clients = [Client(manage_server.url, verbose=False) for _ in range(2)]
    before = len(search_text(clients[0], "x", 100)[2])
    batches = [
        [
            handle_file(str(make_test_image(f"u{u}_{i}.png", color=(u * 120, i * 40, 77))))
            for i in range(3)
        ]
        for u in range(2)
    ]
    with ThreadPoolExecutor(2) as pool:
        reports = list(
            pool.map(
                lambda cb: cb[0].predict(cb[1], api_name="/index_add"),
                zip(clients, batches, strict=True),
            )
        )
    assert all("added 3" in report for report, _ in reports)
    assert len(search_text(clients[1], "x", 100)[2]) == before + 6


def test_raw_payload_naming_a_server_file_is_refused(manage_server, make_test_image):
    """A crafted call must not make the server add a file outside its upload folder."""
    payload = server_file_payload(make_test_image("private.png"))
    stream = raw_call(manage_server.url, "index_add", [[payload]])
    assert "event: error" in stream, stream
    assert "private.png" not in stream.replace("x.png", "")  # nothing about the file leaks
    assert "event: complete" not in stream


def test_caption_gallery_then_image_to_text(client, make_test_image):
    image = handle_file(str(make_test_image("query.png")))
    try:  # on a fresh server nothing is captioned yet, and the error says what to do
        client.predict(image, 3, api_name="/search_image_to_text")
    except AppError as err:
        assert "caption the gallery first" in str(err)

    report, status = client.predict(api_name="/caption_gallery")
    assert "captioned" in report and "0 failed" in report and "index" in status
    again, _ = client.predict(False, api_name="/caption_gallery")
    assert "captioned 0," in again  # resumable: nothing left to do

    rows = caption_table(client.predict(image, 4, api_name="/search_image_to_text"))
    assert len(rows) == 4
    assert all(isinstance(r[0], str) and r[0] for r in rows)
    scores = [r[1] for r in rows]
    assert scores == sorted(scores, reverse=True)

    _, _, hits = client.predict("a photo", 100, api_name="/search_text")  # all items
    captions = {h["id"]: h["caption"] for h in hits}
    assert all(captions[r[2]] == r[0] for r in rows)  # the table names the captioned item


def test_reembed_rebuilds_the_same_images_and_keeps_their_captions(client):
    client.predict(api_name="/caption_gallery")  # no-op when already captioned
    _, _, before = search_text(client, "a photo", 100)
    report, status = client.predict(api_name="/index_reembed")
    assert f"added {len(before)}," in report and "0 unreadable" in report
    assert f"holds {len(before)} image(s)" in report and "index" in status
    _, _, after = search_text(client, "a photo", 100)
    assert {h["image"]: h["caption"] for h in after} == {h["image"]: h["caption"] for h in before}


def test_info_reports_preset_models_and_index(client):
    status = client.predict(api_name="/info")
    assert "tiny" in status and "random weights" in status and "images" in status


# -- the Gallery tab's own flows ------------------------------------------------------------
def test_uploads_keep_their_names_and_the_report_names_each_skipped_file(client, tmp_path):
    """Files come in under hash names, but the report and the browser use the user's."""
    red = write_test_image(tmp_path / "a.png", color=(201, 13, 77))
    blue = write_test_image(tmp_path / "b.png", color=(13, 77, 201))
    broken = tmp_path / "c.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    named = {"a.png": "Red scarf_1.png", "b.png": "blue sky.png", "c.jpg": "broken.jpg"}
    renamed = []
    for path in (red, blue, broken):  # the name the browser sends is the file's own name
        target = tmp_path / "as-named" / named[path.name]
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(path.read_bytes())
        renamed.append(target)
    twin = tmp_path / "as-named" / "blue sky (copy).png"
    twin.write_bytes(blue.read_bytes())
    report, _ = client.predict(
        [handle_file(str(p)) for p in [*renamed, twin]], api_name="/index_add"
    )
    text = plain(report)
    assert "added 2, skipped 1 duplicate(s), 1 unreadable" in text, text
    assert "blue sky (copy).png is the same image as blue sky.png (in this upload)" in text
    assert re.search(r"broken\.jpg is unreadable: \S", text), text
    assert "/tmp" not in report and "gradio" not in report  # no server paths

    again = tmp_path / "again.png"
    again.write_bytes(red.read_bytes())
    report, _ = client.predict([handle_file(str(again))], api_name="/index_add")
    assert "again.png is already in the gallery as Red scarf_1.png" in plain(report), report

    items, _, _, _ = page_of(client)
    captions = [item["caption"] for item in items]
    assert captions[:2] == ["blue sky.png", "Red scarf_1.png"]  # newest first, own names


def test_the_browser_is_paged_and_sends_thumbnails(client):
    _, note, _, _ = page_of(client)
    total = int(re.search(r"(\d+) images", note).group(1))
    assert total >= 16
    pages = math.ceil(total / 5)
    seen = []
    for number in range(1, pages + 1):
        items, note, shown, _ = page_of(client, number, 5)
        assert shown == number and f"Page {number} of {pages}" in note
        assert len(items) == (5 if number < pages else total - 5 * (pages - 1))
        seen += [item["caption"] for item in items]
    assert len(seen) == total and len(set(seen)) == total  # every image once
    items, _, shown, _ = page_of(client, pages + 7, 5)  # past the end: the last page
    assert shown == pages and [i["caption"] for i in items] == seen[5 * (pages - 1) :]
    items, _, _, data = page_of(client, 1, 10_000)  # a page is bounded whatever is asked
    assert len(items) == min(total, 60) == len(data["items"])
    assert [i["name"] for i in data["items"]] == [i["caption"].split(" — ")[0] for i in items]
    for item in items[:3]:  # thumbnails, not the originals
        with Image.open(item["image"]) as image:
            assert max(image.size) <= 384 and image.format == "JPEG"


def test_remove_names_what_it_removed_and_the_browser_follows(client, tmp_path):
    new = upload(client, tmp_path, "gone soon.png", (5, 250, 5))
    assert page_of(client)[0][0]["caption"] == "gone soon.png"
    report, _ = client.predict(f"{new}, 999999", "", api_name="/index_remove")
    assert plain(report) == "Removed 1 of 2 image(s): gone soon.png."
    assert "gone soon.png" not in [item["caption"] for item in page_of(client)[0]]
    with pytest.raises(AppError, match="No images selected"):
        client.predict("", "", api_name="/index_remove")


# -- in Chinese: what a browser set to zh-CN (or the page's 中文 switch) is told ----------------
def test_a_chinese_visitor_reads_the_reports_pager_and_status_in_chinese(manage_server, tmp_path):
    """Raw HTTP as a zh-CN browser: the add report (counts, the twin, the unreadable file),
    the pager note, the removal and the status are Chinese, numbers and names kept; the same
    endpoints through gradio_client (no language) stay English."""
    from tests.support.localised_calls import call_in
    from tests.support.uploads import raw_upload

    url = manage_server.url.rstrip("/") + "/"
    picture = write_test_image(tmp_path / "红色.png", color=(222, 31, 44))
    files = [
        raw_upload(url, "红色.png", picture.read_bytes()),
        raw_upload(url, "红色副本.png", picture.read_bytes()),
        raw_upload(url, "坏的.jpg", b"\xff\xd8\xff not a jpeg"),
    ]
    report, status = call_in(url, "index_add", [files], language="zh-CN,zh;q=0.9")
    assert report.startswith("已添加 1 张，跳过 1 张重复的、1 张无法读取的；索引里现在有"), report
    assert "红色副本.png 和 红色.png 是同一张图片（都在这次上传里）" in report
    assert "坏的.jpg 无法读取：" in report and "unreadable" not in report
    assert "**预设：** `tiny`" in status and "**索引**" in status
    _, note, *_ = call_in(url, "gallery_page", [1, 5, []], cookie="zh")
    assert re.fullmatch(r"\*\*第 1 / \d+ 页\*\* · 共 \d+ 张图片", note), note
    newest = page_of(manage_server.client(), 1, 1)[3]["items"][0]
    assert newest["name"] == "红色.png"
    removed, _ = call_in(url, "index_remove", [str(newest["id"]), ""], cookie="zh")
    assert removed == "已删除 1 张图片（共选中 1 张）：红色.png。"
    captioned, _ = call_in(url, "caption_gallery", [False, ""], cookie="zh")
    assert re.match(
        r"已生成描述 \d+ 张，跳过 \d+ 张已有描述的，0 张失败，用时 [\d.]+ 秒", captioned
    )
    assert "只会写英文，所以描述是英文" in captioned, captioned  # tiny's BLIP writes English
    english = manage_server.client().predict(api_name="/info")  # gradio_client: English
    assert "**Preset:**" in english and "预设" not in english
