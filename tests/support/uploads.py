"""Uploads a careless or hostile caller sends: broken image files, and raw HTTP calls.

Why here: several tabs take images, and each tab's tests check that its endpoints name a
bad file and never read a file outside Gradio's upload folder; the crafted inputs are the
same for all of them.
"""

from __future__ import annotations

import json
import struct
import urllib.request
import uuid
import zlib
from pathlib import Path

from tests.support.images import write_test_image


def tiny_png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG header claiming a huge size (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# file name -> content; None: the first 400 bytes of a real 300x300 PNG (truncated)
BAD_FILES: dict[str, bytes | None] = {
    "notes.png": b"this is a text file, not a picture",
    "empty.jpg": b"",
    "truncated.png": None,
    "bomb.png": tiny_png_declaring(50_000, 50_000),
}


def write_bad_file(folder: Path, name: str) -> Path:
    """Write ``BAD_FILES[name]`` as ``folder/name``; the path is returned."""
    path = Path(folder) / name
    content = BAD_FILES[name]
    if content is None:
        whole = write_test_image(Path(folder) / "whole.png", size=(300, 300))
        content = whole.read_bytes()[:400]
    path.write_bytes(content)
    return path


def raw_call(base_url: str, api_name: str, data: list, headers: dict | None = None) -> str:
    """Call an endpoint over plain HTTP (no gradio_client, which would upload files itself).

    ``headers`` go with the call (``Accept-Language``, a ``Cookie``: what a browser sends).
    Returns the event stream's text (``event: complete`` / ``event: error`` lines).
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        f"{base_url}gradio_api/call/{api_name}",
        data=json.dumps({"data": data}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with opener.open(request, timeout=30) as response:
        event_id = json.loads(response.read())["event_id"]
    with opener.open(f"{base_url}gradio_api/call/{api_name}/{event_id}", timeout=60) as response:
        return response.read().decode()


def raw_upload(base_url: str, name: str, content: bytes) -> dict:
    """Upload a file the way the page does (``/gradio_api/upload``, multipart); returns the
    FileData payload naming it, ready for a raw call's ``data``."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        f"{base_url}gradio_api/upload",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with opener.open(request, timeout=30) as response:
        path = json.loads(response.read())[0]
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def server_file_payload(path: Path) -> dict:
    """A FileData payload naming a file on the server, outside its upload folder."""
    return {"path": str(path), "orig_name": "x.png", "meta": {"_type": "gradio.FileData"}}
