"""``python -m mmdemo info``: which preset is active and why, the models, device and index."""

from __future__ import annotations

import argparse

from mmdemo.cli.common import add_common, gallery_for, print_json, print_lines, settings_for, warn

NAME = "info"
ORDER = 70
HELP = "show preset, models, device and index"
EXIT_NO_INDEX = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services.status import status

    server, gallery = gallery_for(settings_for(args))
    report = status(server, gallery)
    memory = server.memory_state()
    code = EXIT_NO_INDEX if report.error else 0
    if args.json:
        print_json({**report.to_json(), "memory_budget": memory})
        return code
    lines = [
        f"preset: {report.preset} ({report.preset_reason})",
        f"device: {report.device}",
        f"index dir: {report.index_dir}",
    ]
    for model in report.models:
        note = " (random weights)" if model.is_random else ""
        lines.append(
            f"model[{model.task}]: {model.model} on {model.device} {model.dtype}, "
            f"{model.parameters / 1e6:.1f}M params{note}"
        )
    if report.index is not None:
        idx = report.index
        lines.append(
            f"index: {idx.count} images, {idx.kind} search, {idx.dim}-d, "
            f"{'GPU' if idx.on_gpu else 'CPU'}"
        )
        recall = idx.extra.get("recall_at_10")
        measured_on = idx.extra.get("recall_measured_on", 0)
        index_type = idx.extra.get("index_type", idx.kind)
        if idx.extra.get("rerank_from"):
            index_type += f" (re-ranked from {idx.extra['rerank_from']})"
        if recall is not None and measured_on:
            lines.append(
                f"index type: {index_type}, recall@10 {recall:.3f} "
                f"vs exact on {measured_on} queries"
            )
        elif recall is not None:  # an exact scan: nothing to measure
            lines.append(f"index type: {index_type} (exact)")
    lines += memory_lines(memory)
    print_lines(lines)
    if report.error:
        warn(f"error: {report.error}")
    return code


def memory_lines(state: dict) -> list[str]:
    """The memory budget, the model TTL and the recent unloads (``ModelServer.memory_state``)."""
    budget = state["budget_gb"]
    ttl = state["ttl_s"]
    lines = [
        f"memory budget: {state['loaded_gb']:.2f} GB of models loaded"
        + (
            f", budget {budget:g} GB"
            if budget is not None
            else ", no budget (MMDEMO_MEMORY_BUDGET_GB)"
        )
        + (f"; idle models unloaded after {ttl:g} s" if ttl is not None else "; no model TTL")
    ]
    for event in state["unloaded"]:
        lines.append(
            f"unloaded[{event['task']}]: {event['backend']} ({event['reason']}), "
            f"{event['gb']:.2f} GB, idle {event['idle_s']:.0f} s"
        )
    return lines
