"""Fixtures shared by the tab tests: apps that differ from the session's tiny app.

The session's ``app_server`` (tests/conftest.py) serves the tiny preset's own choices; the
caption and VQA tabs are also checked against the transformers backends (tiny random BLIP
captioner, ViLT), pinned with ``MMDEMO_BACKENDS``. That app is shared by both tab files so
it starts once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.app_process import AppProcess


@pytest.fixture(scope="session")
def generative_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A client of ``python app.py`` (tiny) with caption -> BLIP tiny and VQA -> ViLT tiny."""
    with AppProcess(
        tmp_path_factory.mktemp("generative_app"),
        MMDEMO_PRESET="tiny",
        MMDEMO_BACKENDS="caption=blip-caption-tiny,vqa=vilt-vqa-tiny",
    ) as server:
        yield server.client()
