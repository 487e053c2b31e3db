"""Shared test harness: the real app as a subprocess, a gradio_client for it, test images.

Why a subprocess: integration and browser tests must exercise exactly what ``python app.py``
serves (env-var settings, default-gallery indexing, launch), not an in-process shortcut.
The server starts once per session with the ``tiny`` preset (random weights, offline) and a
fresh index folder, so it never touches the developer's real ``index/``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_START_TIMEOUT_S = float(os.environ.get("MMDEMO_TEST_APP_TIMEOUT", "120"))
# Local traffic must never go through a proxy someone exported for the package registries.
_NO_PROXY = "127.0.0.1,localhost"


def run_mmdemo(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """``python -m mmdemo ARGS`` with the tiny preset, offline, plus ``env``; output captured."""
    full_env = {**os.environ, "MMDEMO_PRESET": "tiny", "HF_HUB_OFFLINE": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "mmdemo", *args],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass(frozen=True)
class AppServer:
    """A running ``python app.py``: where it answers, where its index and log live."""

    url: str
    index_dir: Path
    log_path: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers_200(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """Terminate, then kill if it ignores us, always reaping the process."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@contextlib.contextmanager
def launch_app(work: Path, **env_vars: str) -> Iterator[AppServer]:
    """Run ``python app.py`` with a fresh index folder and a free port until the block ends."""
    index_dir = work / "index"
    index_dir.mkdir()
    log_path = work / "app.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ)
    env.pop("MMDEMO_PRESET", None)
    env.update(
        MMDEMO_INDEX_DIR=str(index_dir),
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        NO_PROXY=_NO_PROXY,
        no_proxy=_NO_PROXY,
    )
    env.update(env_vars)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = AppServer(url=url, index_dir=index_dir, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + APP_START_TIMEOUT_S
        while not _answers_200(url):
            if process.poll() is not None:
                pytest.fail(
                    f"app.py exited with code {process.returncode} before serving {url}.\n"
                    f"Last lines of {log_path}:\n{server.log_tail()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"app.py did not answer 200 at {url} within {APP_START_TIMEOUT_S:.0f} s.\n"
                    f"Last lines of {log_path}:\n{server.log_tail()}",
                    pytrace=False,
                )
            time.sleep(0.5)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``python app.py`` with the tiny preset (random weights): shapes, types, behaviour."""
    with launch_app(tmp_path_factory.mktemp("app_server"), MMDEMO_PRESET="tiny") as server:
        yield server


@pytest.fixture(scope="session")
def offline_app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """Plain ``python app.py`` with no preset set and no network: auto must pick ``lite``."""
    work = tmp_path_factory.mktemp("offline_app")
    empty_cache = work / "hf-cache"
    empty_cache.mkdir()
    with launch_app(
        work, MMDEMO_CACHE_DIR=str(empty_cache), HF_ENDPOINT="http://127.0.0.1:9"
    ) as server:
        yield server


def client_for(server: AppServer):
    """A ``gradio_client.Client`` for ``server`` that bypasses any proxy for 127.0.0.1."""
    from gradio_client import Client

    for key in ("NO_PROXY", "no_proxy"):  # httpx reads these when the client connects
        existing = os.environ.get(key, "")
        if "127.0.0.1" not in existing:
            os.environ[key] = ",".join(filter(None, [existing, _NO_PROXY]))
    return Client(server.url, verbose=False)


@pytest.fixture(scope="session")
def gradio_client(app_server: AppServer):
    """A ``gradio_client.Client`` connected to the session's tiny app server."""
    return client_for(app_server)


@pytest.fixture(scope="session")
def offline_client(offline_app_server: AppServer):
    """A ``gradio_client.Client`` for the offline (auto -> lite) app server."""
    return client_for(offline_app_server)


def write_test_image(
    path: str | os.PathLike,
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 40, 40),
) -> Path:
    """Write a small valid image (format from the suffix): ``color`` with a gradient stripe.

    The stripe makes images of different colours differ in more than a constant, and keeps
    JPEG from collapsing the picture to one value.
    """
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    image = Image.new("RGB", size, color)
    stripe = Image.linear_gradient("L").resize((width, max(1, height // 4))).convert("RGB")
    image.paste(stripe, (0, height - stripe.height))
    image.save(path)
    return path


@pytest.fixture
def make_test_image(tmp_path: Path) -> Callable[..., Path]:
    """``make_test_image("cat.png", color=(...))`` writes a small valid image in tmp_path."""

    def make(name: str = "test.png", **kwargs) -> Path:
        return write_test_image(tmp_path / name, **kwargs)

    return make
