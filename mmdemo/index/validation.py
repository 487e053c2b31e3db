"""Checks on what callers hand the index: vectors and item metadata.

Pure functions that raise ``BadInputError`` with a message a user can act on. The index
runs them before it takes its lock or changes anything, so a bad row leaves it as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import ItemMeta

# every ItemMeta field but the id, which the index assigns
META_FIELDS = tuple(f.name for f in dataclasses.fields(ItemMeta) if f.name != "id")
REQUIRED_META = ("path", "sha256", "size_bytes", "width", "height")


def as_dim(dim: object) -> int:
    """The dimension of an index's vectors, as an int."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise BadInputError(f"The vector dimension must be a whole number >= 1, not {dim!r}.")
    return int(dim)


def as_model_id(model_id: object) -> str:
    """The id of the model that makes an index's vectors: the index refuses any other's."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise BadInputError("The index needs the id of the model that makes its vectors.")
    return model_id


def as_rows(array: object, dim: int, what: str, model_id: str) -> np.ndarray:
    """(n, dim) float32, L2-normalised in a fresh array; refuses zero and non-finite rows.

    Normalising here is what makes inner product equal cosine everywhere in the index,
    for stored vectors and queries alike. The caller's array is never modified.
    """
    try:
        x = np.array(array, dtype=np.float32, order="C")
    except (TypeError, ValueError) as err:
        raise BadInputError(f"The {what} must be a numeric array: {err}.") from None
    if x.ndim == 1 and x.shape[0] == dim:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != dim:
        raise BadInputError(
            f"The {what} have shape {x.shape}, but the index for {model_id} holds "
            f"{dim}-dimensional vectors: expected ({dim},) or (n, {dim})."
        )
    if not np.isfinite(x).all():
        raise BadInputError(f"The {what} contain NaN or infinite values.")
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))  # no (n, dim) temporary
    zero = np.flatnonzero(norms < 1e-12)
    if zero.size:
        rows = ", ".join(str(i) for i in zero[:10])
        raise BadInputError(
            f"The {what} include all-zero vectors (row {rows}); a zero vector has no "
            "direction, so it cannot be compared by cosine similarity."
        )
    x /= norms[:, None]
    return x


def as_batch(
    vectors: object, metas: Sequence[Mapping], dim: int, model_id: str
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The rows and cleaned metadata of one ``add``: exactly one metadata dict per vector."""
    metas = list(metas)
    if not metas:
        if np.size(vectors) != 0:
            raise BadInputError("Got vectors but no metadata: give one dict per vector.")
        return np.empty((0, dim), dtype=np.float32), []
    x = as_rows(vectors, dim, "vectors", model_id)
    if len(x) != len(metas):
        raise BadInputError(
            f"Got {len(x)} vector(s) but {len(metas)} metadata dict(s); they must pair up."
        )
    return x, [clean_meta(m, f"item {i}") for i, m in enumerate(metas)]


def new_ids(hashes: Iterable[str], known: Container[str], next_id: int) -> list[int | None]:
    """The id each item of a batch gets, from ``next_id`` on, or None for a hash that is
    ``known`` or repeats an earlier one: an image is indexed once, however often it is added."""
    result: list[int | None] = []
    seen: set[str] = set()
    for sha in hashes:
        if sha in known or sha in seen:
            result.append(None)
            continue
        seen.add(sha)
        result.append(next_id + len(seen) - 1)
    return result


def as_k(k: object) -> int:
    """``k`` of a search as an int (sliders may send floats)."""
    try:
        return int(k)
    except (TypeError, ValueError):
        raise BadInputError(f"k must be a whole number, not {k!r}.") from None


def as_ids(ids: Collection[object]) -> set[int]:
    """Item ids given by a caller, as a set of ints."""
    try:
        return {int(i) for i in ids}
    except (TypeError, ValueError):
        raise BadInputError(f"exclude_ids must be item ids, not {ids!r}.") from None


def clean_meta(meta: Mapping[str, Any], where: str, *, partial: bool = False) -> dict[str, Any]:
    """Check and coerce metadata fields.

    A new item (``partial=False``) must have every ``REQUIRED_META`` field; unknown keys
    (including ``id``) are dropped. An update (``partial=True``) may name any subset of
    ``META_FIELDS`` but nothing else: a misspelt field must not vanish silently.
    """
    if not isinstance(meta, Mapping):
        raise BadInputError(f"{where}: metadata must be a dict, not {type(meta).__name__}.")
    if partial:
        unknown = sorted(set(meta) - set(META_FIELDS))
        if unknown:
            raise BadInputError(
                f"Unknown metadata field(s) {', '.join(unknown)}. "
                f"Valid fields: {', '.join(META_FIELDS)}."
            )
    else:
        missing = [key for key in REQUIRED_META if key not in meta]
        if missing:
            raise BadInputError(
                f"{where}: metadata lacks {', '.join(missing)} "
                f"(required: {', '.join(REQUIRED_META)})."
            )
    out: dict[str, Any] = {}
    for key in META_FIELDS:
        if key not in meta:
            continue
        value = meta[key]
        if key in ("path", "sha256", "added_at"):
            if not isinstance(value, str) or not value:
                raise BadInputError(f"{where}: {key} must be a non-empty string, not {value!r}.")
        elif key in ("caption", "name"):
            if value is not None and not isinstance(value, str):
                raise BadInputError(f"{where}: {key} must be a string or None, not {value!r}.")
        else:  # size_bytes, width, height
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise BadInputError(f"{where}: {key} must be a whole number >= 0, not {value!r}.")
            value = int(value)
        out[key] = value
    return out
