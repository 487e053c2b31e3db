"""The Evaluate tab's endpoints through the running app: /evaluate (bundled sets),
/evaluate_csv (a visitor's CSV and its images), /evaluate_example (the shipped example).

tiny checks behaviour (the JSON's shape, the charts, bad CSVs named row by row in English
for gradio_client and in Chinese for a zh-CN browser, a server path refused); the offline
lite app checks meaning (the example CSV: every metric 1.0, the promise the page makes).
"""

from __future__ import annotations

import json
import re

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.config import PROJECT_ROOT
from tests.support.uploads import raw_call, raw_upload, server_file_payload

pytestmark = pytest.mark.integration

GALLERY = PROJECT_ROOT / "assets" / "gallery"
EXAMPLE = PROJECT_ROOT / "assets" / "evaluate" / "example.csv"
EXAMPLE_IMAGES = sorted(
    {line.split(",")[0] for line in EXAMPLE.read_text().splitlines()[1:]} - {""}
)


def evaluate_csv(client, csv_path, images):
    return client.predict(
        handle_file(str(csv_path)),
        [handle_file(str(p)) for p in images],
        api_name="/evaluate_csv",
    )


def check_report_shape(raw: dict, source: str) -> None:
    assert raw["source"] == source and raw["preset"] in {"tiny", "lite"}
    for r in raw["retrieval"]:
        assert set(r["recall"]) == {"R@1", "R@5", "R@10"} and r["n"] > 0 and r["dataset"]
        assert all(0 <= v <= 1 for v in r["recall"].values())
    for s in raw["sentiment"]:
        assert s["classes"] == ["negative", "neutral", "positive"]
        assert sum(map(sum, s["confusion"])) == s["n"]
        assert 0 <= s["accuracy"] <= 1 and 0 <= s["macro_f1"] <= 1


def test_bundled_run_reports_every_set_with_its_n(gradio_client):
    summary, recall, scores, confusion, table, raw = gradio_client.predict(api_name="/evaluate")
    check_report_shape(raw, "bundled")
    assert raw["random_weights"] and "Random test weights" in summary
    assert [(r["language"], r["n"], r["n_images"]) for r in raw["retrieval"]] == [
        ("en", 16, 16),
        ("en", 6, 22),
        ("zh", 16, 16),
        ("zh", 6, 22),
    ]
    assert [(z["n"], z["n_labels"]) for z in raw["zero_shot"]] == [(6, 25), (6, 25)]
    assert [(s["language"], s["n"]) for s in raw["sentiment"]] == [("en", 190), ("zh", 70)]
    figures = [json.loads(p["plot"]) for p in (recall, scores, confusion)]
    assert len(figures[0]["data"]) == 4  # one bar series per retrieval set
    assert [t["type"] for t in figures[2]["data"]] == ["heatmap", "heatmap"]
    assert len(table["data"]) == 4 * 3 + 2 * 2 + 2 * 2  # one row per number
    assert table["headers"] == ["task", "data set", "language", "n", "metric", "value"]


def test_the_example_csv_runs_uploaded_and_from_its_button(gradio_client):
    images = [GALLERY / name for name in EXAMPLE_IMAGES]
    uploaded = evaluate_csv(gradio_client, EXAMPLE, images)[5]
    shipped = gradio_client.predict(api_name="/evaluate_example")[5]
    for raw in (uploaded, shipped):
        check_report_shape(raw, "csv")
        assert [r["n"] for r in raw["retrieval"]] == [6]
        assert [(z["n"], z["n_labels"]) for z in raw["zero_shot"]] == [(6, 6)]
        assert [s["n"] for s in raw["sentiment"]] == [6]
    assert uploaded["retrieval"] == shipped["retrieval"]


def _bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("image,text,label\ncat.png,a cat,\ndog.png,a dog,\n,fine,meh\n")
    return path


def test_a_bad_csv_names_each_row_and_column_in_english_for_the_api(gradio_client, tmp_path):
    cat = tmp_path / "cat.png"
    cat.write_bytes((GALLERY / "chelsea_the_cat.png").read_bytes())
    with pytest.raises(AppError) as caught:
        evaluate_csv(gradio_client, _bad_csv(tmp_path), [cat])
    message = str(caught.value)
    assert "The CSV has 2 bad rows" in message
    assert "Row 3, column image: no uploaded image is called dog.png" in message
    assert "Row 4, column label: meh is not a sentiment" in message


def test_a_bad_csv_is_worded_in_chinese_for_a_chinese_browser(app_server, tmp_path):
    csv = raw_upload(app_server.url, "bad.csv", _bad_csv(tmp_path).read_bytes())
    cat = raw_upload(app_server.url, "cat.png", (GALLERY / "chelsea_the_cat.png").read_bytes())
    stream = raw_call(
        app_server.url, "evaluate_csv", [csv, [cat]], headers={"Accept-Language": "zh-CN"}
    )
    assert "event: error" in stream
    message = json.loads(stream.split("data: ", 1)[1].splitlines()[0])["error"]
    assert "这个 CSV 有 2 行有问题" in message and "第 3 行，image 列" in message
    assert "第 4 行，label 列" in message and "不是情感标签" in message
    assert not re.search(r"Row \d", message)  # no English left


def test_missing_csv_and_a_server_path_are_refused(app_server, gradio_client):
    with pytest.raises(AppError, match="Upload a CSV file first"):
        gradio_client.predict(None, [], api_name="/evaluate_csv")
    stream = raw_call(app_server.url, "evaluate_csv", [server_file_payload(EXAMPLE), []])
    assert "event: error" in stream and "example.csv" not in stream.split("event: error")[0]
    assert "Random" not in stream  # refused, not evaluated


def test_the_server_keeps_serving_after_bad_csvs(gradio_client):
    summary = gradio_client.predict(api_name="/evaluate_example")[0]
    assert "Your CSV" in summary


def test_lite_example_csv_is_right_on_every_metric(offline_client):
    """The example the page offers, on lite: each caption finds its photo first, each label
    is its photo's top class, and the six sentences (three Chinese) are read right."""
    raw = offline_client.predict(api_name="/evaluate_example")[5]
    assert raw["preset"] == "lite" and not raw["random_weights"]
    assert raw["retrieval"][0]["recall"] == {"R@1": 1.0, "R@5": 1.0, "R@10": 1.0}
    assert raw["zero_shot"][0]["accuracy"] == 1.0
    assert raw["sentiment"][0]["accuracy"] == 1.0
