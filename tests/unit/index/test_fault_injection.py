"""Fault injection: kill -9 at every step of a save, and a full disk at every step (patched,
and for real on a small filled tmpfs), for the index on disk and the stored image copies.

What must hold after any fault: the index loads, and is either the last committed state or
the new one - never a mix, never less than what was committed; a save reports a failure
only when nothing changed on disk, and the gallery reports it as a ``StorageError`` with its
in-memory index matching the disk; a stored copy is complete under its final name or not
there, and a bad copy already there is rewritten, not trusted.

The kills happen in one child process (this file run as a script): it builds the indexes
once, then forks one grandchild per step, which saves with a SIGKILL at that step
(``tests/support/faults.py`` names the steps); this test then loads what each kill left.
The real full disk is a 2 MiB tmpfs mounted in a private mount namespace (``unshare``), so
no mount can outlive the test; the test is skipped where user namespaces are not allowed.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import StorageError
from mmdemo.index import VectorIndex, storage
from mmdemo.services.gallery import Gallery
from mmdemo.services.stored_files import store_copy
from tests.support.app_process import REPO_ROOT, run_python
from tests.support.environment import subprocess_env
from tests.support.faults import NO_SPACE, FaultySteps, killed_by_sigkill
from tests.support.vectors import DIM, MODEL, make_metas

# approx_threshold per kind: the items stay exact, or go into a saved HNSW graph
KINDS = {"flat": 1000, "hnsw": 4}
COMMIT = "rename manifest.json.tmp -> manifest.json"
NO_SPACE_TEXT = os.strerror(errno.ENOSPC)
MAX_PIXELS = 10**7
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}  # safe to fork


# -- the states a save goes between ---------------------------------------------------------


def committed(kind: str, count: int = 8) -> VectorIndex:
    """The saved state every fault starts from (a fixed seed: the same items every run)."""
    rng = np.random.default_rng(7)
    index = VectorIndex(DIM, MODEL, use_gpu=False, approx_threshold=KINDS[kind])
    index.add(rng.standard_normal((count, DIM)).astype(np.float32), make_metas(count))
    return index


def change(index: VectorIndex) -> None:
    """A removal (tombstones in a graph), new items and a caption: every file changes."""
    rng = np.random.default_rng(8)
    index.remove([1, 2])
    index.add(rng.standard_normal((3, DIM)).astype(np.float32), make_metas(3, 500))
    index.update_meta(0, caption="changed")


def load(folder: Path, kind: str) -> VectorIndex:
    """The saved index as the app loads it (the HNSW kind from its saved graph)."""
    return VectorIndex.load(
        folder, expected_model_id=MODEL, expected_dim=DIM, approx_threshold=KINDS[kind],
        use_gpu=False,
    )  # fmt: skip


def state(index: VectorIndex) -> tuple:
    """Everything a visitor could notice: next id, each item's metadata and vector."""
    items = index.items()
    return index.next_id, items, [index.vector(m.id).tobytes() for m in items]


def data_files(folder: Path) -> list[str]:
    """What a committed folder should hold: the manifest and the files it names."""
    return sorted([storage.MANIFEST_NAME, *storage.read_manifest(folder)["files"].values()])


