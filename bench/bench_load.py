"""Load test: simulated visitors (locust) on a fresh tiny-preset app, errors, latency, memory.

Starts ``python app.py`` (tiny preset, fresh index, uploads in a temporary folder) on
127.0.0.1 in a gallery mode (``per-visitor`` by default: what a public Space runs), runs the
visitors of ``bench/locustfile.py`` (a mix of tasks over Gradio's raw HTTP API, each visitor
its own browser session) through locust's library API in this process, samples the server's
RSS and the load average every second, and prints per-endpoint p50/p95, failures and RSS
growth after the warm-up. Bounded: the users stop at warm-up + duration (each call times out
after 60 s), and the app is always stopped, also on Ctrl-C or SIGTERM. Exit status 1 if any
request failed (warm-up included), RSS grew by 10 % or more after the warm-up, or (per-visitor
mode) the base gallery changed, so it can gate.

    python -m bench.bench_load [--users 32] [--spawn-rate N] [--duration 120] [--warmup 30]
                               [--gallery-mode per-visitor|shared] [--log PATH]

Needs ``requirements-bench.txt`` (locust); the app and its tests do not. ``MMDEMO_*``
variables of the caller's environment are not passed to the app (the run sets its own);
others are, e.g. ``MALLOC_MMAP_THRESHOLD_=131072`` (docs/benchmarks.md, section 12).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# locust monkey-patches the standard library for gevent when it is imported; it must come
# before anything that imports ssl or urllib3 (the first-party imports below do).
import gevent
import gevent.event
import locust
import psutil
from locust import between
from locust.env import Environment

from bench import locustfile
from bench._loopback import bypass_proxies
from bench._machine import cpu_count, cpu_model
from tests.support.app_process import AppProcess

RSS_GOAL = 0.10  # growth after the warm-up, as a fraction
STOP_GRACE_S = 30  # for the users to be stopped once the time is up
MIB = 2**20


@dataclass
class Run:
    """What one load run measured (filled in while it runs)."""

    users: int
    spawn_rate: float
    gallery_mode: str
    warmup_s: float
    duration_s: float
    started_s: float = 0.0  # app start-up, to the first HTTP 200
    measured_s: float = 0.0  # from the end of the warm-up to the stop
    # (seconds since start, RSS bytes, of which file-backed: mapped libraries and weights)
    rss: list[tuple[float, int, int]] = field(default_factory=list)
    rss_start: int = 0
    rss_warm: int = 0
    rss_end: int = 0
    file_warm: int = 0
    file_end: int = 0
    rows: list[dict] = field(default_factory=list)  # per endpoint, measured window only
    failures: Counter = field(default_factory=Counter)  # (name, message) -> n, whole run
    tool_errors: Counter = field(default_factory=Counter)  # exceptions in our own tasks
    requests_whole_run: int = 0
    cpu_app: float = 0.0  # cores busy in the measured window
    cpu_tool: float = 0.0
    load: list[tuple[float, float]] = field(default_factory=list)  # (seconds, 1-min average)
    index_before: int | None = None  # the (shared or base) gallery's images
    index_after: int | None = None
    overlays: int | None = None  # per-visitor galleries on disk at the end
    stopped_by: str = "time"
    app_log: str = ""

    @property
    def growth(self) -> float | None:
        """RSS growth from the end of the warm-up to the stop (None: not measured)."""
        if not (self.rss_warm and self.rss_end):
            return None
        return (self.rss_end - self.rss_warm) / self.rss_warm

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


def memory_of(pid: int) -> tuple[int, int]:
    """Resident memory of the app and any children it started: (RSS, its file-backed part)."""
    process = psutil.Process(pid)
    info = process.memory_info()
    total, shared = info.rss, info.shared
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # it may have just exited
            info = child.memory_info()
            total, shared = total + info.rss, shared + info.shared
    return total, shared


def rss_of(pid: int) -> int:
    return memory_of(pid)[0]


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def status_text(visitor: type[locustfile.Visitor]) -> str:
    """The app's /info markdown for a new session, fetched outside the measurement (no stats).

    The first call also checks the API the mix needs and learns the gallery mode (class
    attributes of ``visitor``); a failure raises ``locustfile.BadResult`` with the reason.
    """
    env = Environment(user_classes=[visitor])
    errors = []
    env.events.request.add_listener(
        lambda exception=None, **_: exception is not None and errors.append(exception)
    )
    user = visitor(env)
    try:
        user.on_start()
        result = user.call("info", locustfile.check_info)
    finally:
        user.on_stop()
    if errors or result is None:
        raise locustfile.BadResult(f"the app's /info failed before the load: {errors}")
    return result[0]


def snapshot(env: Environment) -> list[dict]:
    """Per-endpoint rows from locust's stats, most requested first, then the total."""

    def row(name: str, entry) -> dict:
        return {
            "name": name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5) or 0,
            "p95": entry.get_response_time_percentile(0.95) or 0,
            "max": entry.max_response_time or 0,
        }

    entries = sorted(env.stats.entries.values(), key=lambda e: -e.num_requests)
    return [row(e.name, e) for e in entries] + [row("total", env.stats.total)]


