"""The index on disk: a manifest naming one generation of data files, replaced atomically.

A generation is ``vectors-<gen>.npy`` (float32, live rows in id order), ``ids-<gen>.npy``
(int64), ``metadata-<gen>.jsonl`` (one ``ItemMeta`` per line) and, for HNSW,
``hnsw-<gen>.faiss`` plus ``hnsw-rows-<gen>.npy`` (the id of every graph row, dead ones
included) so that a large graph need not be rebuilt on load. No pickle anywhere.
``manifest.json`` names the model that made the vectors, so an index is never searched
with vectors from another model.

``save`` writes a new generation, fsyncs it, replaces the manifest atomically and only
then deletes the old generation, so an exception at any point before the replace leaves
the previous index loadable. ``load`` follows a save that replaced the files under it.
The file helpers are module level so that tests can make a save fail half-way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mmdemo.core.errors import IndexCorruptError, IndexMismatchError
from mmdemo.core.results import ItemMeta
from mmdemo.index import kernels, runtime, types

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
METRIC = "inner_product"
_DATA_FILE = re.compile(
    r"^(?:vectors|ids|metadata|hnsw-rows|hnsw|sq8|fp16|ivfpq|fastscan)-\d+\.(?:npy|jsonl|faiss)$"
)


# -- file helpers -----------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    """Make renames and new names in ``directory`` durable (not possible on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_npy(path: Path, array: np.ndarray) -> None:
    """The .npy header, then the data straight from the buffer (no copy), through Python's
    file: ``np.save`` writes to a real file with C ``fwrite``, whose short write on a full
    disk is an OSError without errno ("3776 requested and 992 written")."""
    array = np.ascontiguousarray(array)
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, np.lib.format.header_data_from_array_1_0(array))
        if array.size:
            f.write(memoryview(array).cast("B"))
        f.flush()
        os.fsync(f.fileno())


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
            f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def _write_faiss(path: Path, index: Any) -> None:
    """Through Python's file too: faiss's own file writer reports a full disk as a
    RuntimeError (not a disk error to the callers, which then keep an unsaved change) and
    only prints a failed close."""
    faiss = runtime.faiss()
    with open(path, "wb") as f:
        faiss.write_index(index, faiss.PyCallbackIOWriter(f.write))
        f.flush()
        os.fsync(f.fileno())


def _read_npy(path: Path, *, dtype: np.dtype, ndim: int) -> np.ndarray:
    array = np.load(path, allow_pickle=False)
    if array.dtype != dtype or array.ndim != ndim:
        raise ValueError(
            f"{path.name} holds {array.dtype} {array.shape}, expected {ndim}-D {dtype}"
        )
    return array


def safe_name(directory: Path, name: object, what: str) -> Path:
    """A data file named by the manifest; never a path that leaves the directory."""
    if not isinstance(name, str) or not name or Path(name).name != name or name.startswith("."):
        raise IndexCorruptError(str(directory), f"the manifest names a bad {what} file {name!r}")
    return directory / name


# -- manifest ---------------------------------------------------------------------------------


def exists(directory: str | Path) -> bool:
    return (Path(directory) / MANIFEST_NAME).is_file()