def noise_png(seed: int = 3, size: int = 110) -> bytes:
    """A PNG that does not compress (tens of KiB: a write spans several pages)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return out.getvalue()


def copy_target(store: Path, data: bytes) -> Path:
    return store / f"{hashlib.sha256(data).hexdigest()[:20]}.png"


def corrupt(data: bytes) -> bytes:
    """The same length with one byte changed: a size check would trust it."""
    return data[:-20] + bytes([data[-20] ^ 0xFF]) + data[-19:]


def prepare_store(store: Path, data: bytes, existing: str) -> None:
    store.mkdir(parents=True)
    if existing == "corrupt":
        copy_target(store, data).write_bytes(corrupt(data))


def stub_gallery(folder: Path, kind: str) -> Gallery:
    """A gallery over ``folder``: opening, removing and saving need no model, only its
    name and dimension."""
    embedder = SimpleNamespace(dim=DIM, model_id=MODEL)
    server = SimpleNamespace(get=lambda task, backend=None: embedder)
    settings = Settings(
        preset="tiny", index_dir=folder, index_default_gallery=False, faiss_gpu=False,
        approx_threshold=KINDS[kind],
    )  # fmt: skip
    return Gallery(server, settings, store_dir=folder / "images")  # type: ignore[arg-type]


# -- the child: one fork per step, each killed at its step -----------------------------------


def _fork_killed_at(step: int, act) -> bool:
    pid = os.fork()
    if pid == 0:
        try:
            act(FaultySteps(step))
        except BaseException:
            traceback.print_exc()  # the child's stderr reaches the test's failure message
        finally:
            os._exit(3)  # the save finished: the step was not reached
    return killed_by_sigkill(pid)


def _kill_at_every_step(work: Path) -> None:
    """For each kind: the reference states, the steps of the save, one kill per step."""
    report: dict[str, list[str]] = {}
    for kind in KINDS:
        base = work / kind
        index = committed(kind)
        index.save(base / "old")
        index.save(base / "template")  # what every killed save starts from
        change(index)
        index.save(base / "new")

        def save(steps: FaultySteps, folder: Path, index=index) -> None:
            with steps.installed(storage):
                index.save(folder)

        counted = FaultySteps()
        shutil.copytree(base / "template", base / "count")
        save(counted, base / "count")
        report[kind] = counted.labels
        for n in range(1, len(counted.labels) + 1):
            folder = base / f"kill-{n}"
            shutil.copytree(base / "template", folder)
            if not _fork_killed_at(n, lambda steps, folder=folder: save(steps, folder)):
                raise SystemExit(f"{kind}: the save was not killed at step {n}")
    data = noise_png()
    source = work / "upload.png"
    source.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    for existing in ("none", "corrupt"):

        def copy(steps: FaultySteps, store: Path) -> None:
            with steps.installed():
                store_copy(source, sha, store, name="upload.png", max_pixels=MAX_PIXELS)

        counted = FaultySteps()
        prepare_store(work / f"copy-{existing}-count", data, existing)
        copy(counted, work / f"copy-{existing}-count")
        report[f"copy-{existing}"] = counted.labels
        for n in range(1, len(counted.labels) + 1):
            store = work / f"copy-{existing}-kill-{n}"
            prepare_store(store, data, existing)
            if not _fork_killed_at(n, lambda steps, store=store: copy(steps, store)):
                raise SystemExit(f"copy ({existing}): not killed at step {n}")
    (work / "steps.json").write_text(json.dumps(report))


@pytest.fixture(scope="module")
def killed(tmp_path_factory) -> tuple[Path, dict[str, list[str]]]:
    """The folders the kills left, and the steps of each save (one child for them all)."""
    work = tmp_path_factory.mktemp("kill-9")
    code = (
        f"import runpy, sys; sys.argv = ['', 'kill', {str(work)!r}]; "
        f"runpy.run_path({__file__!r}, run_name='__main__')"
    )
    result = run_python(code, timeout=240, **SINGLE_THREADED)
    assert result.returncode == 0, result.stderr[-4000:]
    return work, json.loads((work / "steps.json").read_text())


@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_at_any_step_of_a_save_leaves_the_old_or_the_new_index(killed, kind):
    """Before the manifest's rename the committed index loads, after it the new one; the
    next save then leaves only its own files (the killed save's debris is cleared)."""
    work, report = killed
    labels = report[kind]
    assert COMMIT in labels, labels
    for name in ("vectors-2.npy", "ids-2.npy", "metadata-2.jsonl", "manifest.json.tmp"):
        assert f"write {name}" in labels and f"fsync {name}" in labels, (name, labels)
    if kind == "hnsw":  # the graph's own file is written step by step too
        assert "write hnsw-2.faiss" in labels and "write hnsw-rows-2.npy" in labels, labels
    assert "unlink vectors-1.npy" in labels  # the old generation goes after the commit
    old, new = state(load(work / kind / "old", kind)), state(load(work / kind / "new", kind))
    assert old != new
    commit = labels.index(COMMIT) + 1  # steps count from 1
    for n, label in enumerate(labels, 1):
        folder = work / kind / f"kill-{n}"
        loaded = load(folder, kind)
        assert loaded.kind == kind
        assert state(loaded) == (old if n <= commit else new), f"killed at step {n}: {label}"
        loaded.save(folder)
        assert sorted(os.listdir(folder)) == data_files(folder), f"after step {n}: {label}"
        assert state(load(folder, kind)) == state(loaded)


@pytest.mark.parametrize("existing", ["none", "corrupt"])
def test_a_kill_during_a_stored_copy_never_leaves_a_cut_copy(killed, existing):
    """The final name holds the whole copy or what was there before; a retry makes it whole
    (a corrupt copy already there is rewritten). A kill leaves at most a hidden temp file."""
    work, report = killed
    labels = report[f"copy-{existing}"]
    data = (work / "upload.png").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    before = corrupt(data) if existing == "corrupt" else None
    for n, label in enumerate(labels, 1):
        store = work / f"copy-{existing}-kill-{n}"
        target = copy_target(store, data)
        left = target.read_bytes() if target.exists() else None
        found = {data: "whole", before: "the old copy", None: "absent"}.get(left, "cut short")
        expected = {"whole", "the old copy" if before else "absent"}
        assert found in expected, f"killed at step {n} ({label}): the copy is {found}"
        assert all(p.name.startswith(".") for p in store.iterdir() if p != target)
        stored = store_copy(work / "upload.png", sha, store, name="u.png", max_pixels=MAX_PIXELS)
        assert Path(stored) == target and target.read_bytes() == data
    assert any(label.startswith("write ") for label in labels), labels  # the steps were seen
    assert any(label.startswith("rename ") for label in labels), labels


# -- a full disk, one step at a time -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_disk_at_any_step_of_a_save_is_a_storage_error(tmp_path, kind):
    """ENOSPC at each step of the gallery's save: either the save is complete, or it fails
    as a StorageError, the folder holds exactly the committed files, and the gallery's
    in-memory index (reloaded) matches the disk. After the commit nothing may fail."""
    template = tmp_path / "template"
    committed(kind).save(template)
    old_files = sorted(os.listdir(template))

    def attempt(steps: FaultySteps, folder: Path) -> tuple[Gallery, StorageError | None]:
        gallery = stub_gallery(folder, kind)
        _ = gallery.index  # opened before the fault: only the save is faulty
        try:
            with steps.installed(storage):
                gallery.remove([3, 4])
        except StorageError as err:
            return gallery, err
        return gallery, None

    counted = FaultySteps()
    shutil.copytree(template, tmp_path / "count")
    gallery, err = attempt(counted, tmp_path / "count")
    assert err is None and COMMIT in counted.labels
    old, new = state(load(template, kind)), state(gallery.index)
    commit = counted.labels.index(COMMIT) + 1
    for n, label in enumerate(counted.labels, 1):
        folder = tmp_path / f"step-{n}"
        shutil.copytree(template, folder)
        gallery, err = attempt(FaultySteps(n, NO_SPACE), folder)
        disk = state(load(folder, kind))
        assert state(gallery.index) == disk, f"step {n} ({label}): memory and disk differ"
        # every step up to the commit must fail the save, but a folder's fsync (best effort)
        folder_fsync = label.startswith("fsync ") and "." not in label.split(" ", 1)[1]
        assert (err is not None) == (n <= commit and not folder_fsync), f"step {n}: {label}"
        if err is None:
            assert disk == new, f"step {n} ({label})"
            continue
        assert NO_SPACE_TEXT in str(err), str(err)
        assert disk == old, f"step {n} ({label})"
        assert sorted(os.listdir(folder)) == old_files, f"step {n} ({label}): debris left"


@pytest.mark.parametrize("existing", ["none", "corrupt"])
def test_a_full_disk_at_any_step_of_a_stored_copy(tmp_path, existing):
    """ENOSPC at each step: a StorageError, no cut copy and no temp file; a retry works."""
    data = noise_png()
    source = tmp_path / "upload.png"
    source.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    before = corrupt(data) if existing == "corrupt" else None
    counted = FaultySteps()
    prepare_store(tmp_path / "count", data, existing)
    with counted.installed():
        store_copy(source, sha, tmp_path / "count", name="u.png", max_pixels=MAX_PIXELS)
    for n, label in enumerate(counted.labels, 1):
        store = tmp_path / f"step-{n}"
        prepare_store(store, data, existing)
        target = copy_target(store, data)
        try:
            with FaultySteps(n, NO_SPACE).installed():
                store_copy(source, sha, store, name="u.png", max_pixels=MAX_PIXELS)
        except StorageError as err:
            assert NO_SPACE_TEXT in str(err)
            assert (target.read_bytes() if target.exists() else None) == before, label
            assert [p.name for p in store.iterdir()] == ([target.name] if before else []), label
        else:
            assert target.read_bytes() == data, label
        assert store_copy(source, sha, store, name="u.png", max_pixels=MAX_PIXELS) == str(target)
        assert target.read_bytes() == data


# -- a real full disk: a small tmpfs, filled up ---------------------------------------------

TMPFS_BYTES, PAGE = 2 << 20, 4096


def _mount_tmpfs(folder: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    options = f"size={TMPFS_BYTES},mode=0700".encode()
    if libc.mount(b"tmpfs", str(folder).encode(), b"tmpfs", 0, options) != 0:
        raise OSError(ctypes.get_errno(), "mount tmpfs", str(folder))


def _fill(disk: Path) -> tuple[Path, int]:
    """A file taking every free page of ``disk``: shrink it to free some."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * PAGE)
    except OSError as err:
        assert err.errno == errno.ENOSPC, err
    finally:
        os.close(fd)
    return filler, filler.stat().st_size


def _free_pages(disk: Path) -> int:
    stats = os.statvfs(disk)
    return stats.f_bavail * stats.f_frsize // PAGE


def _on_a_full_disk(work: Path) -> None:
    """The child (in its own mount namespace): saves and copies on a 2 MiB tmpfs with 0, 1,
    2... pages free, until one fits; what each attempt left is written to report.json."""
    disk = work / "disk"
    disk.mkdir()
    _mount_tmpfs(disk)
    records = []
    for kind in KINDS:
        folder = disk / kind
        committed(kind, count=120).save(folder)
        old, old_files = state(load(folder, kind)), sorted(os.listdir(folder))
        filler, full = _fill(disk)
        for pages in range(64):
            os.truncate(filler, full - pages * PAGE)
            gallery = stub_gallery(folder, kind)
            _ = gallery.index
            record = {"what": f"save {kind}", "free": _free_pages(disk), "error": None}
            try:
                gallery.remove([3, 4])
            except Exception as err:
                record["error"] = f"{type(err).__name__}: {err}"
            disk_state = state(load(folder, kind))
            record["memory_is_disk"] = state(gallery.index) == disk_state
            record["disk_is_old"] = disk_state == old
            record["files_are_old"] = sorted(os.listdir(folder)) == old_files
            records.append(record)
            if record["error"] is None:
                break
        filler.unlink()
    data = noise_png(size=150)
    source = work / "upload.png"  # outside the small disk
    source.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    for existing in ("none", "corrupt"):
        store = disk / f"images-{existing}"
        prepare_store(store, data, existing)
        target = copy_target(store, data)
        filler, full = _fill(disk)
        for pages in range(64):
            os.truncate(filler, full - pages * PAGE)
            record = {"what": f"copy ({existing})", "free": _free_pages(disk), "error": None}
            try:
                store_copy(source, sha, store, name="u.png", max_pixels=MAX_PIXELS)
            except Exception as err:
                record["error"] = f"{type(err).__name__}: {err}"
            left = target.read_bytes() if target.exists() else None
            record["target"] = "whole" if left == data else "absent" if left is None else "bad"
            record["others"] = sorted(p.name for p in store.iterdir() if p != target)
            records.append(record)
            if record["error"] is None:
                break
        filler.unlink()
    (work / "report.json").write_text(json.dumps(records, indent=1))


def test_a_real_full_disk_keeps_the_saved_index_and_says_so(tmp_path):
    """The same as above with the kernel's own ENOSPC (and short writes) from a filled tmpfs:
    what a patched write cannot show, e.g. a library that writes the file itself."""
    unshare = ["unshare", "--user", "--map-root-user", "--mount"]
    if (
        shutil.which("unshare") is None
        or subprocess.run([*unshare, "true"], capture_output=True).returncode
    ):
        pytest.skip("no unshare here (user namespaces off): cannot mount a small tmpfs")
    code = (
        f"import runpy, sys; sys.argv = ['', 'tmpfs', {str(tmp_path)!r}]; "
        f"runpy.run_path({__file__!r}, run_name='__main__')"
    )
    result = subprocess.run(
        [*unshare, sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
        env=subprocess_env(**SINGLE_THREADED), timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    records = json.loads((tmp_path / "report.json").read_text())
    for what in ("save flat", "save hnsw", "copy (none)", "copy (corrupt)"):
        attempts = [r for r in records if r["what"] == what]
        assert attempts[-1]["error"] is None, attempts[-1]  # a save fits once there is room
        assert len(attempts) >= 4, attempts  # and several did not
        for record in attempts[:-1]:
            assert record["error"].startswith("StorageError: "), record
            assert NO_SPACE_TEXT in record["error"], record
            if what.startswith("save"):
                assert record["disk_is_old"] and record["files_are_old"], record
                assert record["memory_is_disk"], record
            else:
                assert record["target"] == ("bad" if "corrupt" in what else "absent"), record
                assert record["others"] == [], record
        assert attempts[-1].get("target", "whole") == "whole"
        assert attempts[-1].get("memory_is_disk", True)


if __name__ == "__main__":
    {"kill": _kill_at_every_step, "tmpfs": _on_a_full_disk}[sys.argv[1]](Path(sys.argv[2]))
