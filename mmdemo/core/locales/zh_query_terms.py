"""Chinese for query arithmetic's refusals (``services/query_terms.py``, the Search tab's
"combine terms" panel): reading the one-line form, the bounds on terms and weights.

The operators, quotes, ``image`` and ``#ID`` stay as they are: they are what a visitor types.
"""

ZH = {
    # -- reading the one-line form (parse_terms) --
    "The query terms must be text, not {type}.": "组合搜索的各项必须是文字，而不是 {type}。",
    'The query terms are empty: write them like "a dog" + "at night" - "people".': (
        '组合搜索是空的：请这样写："一只狗" + "在夜里" - "人"。'
    ),
    "Two signs in a row in the query terms (at {at}): put one term between each + and -.": (
        "组合搜索里连着出现了两个符号（在 {at}）：每个 + 和 - 之间要有一项。"
    ),
    "Put + or - between the query terms (before {at}).": (
        "组合搜索的各项之间要用 + 或 - 隔开（在 {at} 之前）。"
    ),
    "The query terms end with a sign: put a term after the last + or -.": (
        "组合搜索以符号结尾：请在最后一个 + 或 - 后面再写一项。"
    ),
    'The weight {weight} has no term after it: put one after it, like 0.5 * "at night".': (
        '权重 {weight} 后面没有内容：请在它后面写一项，例如 0.5 * "在夜里"。'
    ),
    "A quote in the query terms is not closed: {quote}.": "组合搜索里有一个引号没有闭合：{quote}。",
    # -- the bounds (check_terms) --
    'There are no query terms: write them like "a dog" - "people".': (
        '没有任何搜索项：请这样写："一只狗" - "人"。'
    ),
    "A query takes at most {most} terms, not {count}: leave some out.": (
        "一次组合搜索最多 {most} 项，而不是 {count} 项：请去掉一些。"
    ),
    "A query term must be a text or an image, not {term}.": (
        "搜索项必须是文字或图片，而不是 {term}。"
    ),
    "The query terms name the image, but no image was given: upload one, or leave image "
    "out of the terms.": ("组合搜索用到了 image（图片），但没有图片：请上传一张，或去掉 image。"),
    "The query terms name the image more than once: name it once.": (
        "组合搜索里 image（图片）出现了不止一次：只写一次就好。"
    ),
    "Every query term has weight 0: give what you are looking for a positive weight.": (
        "每一项的权重都是 0：请给你要找的内容一个正的权重。"
    ),
    "The query terms only say what to leave out: add a term with a + for what you are "
    "looking for.": "组合搜索只写了要排除的内容：请用 + 加上你要找的内容。",
    "A term's weight must be a number, not {value}.": "每一项的权重必须是数字，而不是 {value}。",
    "A term's weight must be between -{most} and {most}, not {value}.": (
        "每一项的权重必须在 -{most} 到 {most} 之间，而不是 {value}。"
    ),
    "The query terms cancel each other out: change a weight or a term.": (
        "这些搜索项互相抵消了：请改一个权重或换一项。"
    ),
    # -- "why this match" (ui/panels/search_options.py) --
    "Search first, then choose the result to explain.": "请先搜索，再选择要解释的结果。",
}
