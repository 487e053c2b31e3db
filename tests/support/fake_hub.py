"""A tiny stand-in for the Hugging Face hub, serving files from a local folder (tests only).

Why: downloads must be tested without internet. ``huggingface_hub`` 2.4 needs only a few
routes, found by reading its ``file_download`` / ``_snapshot_download`` / ``hf_api`` code:

* ``HEAD|GET /{org}/{repo}/resolve/{revision}/{path}``: the file, with ``X-Repo-Commit``,
  ``ETag`` and ``Content-Length`` (``hf_hub_download``; a 404 carries ``X-Error-Code``);
* ``GET /api/models/{org}/{repo}[/revision/{revision}]``: repo info with ``sha`` and
  ``siblings`` (``snapshot_download`` resolves the revision to a commit with it);
* ``GET /api/models/{org}/{repo}/tree/{revision}[/{path}]?recursive=...``: the file listing.

Files live in ``ROOT/{org}/{repo}/{path}`` (symlinks are followed). Point the client at it
with ``HF_ENDPOINT=hub.url`` in a subprocess, or patch ``huggingface_hub.constants.ENDPOINT``
in-process (the library reads ``HF_ENDPOINT`` once, at import time).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

_CHUNK = 1 << 20

# ``MMDEMO_BACKENDS`` for download tests that want one hub download only (the full CLIP):
# every other task on a backend without hub weights (lite-style, or a tiny random twin).
CLIP_ONLY_BUT_GENERATIVE = (
    "embed=openclip-vit-b-32,caption=label-caption,vqa=routed-vqa,sentiment=vader,"
    "match=blip-itm-tiny"  # the re-rank matcher: its random twin is built here, not fetched
)
CLIP_ONLY = CLIP_ONLY_BUT_GENERATIVE + ",chat=smolvlm-tiny,generate=sd-tiny"


class FakeHub:
    """``with FakeHub(root) as hub:`` serves ``root`` on 127.0.0.1 at ``hub.url``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.requests: list[tuple[str, str]] = []  # (method, path) in arrival order
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- content -----------------------------------------------------------------------
    def add_file(
        self, repo_id: str, path: str, content: bytes | str | os.PathLike, *, link: bool = False
    ) -> Path:
        """Put ``content`` (bytes, or a file to copy - or symlink, to spare the disk) in a repo."""
        target = self.repo_dir(repo_id).joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif link:
            target.symlink_to(Path(content).resolve())
        else:
            shutil.copyfile(content, target)
        return target

    def repo_dir(self, repo_id: str) -> Path:
        return self.root.joinpath(*repo_id.split("/"))

    def files(self, repo_id: str) -> dict[str, Path]:
        """Repo-relative ``/``-separated path -> file, sorted."""
        base = self.repo_dir(repo_id)
        found = {
            path.relative_to(base).as_posix(): path for path in base.rglob("*") if path.is_file()
        }
        return dict(sorted(found.items()))

    def commit(self, repo_id: str) -> str:
        """A 40-hex commit id that changes whenever a file is added, removed or rewritten."""
        digest = hashlib.sha1(repo_id.encode())
        for name, path in self.files(repo_id).items():
            digest.update(f"{name}\0{_fingerprint(path)}\0".encode())
        return digest.hexdigest()

    # -- server ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeHub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.hub = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        log.debug("Fake hub serving %s at %s", self.root, self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _fingerprint(path: Path) -> str:
    """A cheap 40-hex ETag (git-blob style, so huggingface_hub never re-hashes the content)."""
    stat = path.stat()
    return hashlib.sha1(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as huggingface_hub's client expects
    server_version = "FakeHub/1"

    @property
    def hub(self) -> FakeHub:
        return self.server.hub  # type: ignore[attr-defined]

    def log_message(self, format: str, *args) -> None:
        log.debug("fake hub: " + format, *args)

    def do_HEAD(self) -> None:
        self._route(send_body=False)

    def do_GET(self) -> None:
        self._route(send_body=True)

    # -- routing -----------------------------------------------------------------------
    def _route(self, send_body: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        self.hub.requests.append((self.command, path))
        parts = [p for p in path.split("/") if p]
        try:
            if parts[:2] == ["api", "models"] and len(parts) >= 4:
                self._api(parts[2:], parse_qs(split.query), send_body)
            elif len(parts) >= 5 and parts[2] == "resolve":
                self._resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]), send_body)
            else:
                self._error(404, "NotFound", f"no route for {path}", send_body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("fake hub: client went away during %s", path)

    def _known_repo(self, repo_id: str, revision: str, send_body: bool) -> str | None:
        """The repo's commit, or None after answering 404 for a missing repo or revision."""
        if not self.hub.repo_dir(repo_id).is_dir():
            self._error(404, "RepoNotFound", f"Repository {repo_id} not found", send_body)
            return None
        commit = self.hub.commit(repo_id)
        if revision not in ("main", commit):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body, commit)
            return None
        return commit

    def _resolve(self, repo_id: str, revision: str, filename: str, send_body: bool) -> None:
        commit = self._known_repo(repo_id, revision, send_body)
        if commit is None:
            return
        path = self.hub.files(repo_id).get(filename)
        if path is None:
            self._error(404, "EntryNotFound", f"{filename} does not exist", send_body, commit)
            return
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("ETag", f'"{_fingerprint(path)}"')
        self.send_header("X-Repo-Commit", commit)
        self.send_header("Accept-Ranges", "none")
        self.end_headers()
        if send_body:
            with open(path, "rb") as handle:
                shutil.copyfileobj(handle, self.wfile, _CHUNK)

    def _api(self, parts: list[str], query: dict[str, list[str]], send_body: bool) -> None:
        repo_id, rest = "/".join(parts[:2]), parts[2:]
        if not rest or (rest[0] == "revision" and len(rest) == 2):
            commit = self._known_repo(repo_id, rest[1] if rest else "main", send_body)
            if commit is not None:
                siblings = [{"rfilename": name} for name in self.hub.files(repo_id)]
                info = {"id": repo_id, "modelId": repo_id, "sha": commit, "private": False}
                self._json({**info, "siblings": siblings}, send_body)
        elif rest[0] == "tree" and len(rest) >= 2:
            commit = self._known_repo(repo_id, rest[1], send_body)
            if commit is not None:
                recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
                self._json(self._tree(repo_id, "/".join(rest[2:]), recursive), send_body)
        else:
            self._error(404, "NotFound", f"no API route for {'/'.join(parts)}", send_body)

    def _tree(self, repo_id: str, under: str, recursive: bool) -> list[dict]:
        prefix = f"{under}/" if under else ""
        entries: dict[str, dict] = {}
        for name, path in self.hub.files(repo_id).items():
            if not name.startswith(prefix):
                continue
            rel = name[len(prefix) :].split("/")
            for depth in range(1, len(rel)):  # the folders on the way, like the real hub
                folder = prefix + "/".join(rel[:depth])
                if recursive or depth == 1:
                    entries.setdefault(
                        folder, {"type": "directory", "path": folder, "oid": "0" * 40}
                    )
            if recursive or len(rel) == 1:
                size = path.stat().st_size
                entries[name] = {
                    "type": "file",
                    "path": name,
                    "size": size,
                    "oid": _fingerprint(path),
                }
        return list(entries.values())

    # -- responses ---------------------------------------------------------------------
    def _json(self, payload, send_body: bool) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _error(
        self, status: int, code: str, message: str, send_body: bool, commit: str | None = None
    ) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        if commit:
            self.send_header("X-Repo-Commit", commit)
        self.end_headers()
        if send_body:
            self.wfile.write(body)


_LOCAL_HOSTS = "127.0.0.1,localhost"


def use_hub(monkeypatch, url: str) -> None:
    """Point downloads at ``url`` with the hub switched on, whatever the developer's env says."""
    from huggingface_hub import close_session, constants

    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for key in ("NO_PROXY", "no_proxy"):  # the shared httpx client reads these when created
        monkeypatch.setenv(key, ",".join(filter(None, [os.environ.get(key), _LOCAL_HOSTS])))
    close_session()


def go_offline(monkeypatch) -> None:
    """The hub switched off, and its address pointing where nothing listens."""
    import socket

    from huggingface_hub import close_session, constants

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    close_session()


def unreachable_hub(monkeypatch, offline: bool) -> None:
    """A hub nobody can reach: nothing listens at its address, and maybe HF_HUB_OFFLINE too."""
    go_offline(monkeypatch)
    if not offline:
        from huggingface_hub import constants

        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
