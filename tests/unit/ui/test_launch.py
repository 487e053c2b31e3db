"""Start-up order (``mmdemo/ui/launch.py``): the page answers before the models are loaded,
shows that they are loading, and a request made meanwhile is served once they are ready.

The embedder is the tiny open_clip backend behind a gate: a real registered backend whose
load waits until the test opens the gate, so "still loading" lasts exactly as long as the
test needs - no sleeps that guess how slow the machine is.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait

import pytest

from mmdemo.core.config import Settings
from mmdemo.models.registry import add_backend, get_backend, remove_backend
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from tests.support.app_process import REPO_ROOT, free_port
from tests.support.environment import subprocess_env
from tests.support.images import write_test_image

GATED = "gated-tiny-embed"
GATE = threading.Event()
GATE_TIMEOUT_S = 120  # a safety net only: the test opens the gate itself
SUBPROCESS = {
    "cwd": REPO_ROOT,
    "env": subprocess_env(),
    "capture_output": True,
    "text": True,
    "timeout": 120,
}
WAITING_S = 3  # how long the search must stay unanswered while the gate is shut


def gated_load(spec, ctx):
    """The tiny embedder's own load, after the gate opens (a slow model, on demand)."""
    if not GATE.wait(GATE_TIMEOUT_S):
        raise RuntimeError("the test never opened the gate")
    tiny = get_backend("embed", "openclip-tiny")
    return tiny.load(tiny, ctx)


@pytest.fixture
def gated_app(tmp_path, monkeypatch):
    """The real page and server on a free port, its embedder gated; closed after."""
    from mmdemo.ui.launch import serve
    from mmdemo.ui.page import build_ui

    GATE.clear()
    tiny = get_backend("embed", "openclip-tiny")
    add_backend(dataclasses.replace(tiny, name=GATED, load=gated_load), replace=True)
    gallery_dir = tmp_path / "gallery"
    gallery_dir.mkdir()
    for i, color in enumerate([(220, 30, 30), (30, 200, 30), (30, 30, 220)]):
        write_test_image(gallery_dir / f"photo{i}.png", color=color)
    settings = Settings(
        preset="tiny",
        backends=f"embed={GATED}",
        index_dir=tmp_path / "index",
        gallery_dir=gallery_dir,
    )
    port = free_port()
    monkeypatch.setenv("GRADIO_SERVER_NAME", "127.0.0.1")
    monkeypatch.setenv("GRADIO_SERVER_PORT", str(port))
    server = ModelServer(settings)
    gallery = Gallery(server, settings)
    demo = build_ui(server, gallery)
    try:
        serve(demo, server, gallery, settings, block=False)
        # the port Gradio really bound: it reads GRADIO_SERVER_PORT once, when its
        # http_server module is first imported, so a second in-process launch (the browser
        # test's, or this one's after it) starts its search from the first test's port
        yield server, gallery, f"http://127.0.0.1:{demo.server_port}/"
    finally:
        GATE.set()  # never leave the warm-up thread waiting
        server.wait_warm(GATE_TIMEOUT_S)
        demo.close()
        remove_backend("embed", GATED)


def test_page_answers_while_models_load_and_a_waiting_search_is_served(gated_app):
    from gradio_client import Client

    from mmdemo.ui.status import banner_text

    server, gallery, url = gated_app
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=30) as r:
        assert r.status == 200  # the page, while the embedder is still behind the gate
    state = server.warm_state()
    assert state.loading and not server.is_loaded("embed")
    assert "Loading the models" in banner_text(server, gallery)  # returns without waiting

    client = Client(url, verbose=False)
    with ThreadPoolExecutor(1) as pool:
        search = pool.submit(client.predict, "a red square", 3, api_name="/search_text")
        # A request refused during warm-up would come back within these seconds.
        finished, _ = wait([search], timeout=WAITING_S)
        assert not finished, f"answered before the model could load: {search.result()}"
        GATE.set()
        outputs = search.result(timeout=GATE_TIMEOUT_S)

    hits = outputs[-1]  # (grid, message, hits): the JSON hits last
    assert len(hits) == 3, outputs  # served from the index the warm-up built
    state = server.wait_warm(GATE_TIMEOUT_S)
    assert state.phase == "ready" and "3 images" in state.detail
    assert "Loading the models" not in banner_text(server, gallery)


def test_failed_warm_up_is_reported_and_the_app_still_answers(tmp_path):
    """A warm-up job that fails leaves the state "failed" with the reason (the banner then
    shows the problem the usual way); nothing raises in the serving thread."""
    from mmdemo.core.errors import ModelLoadError

    server = ModelServer(Settings(preset="tiny", index_dir=tmp_path / "index"))
    assert server.warm_state().phase == "idle"

    def job():
        raise ModelLoadError("some-model", "its weights are missing", "Download them.")

    server.warm_up(job)
    state = server.wait_warm(30)
    assert state.phase == "failed" and "weights are missing" in state.detail
    assert not state.loading


def test_faiss_fallback_messages_are_silenced_and_nothing_else():
    """faiss's loader announces each optimised build it cannot find ("Could not load
    library with AVX512 support due to: ModuleNotFoundError..."); with the app's logging
    those lines are gone while the app's own INFO lines still print."""
    code = (
        "import logging, sys\n"
        "if sys.argv[1] == 'app':\n"
        "    from mmdemo.ui.launch import configure_logging; configure_logging()\n"
        "else:\n"
        "    logging.basicConfig(level=logging.INFO)\n"
        "import faiss\n"
        "logging.getLogger('mmdemo.app').info('app line')\n"
    )
    plain = subprocess.run([sys.executable, "-c", code, "plain"], **SUBPROCESS)
    quiet = subprocess.run([sys.executable, "-c", code, "app"], **SUBPROCESS)
    assert plain.returncode == 0 and quiet.returncode == 0, quiet.stderr
    assert "Could not load library" in plain.stderr  # what faiss says without us
    assert "Could not load library" not in quiet.stderr
    assert "faiss" not in quiet.stderr.lower()
    assert "app line" in quiet.stderr


def test_open_clip_chatter_filter_drops_only_open_clips_info_on_root():
    import logging
    import os

    from mmdemo.ui.launch import OpenClipChatter

    where = os.path.join(os.sep, "site-packages", "open_clip", "factory.py")

    def record(name, level, path):
        return logging.LogRecord(name, level, path, 1, "Parsing model identifier", None, None)

    chatter = OpenClipChatter()
    assert not chatter.filter(record("root", logging.INFO, where))
    assert chatter.filter(record("root", logging.WARNING, where))  # warnings still show
    assert chatter.filter(record("root", logging.INFO, "/work/mmdemo/app.py"))  # others kept
    assert chatter.filter(record("mmdemo.app", logging.INFO, where))
