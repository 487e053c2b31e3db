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


def test_the_index_settings_are_read_validated_and_handed_to_the_index():
    default = Settings().index_limits()
    assert default == {"approx_threshold": 50_000, "compact_threshold": None,
                       "ivfpq_threshold": 2_000_000, "memory_budget_bytes": None}  # fmt: skip
    env = {"MMDEMO_INDEX_COMPACT_THRESHOLD": "20000", "MMDEMO_INDEX_IVFPQ_THRESHOLD": "",
           "MMDEMO_INDEX_MEMORY_GB": "1.5", "MMDEMO_APPROX_THRESHOLD": "90000"}  # fmt: skip
    assert settings_from_env(env).index_limits() == {
        "approx_threshold": 90_000, "compact_threshold": 20_000, "ivfpq_threshold": None,
        "memory_budget_bytes": 1536 * 1024**2,
    }  # fmt: skip
    bad = {
        "MMDEMO_INDEX_COMPACT_THRESHOLD": ["0", "-3", "many"],
        "MMDEMO_INDEX_IVFPQ_THRESHOLD": ["0", "1e6"],
        "MMDEMO_INDEX_MEMORY_GB": ["0", "-1", "inf", "nan", "lots"],
    }
    for name, values in bad.items():
        for value in values:
            with pytest.raises(BadInputError, match=name):
                settings_from_env({name: value})
