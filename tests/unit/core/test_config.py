"""Settings: validated on construction, read from MMDEMO_* variables, shipped files found
through ``assets_dir``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmdemo.core.config import PROJECT_ROOT, Settings, settings_from_env
from mmdemo.core.errors import BadInputError


def test_batch_settings_are_validated():
    with pytest.raises(BadInputError, match="MMDEMO_MAX_BATCH"):
        Settings(max_batch=0)
    with pytest.raises(BadInputError, match="MMDEMO_BATCH_WINDOW_MS"):
        Settings(batch_window_ms=-1)


def test_assets_dir_defaults_to_the_shipped_assets_and_can_be_moved(tmp_path):
    assert Settings().assets_dir == PROJECT_ROOT / "assets"
    assert (Settings().assets_dir / "gallery").is_dir()
    moved = settings_from_env({"MMDEMO_ASSETS_DIR": str(tmp_path)})
    assert moved.assets_dir == Path(tmp_path) and isinstance(moved.assets_dir, Path)
    assert Settings().replace(assets_dir=tmp_path).assets_dir == tmp_path


@pytest.mark.parametrize("seconds", ["0", "-1", "inf", "nan"])
def test_the_generation_time_limit_is_a_finite_number_of_seconds(seconds):
    assert settings_from_env({"MMDEMO_GENERATE_MAX_S": "12.5"}).generate_max_s == 12.5
    with pytest.raises(BadInputError, match="MMDEMO_GENERATE_MAX_S"):
        settings_from_env({"MMDEMO_GENERATE_MAX_S": seconds})
