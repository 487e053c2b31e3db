"""Chinese for re-ranking search hits with BLIP's image-text matching head
(``services/rerank.py``, ``models/backends/blip_itm.py``).

``{preset}`` is a preset's name (full, lite, tiny), shown as it is.
"""

ZH = {
    "Re-ranking needs an image-text matching model (BLIP ITM), and the {preset} preset has "
    "none. Start the app with the full preset (MMDEMO_PRESET=full) to re-rank.": (
        "重新排序需要一个图文匹配模型（BLIP ITM），而 {preset} 预设没有这样的模型。"
        "请用 full 预设（MMDEMO_PRESET=full）启动应用，才能重新排序。"
    ),
    "The number of hits to re-rank": "要重新排序的结果数",
    "Only image search hits can be re-ranked, not a {type}.": (
        "只有图片搜索结果可以重新排序，而不是 {type}。"
    ),
    # the backend's own checks of what it is asked to match
    "The text to match must be text, not {type}.": "要匹配的内容必须是文字，而不是 {type}。",
    "The text to match is empty: type what the image should show.": (
        "要匹配的文字是空的：请输入图片应该显示的内容。"
    ),
    "The text to match is {length} characters long; the limit is {limit}.": (
        "要匹配的文字有 {length} 个字符，上限是 {limit}。"
    ),
    "Each item to match must be an (image, text) pair.": "每一项都必须是一对（图片，文字）。",
    "text to match": "要匹配的文字",
}
