"""A visitor's evaluation CSV (columns image, text, label), read and checked before any work.

Why its own module: the CSV comes from anyone on the page, so everything is bounded first
(bytes, rows, cell lengths, image count) and every bad row is named by its row number (as
a spreadsheet counts them: the header is row 1) and column, all of them at once, so a
person fixes the file in one go. Which metric a row feeds follows from the cells it fills:

* image + text  -> caption -> image retrieval (among the CSV's images)
* image + label -> zero-shot Classify over the CSV's own label set
* text + label  -> sentiment (positive / neutral / negative; 正面 / 中性 / 负面 accepted)

A row with all three feeds retrieval and zero-shot (its label then names the image). The
image cell names one of the files uploaded with the CSV - never a path on the server.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mmdemo.core.errors import BadInputError

MAX_CSV_BYTES = 1_000_000
MAX_ROWS = 300
MAX_TEXT_CHARS = 2_000  # a caption or a sentence; the e5 head reads 2,000 characters at most
MAX_LABEL_CHARS = 100
MAX_LABELS = 50  # zero-shot labels in one CSV: each photo is scored against all of them
MAX_PROBLEMS = 10  # bad rows listed in one message (the count says how many in all)
COLUMNS = ("image", "text", "label")
# Header names a Chinese spreadsheet may use for the same columns.
COLUMN_ALIASES = {"图片": "image", "图像": "image", "文本": "text", "文字": "text", "标签": "label"}
SENTIMENT_LABELS = {
    "positive": "positive",
    "neutral": "neutral",
    "negative": "negative",
    "正面": "positive",
    "积极": "positive",
    "正向": "positive",
    "中性": "neutral",
    "中立": "neutral",
    "负面": "negative",
    "消极": "negative",
    "负向": "negative",
}
ROW_PROBLEM = "Row {row}, column {column}: {problem}"


class CsvProblems(BadInputError):
    """Bad rows, each one named (``problems``: one English message per row and column)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"The CSV has {len(problems)} bad rows; fix them and upload it again."]
        lines += shown
        if more:
            lines.append(f"…and {more} more.")
        super().__init__("\n".join(lines))


@dataclass
class EvaluationRows:
    """The CSV's rows, sorted by the metric they feed (images by their uploaded name)."""

    retrieval: list[tuple[str, str]] = field(default_factory=list)  # (image, text)
    zero_shot: list[tuple[str, str]] = field(default_factory=list)  # (image, label)
    sentiment: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    image_rows: dict[str, int] = field(default_factory=dict)  # image -> first row naming it

    def first_row(self, image: str) -> int:
        return self.image_rows[image]

    @property
    def images(self) -> list[str]:
        """Every image a row names, in first-use order."""
        names = [i for i, _ in self.retrieval] + [i for i, _ in self.zero_shot]
        return list(dict.fromkeys(names))


def check_csv_size(size: int) -> None:
    """Refuse a CSV over ``MAX_CSV_BYTES`` (called on the file's size before reading it)."""
    if size > MAX_CSV_BYTES:
        raise BadInputError(
            f"The CSV is {size:,} bytes; at most {MAX_CSV_BYTES:,} are read. "
            "Split it into smaller files."
        )


def decode_csv(data: bytes) -> str:
    """The CSV's text; size is checked before decoding (a BOM from Excel is dropped)."""
    check_csv_size(len(data))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInputError(
            "The CSV is not UTF-8 text: save it as CSV UTF-8 and upload it again."
        ) from None


def _header(cells: list[str]) -> list[str]:
    names = [COLUMN_ALIASES.get(c.strip(), c.strip().lower()) for c in cells]
    if sorted(names) != sorted(COLUMNS):
        found = ", ".join(c.strip() for c in cells) or "nothing"
        raise BadInputError(
            f"The CSV's first row must name the columns image, text and label (found: {found})."
        )
    return names


def row_problem(row: int, column: str, problem: str) -> str:
    return ROW_PROBLEM.format(row=row, column=column, problem=problem)


