"""A visitor's evaluation CSV: which metric each row feeds, and every kind of bad row named
by its row (the header is row 1) and column - all at once, before any model runs - in
English and, through the catalogue, in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmdemo.core.config import PROJECT_ROOT
from mmdemo.core.errors import BadInputError
from mmdemo.core.i18n import translate, translated
from mmdemo.quality import evaluation_csv as ev
from mmdemo.quality.live_evaluation import check_image_count

UPLOADED = {"cat.png": Path("/uploads/cat.png"), "cup.png": Path("/uploads/cup.png")}
HEADER = "image,text,label\n"


def rows_of(body: str, header: str = HEADER):
    return ev.read_rows((header + body).encode("utf-8"), UPLOADED)


def problems_of(body: str) -> list[str]:
    with pytest.raises(ev.CsvProblems) as caught:
        rows_of(body)
    return caught.value.problems


def test_the_filled_cells_say_which_metric_a_row_feeds():
    rows = rows_of(
        "cat.png,a cat,\n"
        "cup.png,a cup of coffee,\n"
        "cat.png,,cat\n"
        "cup.png,,coffee\n"
        ",I love it,positive\n"
        ",太难吃了,负面\n"
        ",会议在三点,中性\n"
        "cat.png,a sleeping cat,cat\n"  # all three: retrieval and zero-shot
        ",,\n"  # a blank row is skipped
    )
    assert rows.retrieval == [
        ("cat.png", "a cat"),
        ("cup.png", "a cup of coffee"),
        ("cat.png", "a sleeping cat"),
    ]
    assert rows.zero_shot == [("cat.png", "cat"), ("cup.png", "coffee"), ("cat.png", "cat")]
    assert rows.sentiment == [
        ("positive", "I love it"),
        ("negative", "太难吃了"),
        ("neutral", "会议在三点"),
    ]
    assert rows.images == ["cat.png", "cup.png"] and rows.first_row("cup.png") == 3


def test_a_chinese_header_and_an_excel_bom_are_read():
    data = "\ufeff图片,文本,标签\ncat.png,a cat,\ncup.png,a cup,\n".encode()
    assert ev.read_rows(data, UPLOADED).retrieval == [("cat.png", "a cat"), ("cup.png", "a cup")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("cat.png,,\n", "Row 2, column image: a row needs two of image, text and label"),
        (",just text,\n", "Row 2, column text: a row needs two of"),
        ("/etc/passwd,a file,\n", "Row 2, column image: give the uploaded file's name, not a path"),
        ("..\\secret.png,a file,\n", "Row 2, column image: give the uploaded file's name"),
        ("dog.png,a dog,\n", "Row 2, column image: no uploaded image is called dog.png"),
        (",great,happy\n", "Row 2, column label: happy is not a sentiment"),
        (f",{'x' * 2001},positive\n", "Row 2, column text: the text is 2,001 characters"),
        (f"cat.png,,{'y' * 101}\n", "Row 2, column label: the label is 101 characters"),
        ("cat.png,a cat\n", "Row 2, column image, text, label: expected 3 cells, got 2"),
        ("cat.png,a,b,c\n", "Row 2, column image, text, label: expected 3 cells, got 4"),
    ],
)
def test_each_kind_of_bad_row_is_named_by_row_and_column_in_both_languages(body, expected):
    problems = problems_of(body)
    assert len(problems) == 1 and problems[0].startswith(expected)
    assert translated(problems[0]), problems[0]
    chinese = translate(problems[0], "zh")
    assert chinese.startswith("第 2 行") and "column" not in chinese


def test_every_bad_row_is_listed_at_once_with_its_own_number():
    problems = problems_of("cat.png,a cat,\ndog.png,a dog,\ncup.png,a cup,\n,fine,meh\n")
    assert [p.split(":")[0] for p in problems] == ["Row 3, column image", "Row 5, column label"]
    with pytest.raises(ev.CsvProblems) as caught:
        rows_of("".join(f"dog{i}.png,x,\n" for i in range(15)))
    message = str(caught.value)
    assert message.startswith("The CSV has 15 bad rows") and "…and 5 more." in message
    assert message.count("Row ") == 10


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"image,text,label\n" + b"x" * ev.MAX_CSV_BYTES, "at most 1,000,000 are read"),
        ("image,text,label\n,é,positive\n".encode("latin-1"), "not UTF-8"),
        (b"", "The CSV is empty"),
        (b"picture,caption\ncat.png,a cat\n", "must name the columns image, text and label"),
        (b"image,text,label\n,,\n", "no rows to evaluate"),
        (b"image,text,label\ncat.png,a cat,\ncat.png,the cat,\n", "at least two different images"),
        (b"image,text,label\ncat.png,,cat\ncup.png,,cat\n", "at least two different labels"),
        (HEADER.encode() + b",ok,positive\n" * (ev.MAX_ROWS + 1), "more than 300 rows"),
    ],
)
def test_a_bad_file_is_refused_with_what_to_do_in_both_languages(data, expected):
    with pytest.raises(BadInputError) as caught:
        ev.read_rows(data, UPLOADED)
    assert expected in str(caught.value)
    assert translated(str(caught.value)), str(caught.value)


def test_too_many_zero_shot_labels_and_images_are_refused_before_work():
    many = {f"p{i}.png": Path(f"/u/p{i}.png") for i in range(ev.MAX_LABELS + 1)}
    body = "".join(f"p{i}.png,,label {i}\n" for i in range(ev.MAX_LABELS + 1))
    with pytest.raises(BadInputError, match="51 different zero-shot labels; at most 50"):
        ev.read_rows((HEADER + body).encode(), many)
    with pytest.raises(BadInputError, match="33 images were uploaded; at most 32"):
        check_image_count(33, 32)
    assert translated("33 images were uploaded; at most 32 at once.")


def test_the_shipped_example_reads_and_feeds_every_metric():
    gallery = PROJECT_ROOT / "assets" / "gallery"
    photos = {p.name: p for p in gallery.iterdir()}
    rows = ev.read_rows((PROJECT_ROOT / "assets" / "evaluate" / "example.csv").read_bytes(), photos)
    assert len(rows.retrieval) == 6 and len(rows.zero_shot) == 6 and len(rows.sentiment) == 6
    assert {label for label, _ in rows.sentiment} == {"positive", "neutral", "negative"}
    assert all((gallery / name).is_file() for name in rows.images)
