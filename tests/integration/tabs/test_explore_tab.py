"""The Explore tab's endpoints through gradio_client and raw HTTP (tiny app: behaviour).

/map draws the default gallery (PCA: it is below UMAP's minimum), /map_query places a text,
/map_query_image a photo, /map_more_like_this answers a clicked point; the thumbnails the
hover script shows are served as JPEG by the existing file route. A Chinese browser gets
the status line and the cluster legend in Chinese; the API keeps English.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.i18n import has_cjk
from mmdemo.services.map_labels import LABELS
from tests.support.page_views import call_as, outputs_of, page_view, value_of

pytestmark = pytest.mark.integration

ENGLISH = {en for en, _ in LABELS}
CHINESE = {zh for _, zh in LABELS}


def named(name: str, vocabulary: set[str]) -> bool:
    """A cluster name is one label, or "mixed: a, b" / "混合：a、b" (no clear majority)."""
    for prefix, comma in (("mixed: ", ", "), ("混合：", "、")):
        if name.startswith(prefix):
            return set(name.removeprefix(prefix).split(comma)) <= vocabulary
    return name in vocabulary


@pytest.fixture(scope="module")
def drawn(gradio_client):
    return gradio_client.predict(api_name="/map")


def traces(plot) -> list[dict]:
    return json.loads(plot["plot"])["data"]


def test_the_map_draws_every_gallery_image_with_named_clusters(drawn):
    plot, status, data = drawn
    assert data["method"] == "pca" and not data["pending"] and not data["sampled"]
    assert data["total"] == data["drawn"] == len(data["points"]) > 5
    assert all(named(c["name"], ENGLISH) for c in data["clusters"])
    assert len({p["id"] for p in data["points"]}) == data["total"]
    assert "PCA" in status and not has_cjk(status)  # the API is English
    names = [t["name"] for t in traces(plot)]
    assert len(names) == len(data["clusters"])
    assert all(re.fullmatch(r".+ \(\d+\)", name) for name in names)  # "cat (4)"
    customdata = [row for t in traces(plot) for row in t["customdata"]]
    assert {row[0] for row in customdata} == {p["id"] for p in data["points"]}
    assert all(row[1].endswith("-384.jpg") for row in customdata)  # every point's thumbnail


def test_the_hover_thumbnails_are_served_as_jpeg(app_server, drawn):
    plot, _, _ = drawn
    path = traces(plot)[0]["customdata"][0][1]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{app_server.url}gradio_api/file={path}", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.read(3) == b"\xff\xd8\xff"


def test_a_text_query_is_drawn_with_its_nearest_photos(gradio_client):
    plot, status, data, results, message = gradio_client.predict("a cat", api_name="/map_query")
    query = data["query"]
    assert query["kind"] == "text" and query["query"] == "a cat"
    assert len(query["nearest"]) == len(results) == 8
    assert set(query["nearest"]) <= {p["id"] for p in data["points"]}
    names = [t["name"] for t in traces(plot)]
    assert names[-1] == "Your query: a cat" and "Nearest photos" in names
    assert "star" in status and "result" in message
    with pytest.raises(AppError, match="empty"):
        gradio_client.predict("   ", api_name="/map_query")


def test_a_gallery_photo_lands_on_its_own_point(gradio_client, drawn):
    _, _, before = drawn
    photo = "assets/gallery/chelsea_the_cat.png"
    _, _, data, results, _ = gradio_client.predict(handle_file(photo), api_name="/map_query_image")
    query = data["query"]
    own = next(p for p in before["points"] if p["name"] == "chelsea_the_cat.png")
    assert query["kind"] == "image" and query["nearest"][0] == own["id"]
    # the upload is decoded by the upload path, the gallery copy by the ingest path: nearly
    # the same pixels, so nearly the same vector - its own point is the closest on the map
    closest = min(
        before["points"], key=lambda p: (p["x"] - query["x"]) ** 2 + (p["y"] - query["y"]) ** 2
    )
    assert closest["id"] == own["id"]
    # the first of its nearest photos is itself (the caption is "score · caption or name";
    # another test may have captioned the session's gallery)
    assert float(results[0]["caption"].split(" · ")[0]) > 0.95, results[0]


def test_a_clicked_point_gets_more_like_it(gradio_client, drawn):
    _, _, data = drawn
    point = data["points"][0]
    results, message = gradio_client.predict(str(point["id"]), api_name="/map_more_like_this")
    assert len(results) == min(12, data["total"] - 1)
    assert point["name"] not in [r["caption"].split(" · ")[-1] for r in results]
    assert message.startswith(f"More like {point['name']}")
    with pytest.raises(AppError, match="no image with id"):
        gradio_client.predict("999999", api_name="/map_more_like_this")


def test_a_chinese_browser_gets_the_map_in_chinese(app_server):
    plot, status, data = outputs_of(call_as(app_server.url, "map", [], "zh"))
    assert "已绘制" in status and "PCA" in status
    names = [t["name"].rsplit(" (", 1)[0] for t in json.loads(plot["plot"])["data"]]
    assert all(named(n, CHINESE) for n in names), names
    assert all(named(c["name"], ENGLISH) for c in data["clusters"])  # the JSON: English
    stream = call_as(app_server.url, "map_query", ["一只猫"], "zh")
    _, status, data, _, _ = outputs_of(stream)
    assert data["query"]["query"] == "一只猫" and "星号" in status
    shown = page_view(app_server.url, "zh")
    assert has_cjk(value_of(shown["explore-intro"]))
    assert "嵌入向量" in value_of(shown["explore-intro"])
