"""``MMDEMO_PRESET=auto``: pick ``full`` when its weights are at hand, otherwise ``lite``.

Why a choice at start-up rather than a failure: an offline laptop in a stakeholder room
should open a demo that works (``lite``), and say plainly that it did so and why, instead
of showing an error about unreachable weights. The decision is local-first: the cache is
checked without network, and the hub gets one short probe only if something is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from mmdemo.core.config import Settings
from mmdemo.models.presets import AUTO, get_preset

log = logging.getLogger(__name__)

HUB_PROBE_SECONDS = 2.0


@dataclass(frozen=True)
class PresetChoice:
    name: str  # the preset in use: full, lite or tiny
    requested: str  # what the settings asked for (auto or a preset name)
    reason: str  # one sentence for the banner, the info command and the log


def choose_preset(settings: Settings, probe: Callable[[float], bool] | None = None) -> PresetChoice:
    """Resolve ``settings.preset`` (``auto`` or a preset name) to the preset to serve."""
    requested = settings.preset
    if requested != AUTO:
        get_preset(requested)  # unknown -> UnknownNameError listing the choices
        return PresetChoice(requested, requested, f"MMDEMO_PRESET={requested}")
    from mmdemo.models.hub.preset_weights import missing_weights

    missing = missing_weights("full", settings, essential_only=True)  # re-rank is opt-in
    if not missing:
        choice = PresetChoice("full", AUTO, "the full models' weights are in the local cache")
    else:
        if probe is None:
            from mmdemo.models.hub.files import hub_reachable as probe
        names = ", ".join(w.label for w in missing)
        if probe(HUB_PROBE_SECONDS):
            choice = PresetChoice(
                "full",
                AUTO,
                f"the Hugging Face hub answered, so the full models ({names}) download on "
                "first use",
            )
        else:
            choice = PresetChoice(
                "lite",
                AUTO,
                f"the full models' weights ({names}) are not in the local cache and the "
                "Hugging Face hub cannot be reached",
            )
    log.info("Preset auto -> %s: %s", choice.name, choice.reason)
    return choice
