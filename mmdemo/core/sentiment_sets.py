"""Readers for the hand-labelled sentiment sets in ``assets/quality`` (English and Chinese).

Why in core: the quality scripts measure on these sets and the training command of the
cross-lingual head trains on their tune rows; both layers read them through this one copy,
so a row cannot be read one way for training and another for measuring.
"""

from __future__ import annotations

from pathlib import Path

from mmdemo.core.errors import BadInputError

CLASSES = ("negative", "neutral", "positive")
SPLITS = ("tune", "heldout")


def load_labelled(path: str | Path) -> list[tuple[str, str]]:
    """(label, text) rows from ``label<TAB>text`` lines; skips '#' comments, blanks, header.

    A file whose header names more columns (``label split kind text``, as sentiment_zh.tsv)
    is read by ``load_table``; every row is returned, whatever its split."""
    rows: list[tuple[str, str]] = []
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    if len(header.split("\t")) > 2 and header.split("\t")[0].strip().lower() == "label":
        return [(row["label"], row["text"]) for row in load_table(path)]
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        label = label.strip().lower()
        if label == "label" and text.strip().lower() == "text":
            continue
        if not sep or not text.strip():
            raise BadInputError(f"{path}:{number}: expected 'label<TAB>text', got {line!r}.")
        if label not in CLASSES:
            raise BadInputError(
                f"{path}:{number}: unknown label {label!r}; use one of {', '.join(CLASSES)}."
            )
        rows.append((label, text.strip()))
    return rows


def load_table(path: str | Path) -> list[dict[str, str]]:
    """Rows of a tab-separated set with a header (``label split kind text``): one dict per row.

    Why a header: the Chinese set carries its tune/heldout split and the kind of each
    sentence (negation, sarcasm, slang...) so numbers can be given per kind on held-out rows.
    """
    path = Path(path)
    columns: list[str] | None = None
    rows: list[dict[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if columns is None:
            columns = [c.lower() for c in cells]
            if "label" not in columns or "text" not in columns:
                raise BadInputError(f"{path}:{number}: the header must name 'label' and 'text'.")
            continue
        if len(cells) != len(columns) or not cells[columns.index("text")]:
            raise BadInputError(
                f"{path}:{number}: expected {len(columns)} tab-separated cells "
                f"({', '.join(columns)}), got {line!r}."
            )
        row = dict(zip(columns, cells, strict=True))
        row["label"] = row["label"].lower()
        if row["label"] not in CLASSES:
            raise BadInputError(
                f"{path}:{number}: unknown label {row['label']!r}; use one of {', '.join(CLASSES)}."
            )
        if "split" in row and row["split"] not in SPLITS:
            raise BadInputError(
                f"{path}:{number}: unknown split {row['split']!r}; use {' or '.join(SPLITS)}."
            )
        rows.append(row)
    return rows
