"""Chinese for the near-duplicates section's refusals (services/duplicates.py,
ui/panels/duplicates.py)."""

ZH = {
    "The gallery holds {count} images; finding near-duplicates looks at {max_items} at most. "
    "Remove some images first.": (
        "图库里有 {count} 张图片；查找近似重复最多只看 {max_items} 张。请先删除一些图片。"
    ),
    "No near-duplicates are shown: find them first (through the API, give the ids to "
    "remove).": "还没有显示近似重复：请先查找（通过 API 调用时，请给出要删除的图片编号）。",
}
