"""Start ``python app.py`` for a benchmark, talk to it with gradio_client, always stop it.

Why a helper: several bench scripts drive the real app over HTTP (what a browser or an API
user pays) and must never leave a server behind. The app's log goes to a file whose tail
is printed if it fails to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LOCAL = "127.0.0.1,localhost"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


class RunningApp:
    """``with RunningApp(env) as app:`` serves ``app.py`` on 127.0.0.1 with ``env`` added."""

    def __init__(self, env: dict[str, str], timeout: float = 600):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.timeout = timeout
        self.env = {
            **os.environ,
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(self.port),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "NO_PROXY": _LOCAL,
            "no_proxy": _LOCAL,
            **env,
        }
        self.log_path = Path(tempfile.mkstemp(prefix="bench_app_", suffix=".log")[1])
        self.process: subprocess.Popen | None = None
        self.started_s = 0.0  # from Popen to the first HTTP 200

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> RunningApp:
        started = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "app.py"], cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise
        self.started_s = time.perf_counter() - started
        for key in ("NO_PROXY", "no_proxy"):  # the client in this process must not use a proxy
            os.environ[key] = _LOCAL
        os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry thread in the client
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"app.py exited before serving:\n{self.log_tail()}")
            try:
                with opener.open(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"app.py did not answer in {self.timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def client(self):
        from gradio_client import Client

        return Client(self.url, verbose=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def endpoint_parameters(client, api_name: str) -> list[str]:
    """Parameter names of an endpoint (e.g. to see whether ``/vqa`` takes a model choice)."""
    info = client.view_api(print_info=False, return_format="dict")
    endpoint = info["named_endpoints"].get(api_name, {})
    return [p.get("parameter_name") or p.get("label", "") for p in endpoint.get("parameters", [])]