def run_load(app: AppProcess, run: Run, think: tuple[float, float]) -> None:
    """Drive the visitors against ``app`` until the time is up or a signal arrives."""
    visitor = type(
        "Visitor",
        (locustfile.Visitor,),
        {
            "wait_time": between(*think),
            "host": app.url,
            "parameters": None,
            "per_visitor": None,
            "base_size": None,
        },
    )
    # the API's inputs and defaults, once, before the clock starts (fails fast if it changed)
    run.index_before = locustfile.index_size(status_text(visitor))
    if visitor.per_visitor != (run.gallery_mode == "per-visitor"):
        raise locustfile.BadResult(
            f"asked for gallery mode {run.gallery_mode}, but the app's /info "
            f"{'shows' if visitor.per_visitor else 'does not show'} per-visitor uploads"
        )

    env = Environment(user_classes=[visitor], host=app.url, catch_exceptions=True)
    recording = [True]

    def on_request(request_type, name, exception=None, **_):
        if recording[0]:
            run.requests_whole_run += 1
            if exception is not None:
                run.failures[(f"{request_type} {name}", str(exception)[:300])] += 1

    def on_user_error(user_instance, exception, tb, **_):
        run.tool_errors[f"{type(exception).__name__}: {exception}"[:300]] += 1

    env.events.request.add_listener(on_request)
    env.events.user_error.add_listener(on_user_error)

    stop = gevent.event.Event()

    def on_signal(name: str) -> None:
        run.stopped_by = name
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, on_signal, signal.Signals(signum).name)

    def sample_rss() -> None:
        while True:
            try:
                run.rss.append((time.monotonic() - t0, *memory_of(app.pid)))
            except psutil.Error:
                return
            run.load.append((time.monotonic() - t0, os.getloadavg()[0]))
            gevent.sleep(1)

    run.rss_start = rss_of(app.pid)
    runner = env.create_local_runner()
    t0 = time.monotonic()
    sampler = gevent.spawn(sample_rss)
    runner.start(run.users, spawn_rate=run.spawn_rate)
    warm_at = deadline = None
    try:
        warm_at = t0 + run.warmup_s
        deadline = warm_at + run.duration_s
        warmed = False
        cpu_app0 = cpu_tool0 = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if app.process.poll() is not None:
                run.stopped_by = f"the app exiting (code {app.process.returncode})"
                break
            if not warmed and now >= warm_at:
                warmed = True
                env.stats.reset_all()  # latencies from here on; failures are kept in run
                run.rss_warm, run.file_warm = memory_of(app.pid)
                cpu_app0, cpu_tool0 = cpu_seconds(app.pid), cpu_seconds(os.getpid())
                warm_at = now
            if now >= deadline:
                break
            stop.wait(timeout=min(1.0, deadline - now))
        end = time.monotonic()
        recording[0] = False  # calls cut short by the stop are not results
        if warmed and app.process.poll() is None:
            run.measured_s = end - warm_at
            run.rss_end, run.file_end = memory_of(app.pid)
            run.cpu_app = (cpu_seconds(app.pid) - cpu_app0) / run.measured_s
            run.cpu_tool = (cpu_seconds(os.getpid()) - cpu_tool0) / run.measured_s
        run.rows = snapshot(env)
    finally:
        recording[0] = False
        runner.quit()
        runner.greenlet.join(timeout=STOP_GRACE_S)
        sampler.kill()
    if run.stopped_by == "time" and app.process.poll() is None:
        try:
            run.index_after = locustfile.index_size(status_text(visitor))
        except locustfile.BadResult as err:  # counted, and the report still printed
            run.failures[("CALL /info after the load", str(err)[:300])] += 1
    overlays = app.index_dir / "visitors"
    if run.gallery_mode == "per-visitor":
        run.overlays = sum(1 for d in overlays.iterdir() if d.is_dir()) if overlays.is_dir() else 0


