"""Chinese for indexing on Ray (``services/ray_ingest.py``, ``index --engine ray``).

The CLI itself stays English; these are here so a page or API that ever shows these
errors has natural Chinese for them. ``{count}`` is a number, shown as it is.
"""

ZH = {
    "--ray-address and --ray-actors need --engine ray.": (
        "--ray-address 和 --ray-actors 只能和 --engine ray 一起使用。"
    ),
    "--ray-actors {count}: give 1 or more model actors.": (
        "--ray-actors {count}：模型 actor 的数量至少是 1。"
    ),
    "the Ray indexing engine": "Ray 索引引擎",
}
