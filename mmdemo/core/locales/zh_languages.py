"""Chinese for the refusal of text a model cannot read (``models.registry.require_readable``)."""

ZH = {
    "The model {model} reads English only, and this {what} is mostly in another script: its "
    "result would mean nothing. Write the {what} in English.": (
        "模型 {model} 只能读懂英文，而这段{what}主要是其他文字："
        "它给出的结果没有意义。请用英文书写{what}。"
    ),
    "search text": "搜索文字",
    "labels": "标签",
    "question": "问题",
}