def print_report(run: Run) -> None:
    memory = psutil.virtual_memory().total / 2**30
    print(
        f"machine: {cpu_model()}, {cpu_count()} cores usable, {memory:.0f} GiB; "
        f"Python {platform.python_version()}, locust {locust.__version__}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    warm = run.warmup_s
    during = [avg for t, avg in run.load if t >= warm] or [avg for _, avg in run.load]
    if during:
        print(
            f"load average (1 min) in the measured window: {min(during):.1f} - "
            f"{max(during):.1f}, mean {sum(during) / len(during):.1f}"
        )
    gallery = "base gallery" if run.gallery_mode == "per-visitor" else "shared gallery"
    overlays = "" if run.overlays is None else f"; {run.overlays} visitor galleries on disk"
    print(
        f"{run.users} users (spawn {run.spawn_rate:g}/s), {run.warmup_s:g} s warm-up + "
        f"{run.duration_s:g} s measured ({run.measured_s:.0f} s); app: tiny preset, gallery "
        f"mode {run.gallery_mode}, started in {run.started_s:.1f} s; {gallery} "
        f"{run.index_before or '?'} -> {run.index_after or '?'} images{overlays}; "
        f"stopped by {run.stopped_by}"
    )
    seconds = run.measured_s or 1
    print(
        f"\n{'request':24s} {'count':>6s} {'fails':>6s} {'p50 ms':>8s} {'p95 ms':>8s} "
        f"{'max ms':>8s} {'per s':>7s}"
    )
    for row in run.rows:
        print(
            f"{row['name']:24s} {row['requests']:6d} {row['failures']:6d} {row['p50']:8.0f} "
            f"{row['p95']:8.0f} {row['max']:8.0f} {row['requests'] / seconds:7.2f}"
        )
    print("(an endpoint row is one whole call: submit + its event stream; 'upload' is one file)")
    print(
        f"\nfailures over the whole run, warm-up included: {run.failed} of "
        f"{run.requests_whole_run} requests"
    )
    for (name, message), n in run.failures.most_common(20):
        print(f"  {n:5d} x {name}: {message}")
    for message, n in run.tool_errors.most_common(10):
        print(f"  {n:5d} x load tool error (a bug in bench/locustfile.py): {message}")
    by_30s = (
        [
            next((rss, rss - file) for t, rss, file in run.rss if t >= mark)
            for mark in range(0, int(run.rss[-1][0]) + 1, 30)
        ]
        if run.rss
        else []
    )
    peak = max((rss for _, rss, _ in run.rss), default=0)
    growth = "not measured" if run.growth is None else f"{100 * run.growth:+.1f} %"
    print(
        f"server RSS: before load {run.rss_start / MIB:.0f} MiB, after warm-up "
        f"{run.rss_warm / MIB:.0f} MiB, end {run.rss_end / MIB:.0f} MiB, peak {peak / MIB:.0f} "
        f"MiB; growth after warm-up {growth} (goal < {100 * RSS_GOAL:.0f} %)"
    )
    print(
        "  every 30 s from the start, MiB (anonymous in brackets): "
        + " ".join(f"{rss / MIB:.0f} ({anon / MIB:.0f})" for rss, anon in by_30s)
    )
    print(
        f"  anonymous {(run.rss_warm - run.file_warm) / MIB:.0f} -> "
        f"{(run.rss_end - run.file_end) / MIB:.0f} MiB, file-backed {run.file_warm / MIB:.0f} -> "
        f"{run.file_end / MIB:.0f} MiB (after warm-up -> end)"
    )
    print(f"CPU in the measured window: app {run.cpu_app:.2f} cores, load tool {run.cpu_tool:.2f}")
    if run.failed and run.app_log:
        print("\nerrors in the app's log:\n" + run.app_log)


def log_errors(log_path: Path, limit: int = 40) -> str:
    """The app log's error lines and the tracebacks' last lines, at most ``limit``."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    keep = [
        line
        for i, line in enumerate(lines)
        if " ERROR " in line
        or (line and not line[0].isspace() and i > 0 and lines[i - 1].startswith("  "))
    ]
    return "\n".join(keep[:limit])


def verdict(run: Run) -> int:
    problems = []
    if run.stopped_by != "time":
        problems.append(f"stopped early by {run.stopped_by}")
    if not run.rows or run.rows[-1]["requests"] == 0:
        problems.append("no requests were measured")
    if run.failed or run.tool_errors:
        problems.append(f"{run.failed + sum(run.tool_errors.values())} error(s)")
    if run.gallery_mode == "per-visitor" and run.index_after != run.index_before:
        problems.append(f"the base gallery went {run.index_before} -> {run.index_after} images")
    if run.growth is None:
        problems.append("RSS growth not measured")
    elif run.growth >= RSS_GOAL:
        problems.append(f"RSS grew {100 * run.growth:.1f} % >= {100 * RSS_GOAL:.0f} %")
    print("\nverdict: " + ("FAIL: " + "; ".join(problems) if problems else "PASS"))
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=32, help="simulated visitors (32)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second (users/8)")
    parser.add_argument("--duration", type=float, default=120, help="measured seconds (120)")
    parser.add_argument("--warmup", type=float, default=30, help="seconds before measuring (30)")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(1.0, 4.0),
        metavar=("MIN", "MAX"),
        help="seconds a visitor waits between actions (1 4)",
    )
    parser.add_argument(
        "--gallery-mode",
        choices=("per-visitor", "shared"),
        default="per-visitor",
        help="MMDEMO_GALLERY_MODE of the app (per-visitor: what a public Space runs)",
    )
    parser.add_argument("--log", type=Path, help="keep the app's log at this path")
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra variable for app.py, e.g. MMDEMO_MALLOC_MMAP_THRESHOLD_KB=1024",
    )
    args = parser.parse_args(argv)
    if (
        args.users < 1
        or args.duration <= 0
        or args.warmup < 0
        or not 0 <= args.think[0] <= args.think[1]
    ):
        parser.error("--users >= 1, --duration > 0, --warmup >= 0, 0 <= MIN <= MAX")
    run = Run(
        users=args.users,
        spawn_rate=args.spawn_rate or max(1.0, args.users / 8),
        warmup_s=args.warmup,
        duration_s=args.duration,
        gallery_mode=args.gallery_mode,
    )
    if run.users / run.spawn_rate > run.warmup_s:
        print(f"note: spawning takes {run.users / run.spawn_rate:.0f} s, longer than the warm-up")
    bypass_proxies()
    # Until the load starts, Ctrl-C or SIGTERM raise KeyboardInterrupt (AppProcess then stops
    # the app); during the load, run_load's handlers end the run and report what it measured.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    work = Path(tempfile.mkdtemp(prefix="bench_load_"))
    # the caller's MMDEMO_* settings are dropped (AppProcess sets the index folder itself)
    env = {
        key: None
        for key in os.environ
        if key.upper().startswith("MMDEMO_") and key != "MMDEMO_INDEX_DIR"
    }
    env.update(
        MMDEMO_PRESET="tiny",
        MMDEMO_GALLERY_MODE=run.gallery_mode,
        GRADIO_TEMP_DIR=str(work / "uploads"),
    )
    env.update(item.split("=", 1) for item in args.app_env)
    if args.app_env:
        print(f"app env: {', '.join(args.app_env)}")
    try:
        with AppProcess(work, **env) as app:
            run.started_s = app.started_s
            run_load(app, run, tuple(args.think))
    except KeyboardInterrupt:
        print("interrupted before the load started; the app was stopped", file=sys.stderr)
        return 130
    except locustfile.BadResult as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        run.app_log = log_errors(work / "app.log")
        if args.log:
            shutil.copyfile(work / "app.log", args.log)
        shutil.rmtree(work, ignore_errors=True)
    print_report(run)
    if run.stopped_by in ("SIGINT", "SIGTERM"):
        print("\ninterrupted: the numbers above cover the time it ran; the app was stopped")
        return 130
    return verdict(run)


if __name__ == "__main__":
    sys.exit(main())