def read_manifest(directory: str | Path) -> dict:
    """The checked manifest; IndexCorruptError if it is missing, unreadable or malformed."""
    directory = Path(directory)
    where = str(directory)
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(where, f"there is no {MANIFEST_NAME}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise IndexCorruptError(where, f"{MANIFEST_NAME} is not valid JSON ({err})") from None
    if not isinstance(manifest, dict):
        raise IndexCorruptError(where, f"{MANIFEST_NAME} is not a JSON object")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexCorruptError(
            where, f"format_version {version!r} is not supported (this version reads "
            f"{FORMAT_VERSION})",
        )  # fmt: skip
    checks = {
        "model_id": lambda v: isinstance(v, str) and v,
        "dim": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "count": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "next_id": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "metric": lambda v: v == METRIC,
        "normalized": lambda v: v is True,
        "kind": lambda v: v in types.TYPES,
        "files": lambda v: isinstance(v, dict),
    }
    for key, ok in checks.items():
        if key not in manifest:
            raise IndexCorruptError(where, f"{MANIFEST_NAME} lacks {key!r}")
        if not ok(manifest[key]):
            raise IndexCorruptError(where, f"{MANIFEST_NAME} has a bad {key}: {manifest[key]!r}")
    return manifest


# -- save -------------------------------------------------------------------------------------


def save(
    directory: Path, *, model_id: str, dim: int, next_id: int, created_at: str,
    metas: Mapping[int, ItemMeta], vectors: np.ndarray, live_rows: np.ndarray | None,
    graph: Any = None, graph_rows: np.ndarray | None = None, hnsw_params: Mapping | None = None,
    recall: tuple[float | None, int] = (1.0, 0), search_knob: Mapping | None = None,
) -> None:  # fmt: skip
    """Write one generation of files, then atomically point the manifest at it.

    ``metas`` in id order; ``vectors`` holds one row per faiss row, of which ``live_rows``
    (``None``: all of them) are written (decoded fp32 for the compact types). With ``graph``
    (any non-flat structure: HNSW, sq8, fp16, IVF-PQ) the structure itself is saved too, with
    ``graph_rows`` (the id of each of its rows) and ``hnsw_params`` (how an HNSW was built),
    so a load need not rebuild it. ``recall`` is (recall@10, queries it was measured on);
    ``search_knob`` the efSearch / nprobe tuned to reach it (HNSW, IVF-PQ), applied on load.
    """
    kind = "flat" if graph is None else types.type_of(graph)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        generation = int(read_manifest(directory).get("generation", 0)) + 1
    except (IndexCorruptError, TypeError, ValueError):
        generation = 1
    names = {
        "vectors": f"vectors-{generation}.npy",
        "ids": f"ids-{generation}.npy",
        "metadata": f"metadata-{generation}.jsonl",
    }
    if graph is not None:
        names["faiss_index"] = f"{kind}-{generation}.faiss"
        names["hnsw_rows"] = f"hnsw-rows-{generation}.npy"
    tmp = directory / (MANIFEST_NAME + ".tmp")
    try:
        _write_npy(
            directory / names["vectors"], vectors if live_rows is None else vectors[live_rows]
        )
        ids = np.fromiter(metas.keys(), dtype=np.int64, count=len(metas))
        _write_npy(directory / names["ids"], ids)
        _write_lines(
            directory / names["metadata"],
            (json.dumps(m.to_json(), ensure_ascii=False) for m in metas.values()),
        )
        if graph is not None:
            _write_faiss(directory / names["faiss_index"], graph)
            _write_npy(directory / names["hnsw_rows"], graph_rows)
        manifest = {
            "format_version": FORMAT_VERSION,
            "model_id": model_id,
            "dim": dim,
            "metric": METRIC,
            "normalized": True,
            "count": len(metas),
            "next_id": next_id,
            "kind": kind,
            "index_type": kind,
            "recall_at_10": recall[0],
            "recall_measured_on": recall[1],
            "faiss_version": runtime.faiss().__version__,
            "created_at": created_at,
            "updated_at": runtime.now(),
            "generation": generation,
            "files": names,
        }
        if kind == "hnsw":
            manifest["hnsw"] = dict(hnsw_params or {})
        if search_knob:
            manifest["search_knob"] = dict(search_knob)
        _write_lines(tmp, [json.dumps(manifest, indent=2)])
        _fsync_dir(directory)
        os.replace(tmp, directory / MANIFEST_NAME)
    except BaseException:  # Ctrl-C too: leave no half-written generation behind
        for name in [*names.values(), tmp.name]:
            with contextlib.suppress(OSError):
                (directory / name).unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    keep = set(names.values())
    for old in directory.iterdir():
        if _DATA_FILE.match(old.name) and old.name not in keep:
            try:
                old.unlink()
            except OSError:
                log.warning("Could not delete old index file %s", old, exc_info=True)
    log.debug("Saved %d items to %s (generation %d)", len(metas), directory, generation)


# -- load -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Saved:
    """One generation read back and checked, its vectors already inside faiss."""

    manifest: dict
    metas: list[ItemMeta]  # id order
    row_ids: np.ndarray  # the id of each faiss row, ascending
    alive: np.ndarray  # False for the graph's tombstones
    flat: Any = None  # IndexFlatIP holding the vectors, or
    graph: Any = None  # the saved IndexHNSWFlat


def load(
    directory: Path, *, expected_model_id: str | None, expected_dim: int | None,
    graph_above: int | None, want_type: Any = None,
) -> Saved:  # fmt: skip
    """Read the generation the manifest names, refusing one from another model or dim.

    The saved structure is used when ``want_type(count)`` names its type (``want_type``
    ``None``: an HNSW graph when there are more than ``graph_above`` items; both ``None``:
    never; the vectors then go into a flat index). A concurrent save may replace the files
    between reading the manifest and reading them: then the new generation is read.
    """
    for attempt in range(3):
        manifest = read_manifest(directory)
        model_id, dim = manifest["model_id"], manifest["dim"]
        if (expected_model_id is not None and model_id != expected_model_id) or (
            expected_dim is not None and dim != expected_dim
        ):
            raise IndexMismatchError(
                str(directory),
                f"{model_id} (dim {dim})",
                f"{expected_model_id or model_id} (dim {expected_dim or dim})",
            )
        try:
            return read_generation(
                directory, manifest, graph_above=graph_above, want_type=want_type
            )
        except FileNotFoundError as err:
            # a concurrent save may have just replaced this generation: read the new one
            try:
                moved = read_manifest(directory).get("generation") != manifest.get("generation")
            except IndexCorruptError:
                moved = False
            if moved and attempt < 2:
                continue
            missing = Path(err.filename or "?").name
            raise IndexCorruptError(str(directory), f"the data file {missing} is missing") from None
    raise AssertionError("unreachable")


def index_type(manifest: dict) -> str:
    """The manifest's index type; a manifest from before index types names only its kind."""
    return str(manifest.get("index_type") or manifest["kind"])


def read_generation(
    directory: Path, manifest: dict, *, graph_above: int | None, want_type: Any = None
) -> Saved:
    """The files of one manifest; FileNotFoundError (for ``load`` to retry) if one is gone."""
    where = str(directory)
    files = manifest["files"]
    count, dim = manifest["count"], manifest["dim"]
    try:
        ids = _read_npy(safe_name(directory, files.get("ids"), "ids"), dtype=np.int64, ndim=1)
        if len(ids) != count:
            raise ValueError(f"the manifest says {count} items but the ids file holds {len(ids)}")
        if count and (np.any(np.diff(ids) <= 0) or ids[0] < 0 or ids[-1] >= manifest["next_id"]):
            raise ValueError("the ids are not increasing, or not below next_id")
        metas = _read_metas(safe_name(directory, files.get("metadata"), "metadata"), ids)
    except (ValueError, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise IndexCorruptError(where, str(err)) from None
    vectors_path = safe_name(directory, files.get("vectors"), "vectors")
    # reusing the saved graph skips an HNSW build over every vector
    saved_type = index_type(manifest)
    if want_type is not None:
        wanted = want_type(count)  # a compact type that missed its recall: the next one saved
        use_saved = wanted == saved_type or saved_type in types.COMPACT_CHAIN.get(wanted, ())
    else:
        use_saved = saved_type == "hnsw" and graph_above is not None and count > graph_above
    if use_saved and files.get("faiss_index"):
        graph, row_ids, alive = read_graph(directory, files, ids, vectors_path, dim)
        return Saved(manifest, metas, row_ids, alive, graph=graph)
    flat = read_flat(vectors_path, count, dim, where)
    return Saved(manifest, metas, ids, np.ones(count, dtype=bool), flat=flat)


def _read_metas(path: Path, ids: np.ndarray) -> list[ItemMeta]:
    metas: list[ItemMeta] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                meta = ItemMeta.from_json(json.loads(line))
            except (json.JSONDecodeError, TypeError, AttributeError) as err:
                raise ValueError(f"{path.name} line {lineno} is not a valid item ({err})") from None
            metas.append(meta)
    if len(metas) != len(ids) or any(m.id != i for m, i in zip(metas, ids.tolist(), strict=True)):
        raise ValueError(f"{path.name} does not list the same items as the ids file")
    if len({m.sha256 for m in metas}) != len(metas):
        raise ValueError(f"{path.name} lists the same sha256 twice")
    return metas


def read_flat(path: Path, count: int, dim: int, where: str) -> Any:
    """Read the .npy straight into faiss storage: no second copy of the vectors in RAM."""
    flat = runtime.faiss().IndexFlatIP(dim)
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        except ValueError as err:
            raise IndexCorruptError(where, f"{path.name} is not a .npy file ({err})") from None
        if shape != (count, dim) or dtype != np.float32 or fortran:
            raise IndexCorruptError(
                where, f"{path.name} holds {dtype} {shape}, expected float32 ({count}, {dim})"
            )
        if count:
            nbytes = count * dim * 4
            flat.codes.resize(nbytes)
            flat.ntotal = count
            view = kernels.vectors_view(flat)
            buffer = memoryview(view).cast("B")
            done = 0
            while done < nbytes:  # one read() returns at most ~2 GiB on Linux
                got = f.readinto(buffer[done : done + (256 << 20)])
                if not got:
                    raise IndexCorruptError(where, f"{path.name} is truncated")
                done += got
            del buffer
            if not np.all(np.abs(np.einsum("ij,ij->i", view, view) - 1.0) < 1e-3):
                raise IndexCorruptError(
                    where, f"{path.name} holds vectors that are not unit length"
                )
    return flat


def read_graph(directory: Path, files: dict, ids: np.ndarray, vectors_path: Path, dim: int):
    """The saved graph, its row ids and live rows, checked against the ids and the vectors
    file (which is only memory-mapped, for a spot check)."""
    faiss = runtime.faiss()
    where = str(directory)
    graph_path = safe_name(directory, files.get("faiss_index"), "faiss_index")
    rows_path = safe_name(directory, files.get("hnsw_rows"), "hnsw_rows")
    if not graph_path.is_file():
        raise FileNotFoundError(2, "missing", str(graph_path))
    try:
        # read_index already returns the concrete class; downcasting this temporary
        # would leave a wrapper of an object Python has freed
        graph = faiss.read_index(str(graph_path))
    except RuntimeError as err:
        raise IndexCorruptError(
            where, f"{graph_path.name} cannot be read by faiss ({err})"
        ) from None
    try:
        row_ids = _read_npy(rows_path, dtype=np.int64, ndim=1)
        vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise IndexCorruptError(where, str(err)) from None
    if (
        types.type_of(graph) not in types.TYPES[1:]
        or graph.d != dim
        or graph.metric_type != faiss.METRIC_INNER_PRODUCT
        or graph.ntotal != len(row_ids)
        or (len(row_ids) > 1 and np.any(np.diff(row_ids) <= 0))
        or vectors.shape != (len(ids), dim)
        or vectors.dtype != np.float32
    ):
        raise IndexCorruptError(where, f"{graph_path.name} does not match the other files")
    alive = np.isin(row_ids, ids, assume_unique=True)
    if int(alive.sum()) != len(ids):
        raise IndexCorruptError(where, f"{rows_path.name} does not list every saved id")
    if not isinstance(graph, faiss.IndexHNSWFlat):  # compact codes decode lossily: no spot check
        if types.type_of(graph) == "ivfpq":
            types.ivf(graph).nprobe = types.IVF_NPROBE
        return graph, row_ids, alive
    view = kernels.vectors_view(graph)  # spot-check the first, middle and last live vectors
    live_rows = np.flatnonzero(alive)
    for i in {0, len(ids) // 2, len(ids) - 1} if len(ids) else ():
        if not np.array_equal(view[live_rows[i]], vectors[i]):
            raise IndexCorruptError(where, f"{graph_path.name} and {vectors_path.name} differ")
    return graph, row_ids, alive
