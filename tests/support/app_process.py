"""The real app (``python app.py``) as a process, and ``python -m mmdemo`` as a command.

Why one harness: integration tests, browser tests and benchmarks must all exercise exactly
what a person runs (settings from the environment, default-gallery indexing, launch), not
an in-process shortcut - and must never leave a server behind. ``AppProcess`` starts the
app on a free loopback port with a fresh index folder, waits for HTTP 200 *and* for the
background warm-up to finish (the page answers before the models are loaded, see
``mmdemo/ui/launch.py``; the log says when the warm-up is done), and always stops it; on
failure it raises ``AppStartError`` with the tail of the app's log.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.support.environment import subprocess_env

REPO_ROOT = Path(__file__).resolve().parents[2]
# What app.py's log says when the background warm-up has finished (ModelServer.warm_up):
# either way the app is as ready as it will get (a failure is shown in its banner).
WARM_DONE_MARKERS = ("Warm-up done in ", "Warm-up failed after ")


class AppStartError(RuntimeError):
    """The app exited or did not answer in time; the message holds its log's tail."""


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers_200(url: str, timeout: float = 5) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def run_python(code: str, timeout: float = 120, **env: str | None) -> subprocess.CompletedProcess:
    """``python -c CODE`` in a fresh interpreter at the repository root; output captured."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_mmdemo(*args: str, timeout: float = 300, **env: str | None) -> subprocess.CompletedProcess:
    """``python -m mmdemo ARGS`` with the tiny preset, offline, plus ``env``; output captured."""
    return subprocess.run(
        [sys.executable, "-m", "mmdemo", *args],
        cwd=REPO_ROOT,
        env=subprocess_env(**{"MMDEMO_PRESET": "tiny", **env}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def user_error(result: subprocess.CompletedProcess) -> str:
    """The message of a CLI user error: exit status 2, one ``error:`` line, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


class AppProcess:
    """``with AppProcess(work, MMDEMO_PRESET="tiny") as app:`` serves app.py at ``app.url``.

    ``work`` holds the index folder (``work/index``) and the log (``work/app.log``); without
    it a temporary folder is made. Extra keyword arguments are environment variables.
    ``wait_ready=False`` returns as soon as the page answers, while the models may still be
    loading (``wait_warm`` then waits for them).
    """

    def __init__(
        self,
        work: Path | None = None,
        *,
        timeout: float = 180,
        wait_ready: bool = True,
        **env: str | None,
    ):
        self.work = Path(work) if work is not None else Path(tempfile.mkdtemp(prefix="mmdemo-"))
        self.index_dir = self.work / "index"
        self.log_path = self.work / "app.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.timeout = timeout
        self.env = subprocess_env(
            **{
                "MMDEMO_INDEX_DIR": str(self.index_dir),
                "GRADIO_SERVER_NAME": "127.0.0.1",  # a test may ask for 0.0.0.0 (a LAN demo)
                "GRADIO_SERVER_PORT": str(self.port),
                **env,
            }
        )
        self.wait_ready = wait_ready
        self.process: subprocess.Popen | None = None
        self._popen_at = 0.0
        self.answered_s = 0.0  # from Popen to the first HTTP 200 (the page answers)
        self.ready_s = 0.0  # from Popen to the end of the warm-up (0 until seen)
        self.started_s = 0.0  # ready_s when waited for, else answered_s

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> AppProcess:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._popen_at = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "app.py"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            self._wait()
            self.answered_s = time.perf_counter() - self._popen_at
            if self.wait_ready:
                self.wait_warm()
        except BaseException:
            self.stop()
            raise
        self.started_s = self.ready_s if self.wait_ready else self.answered_s
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait(self) -> None:
        self._poll_until(lambda: answers_200(self.url), f"answer 200 at {self.url}", 0.5)

    def warm_done(self) -> bool:
        """True once the log says the background warm-up finished (done or failed)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return False
        return any(marker in text for marker in WARM_DONE_MARKERS)

    def wait_warm(self) -> float:
        """Wait (within the start-up timeout) for the warm-up; seconds from Popen to it."""
        if not self.ready_s:
            self._poll_until(self.warm_done, "finish warming up its models", 0.1)
            self.ready_s = time.perf_counter() - self._popen_at
        return self.ready_s

    def _poll_until(self, done, what: str, interval: float) -> None:
        deadline = self._popen_at + self.timeout
        while not done():
            if self.process.poll() is not None:
                raise AppStartError(
                    f"app.py exited with code {self.process.returncode} before it could "
                    f"{what}.\nLast lines of {self.log_path}:\n{self.log_tail()}"
                )
            if time.perf_counter() > deadline:
                raise AppStartError(
                    f"app.py did not {what} within {self.timeout:.0f} s.\n"
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(interval)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log written)"
        return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"

    def client(self):
        """A ``gradio_client.Client`` for the app (loopback traffic bypasses any proxy)."""
        from gradio_client import Client

        return Client(self.url, verbose=False)

    @contextlib.contextmanager
    def gallery_left_as_it_was(self) -> Iterator[None]:
        """Whatever a test adds to this (shared, session-wide) app's gallery is removed again
        afterwards, passed or failed: other tests count and open the default gallery's
        images. Needs the shared gallery mode (no admin password)."""
        client = self.client()
        before = set(self._gallery_ids(client))
        try:
            yield
        finally:
            added = [i for i in self._gallery_ids(client) if i not in before]
            if added:
                client.predict(", ".join(map(str, added)), "", api_name="/index_remove")

    @staticmethod
    def _gallery_ids(client) -> list[int]:
        ids, page = [], 1
        while True:
            data = client.predict(page, 60, api_name="/gallery_page")[3]
            ids += [item["id"] for item in data["items"]]
            if len(data["items"]) < 60:
                return ids
            page += 1

    def stop(self) -> None:
        """Terminate, then kill if it ignores us, always reaping the process."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def endpoint_parameters(client, api_name: str) -> list[str]:
    """Parameter names of an endpoint (e.g. to see whether ``/vqa`` takes a model choice)."""
    info = client.view_api(print_info=False, return_format="dict")
    endpoint = info["named_endpoints"].get(api_name, {})
    return [p.get("parameter_name") or p.get("label", "") for p in endpoint.get("parameters", [])]