def read_rows(data: bytes, uploaded: Mapping[str, Path]) -> EvaluationRows:
    """The rows of ``data`` (CSV bytes) sorted by metric; ``uploaded`` maps each uploaded
    image's file name to where it lies. Raises ``CsvProblems`` naming every bad row."""
    reader = csv.reader(io.StringIO(decode_csv(data), newline=""))
    try:
        records = []
        for record in reader:
            records.append(record)
            if len(records) > MAX_ROWS + 1:  # + the header
                raise BadInputError(
                    f"The CSV has more than {MAX_ROWS} rows; at most {MAX_ROWS} are "
                    "evaluated at once. Split it into smaller files."
                )
    except csv.Error as err:
        raise BadInputError(f"The CSV could not be read: {err}.") from None
    if not records:
        raise BadInputError("The CSV is empty: its first row names image, text and label.")
    columns = _header(records[0])
    out = EvaluationRows()
    problems: list[str] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        if len(record) != len(columns):
            problems.append(
                row_problem(number, "image, text, label", f"expected 3 cells, got {len(record)}.")
            )
            continue
        cells = {c: v.strip() for c, v in zip(columns, record, strict=True)}
        bad = _cell_problems(number, cells, uploaded)
        if bad:
            problems += bad
            continue
        image, text, label = cells["image"], cells["text"], cells["label"]
        if image:
            out.image_rows.setdefault(image, number)
        if image and text:
            out.retrieval.append((image, text))
        if image and label:
            out.zero_shot.append((image, label))
        if text and label and not image:
            out.sentiment.append((SENTIMENT_LABELS[label.lower()], text))
    if problems:
        raise CsvProblems(problems)
    _check_sets(out)
    return out


def _cell_problems(number: int, cells: dict[str, str], uploaded: Mapping[str, Path]) -> list:
    image, text, label = cells["image"], cells["text"], cells["label"]
    filled = [c for c in COLUMNS if cells[c]]
    if len(filled) < 2:
        column = filled[0] if filled else "image, text, label"
        return [
            row_problem(
                number,
                column,
                "a row needs two of image, text and label (image + text: retrieval; "
                "image + label: zero-shot; text + label: sentiment).",
            )
        ]
    problems = []
    if image:
        if "/" in image or "\\" in image:
            problems.append(
                row_problem(number, "image", "give the uploaded file's name, not a path.")
            )
        elif image not in uploaded:
            problems.append(
                row_problem(
                    number,
                    "image",
                    f"no uploaded image is called {image}; upload it together with the CSV.",
                )
            )
    if len(text) > MAX_TEXT_CHARS:
        problems.append(
            row_problem(
                number, "text", f"the text is {len(text):,} characters; at most {MAX_TEXT_CHARS:,}."
            )
        )
    if len(label) > MAX_LABEL_CHARS:
        problems.append(
            row_problem(
                number,
                "label",
                f"the label is {len(label):,} characters; at most {MAX_LABEL_CHARS}.",
            )
        )
    elif text and label and not image and label.lower() not in SENTIMENT_LABELS:
        problems.append(
            row_problem(
                number,
                "label",
                f"{label} is not a sentiment; use positive, neutral or negative "
                "(正面, 中性, 负面).",
            )
        )
    return problems


def _check_sets(rows: EvaluationRows) -> None:
    if not (rows.retrieval or rows.zero_shot or rows.sentiment):
        raise BadInputError(
            "The CSV has no rows to evaluate: fill two of image, text and label in each row."
        )
    if rows.retrieval and len({i for i, _ in rows.retrieval}) < 2:
        raise BadInputError(
            "Retrieval needs at least two different images in the rows with image and text "
            "(each text is ranked among them)."
        )
    labels = {label for _, label in rows.zero_shot}
    if rows.zero_shot and len(labels) < 2:
        raise BadInputError(
            "Zero-shot needs at least two different labels in the rows with image and label "
            "(each photo is scored against all of them)."
        )
    if len(labels) > MAX_LABELS:
        raise BadInputError(
            f"The CSV has {len(labels)} different zero-shot labels; at most {MAX_LABELS}."
        )
