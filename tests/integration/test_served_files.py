"""What the server hands a browser: stored images as images, never active content, never the
index's own files - checked with raw HTTP, as an attacker's browser would fetch them.

The uploads are crafted: a valid PNG with an HTML page appended, sent as ``x.html`` and
``x.svg`` (the client's name must not decide how the copy is served), and a real SVG with a
script (not a raster image: refused).
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request

import pytest
from gradio_client import handle_file

from tests.support.app_process import AppProcess
from tests.support.images import write_test_image
from tests.support.uploads import raw_call

pytestmark = pytest.mark.integration

SCRIPT = b"<html><body><script>document.title='pwned'</script></body></html>"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with AppProcess(tmp_path_factory.mktemp("served_app"), MMDEMO_PRESET="tiny") as running:
        yield running


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with OPENER.open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def gallery_urls(app, query: str = "a photo") -> dict[str, str]:
    """File name -> URL of each result image, from a raw ``/search_text`` call."""
    stream = raw_call(app.url, "search_text", [query, 100, False])
    data = next(
        json.loads(line[len("data: ") :])
        for line in stream.splitlines()
        if line.startswith("data: ") and line != "data: null"
    )
    urls = {}
    for item in data[0]:
        image = item["image"]
        urls[image["path"].rsplit("/", 1)[-1]] = image["url"]
    return urls


@pytest.mark.parametrize("client_name", ["x.html", "x.svg"])
def test_a_png_with_a_script_is_stored_and_served_as_a_png(app, tmp_path, client_name):
    png = write_test_image(tmp_path / "base.png", color=(7, 200 if "html" in client_name else 9, 1))
    polyglot = tmp_path / client_name
    polyglot.write_bytes(png.read_bytes() + SCRIPT)
    client = app.client()
    report, _ = client.predict([handle_file(str(polyglot))], api_name="/index_add")
    assert "added 1" in report, report

    stored = [p for p in (app.index_dir / "images").glob("*") if p.is_file()]
    assert stored and all(p.suffix == ".png" for p in stored), stored
    for copy in stored:  # the stored copy (the original a click opens) is served as a PNG
        status, headers, body = fetch(f"{app.url}gradio_api/file={copy}")
        assert status == 200
        assert headers["content-type"].startswith("image/png"), headers
        assert headers.get("x-content-type-options") == "nosniff"
        assert body.startswith(b"\x89PNG")
    # the results grid names the upload's thumbnail (by the upload's hash): a fresh JPEG
    thumb = hashlib.sha256(polyglot.read_bytes()).hexdigest() + "-384.jpg"
    urls = gallery_urls(app)
    assert thumb in urls, "the upload should come back in the results"
    status, headers, body = fetch(urls[thumb])
    assert status == 200 and headers["content-type"] == "image/jpeg", headers
    assert headers.get("x-content-type-options") == "nosniff"
    assert body.startswith(b"\xff\xd8") and b"<script" not in body
    # every visitor's search still works with it in the index
    assert client.predict("a photo", 100, api_name="/search_text")[2]


def test_an_svg_with_a_script_is_refused_as_not_a_picture(app, tmp_path):
    svg = tmp_path / "x.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    report, _ = app.client().predict([handle_file(str(svg))], api_name="/index_add")
    assert "added 0" in report and "x.svg is unreadable: is not an image" in report, report
    assert not list((app.index_dir / "images").glob("*.svg"))


@pytest.mark.parametrize("relative", ["manifest.json", "", "visitors", "images/.."])
def test_the_index_files_are_not_served(app, relative):
    target = app.index_dir / relative if relative else app.index_dir
    existing = [p.name for p in app.index_dir.iterdir()]
    assert "manifest.json" in existing  # the app really wrote an index there
    status, headers, body = fetch(f"{app.url}gradio_api/file={target}")
    assert status in (403, 404), (status, body[:200])
    assert b'"version"' not in body and b"sha256" not in body
    assert headers.get("x-content-type-options") == "nosniff"


def test_the_index_files_of_a_real_save_are_all_refused(app):
    """Every file the index wrote (whatever its name) is refused, not just the known ones."""
    files = [p for p in app.index_dir.rglob("*") if p.is_file() and "images" not in p.parts]
    assert len(files) >= 2
    for path in files:
        status, _, _ = fetch(f"{app.url}gradio_api/file={path}")
        assert status in (403, 404), path.name


def test_gradio_cleans_its_upload_cache(tmp_path):
    """Uploads and result copies in Gradio's cache go after ``MMDEMO_UPLOAD_CACHE_TTL_S``
    (a day by default; 2 s here), and the app keeps answering."""
    cache = tmp_path / "gradio-cache"
    with AppProcess(
        tmp_path / "app",
        MMDEMO_PRESET="tiny",
        MMDEMO_UPLOAD_CACHE_TTL_S="2",
        GRADIO_TEMP_DIR=str(cache),
    ) as app:
        client = app.client()
        picture = write_test_image(tmp_path / "upload-me.png", color=(1, 2, 3))
        client.predict(
            handle_file(str(picture)), "cat, dog", "a photo of a {}", api_name="/classify"
        )
        uploaded = [p for p in cache.rglob("upload-me.png")]
        assert uploaded, sorted(str(p) for p in cache.rglob("*"))[:10]
        deadline = time.monotonic() + 60
        while any(p.exists() for p in uploaded) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(p.exists() for p in uploaded), "the upload is still in Gradio's cache"
        assert client.predict(api_name="/info")
