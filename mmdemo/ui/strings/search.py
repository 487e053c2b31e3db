"""Everything the Search tab says, in English and Chinese (keys ``search.<what>``)."""

from mmdemo.services.search import MIN_SCORE_LABEL  # the API and the page say it alike

STRINGS = {
    "tab.search": ("Search", "搜索"),
    # -- the text query
    "search.query_label": ("Describe the image you want", "描述你想找的图片"),
    "search.query_placeholder": ("e.g. a cup of coffee", "例如：一杯咖啡"),
    "search.hybrid_label": ("Also match caption words", "同时匹配图片描述里的词"),
    "search.hybrid_info": (
        "Adds a small bonus for query words found in an image's caption.",
        "图片描述里出现搜索词时，给这张图片加一点分。",
    ),
    "search.min_score": (MIN_SCORE_LABEL, "最低匹配分数"),
    "search.min_score_image": (f"{MIN_SCORE_LABEL} (image search)", "最低匹配分数（以图搜图）"),
    "search.min_score_info": (
        "Results below this score are not shown. It starts where this model's possible "
        "matches begin.",
        "低于这个分数的结果不显示。默认值就是这个模型“可能匹配”的起点。",
    ),
    "search.min_score_info_random": (
        "Results below this score are not shown (this model has no match levels).",
        "低于这个分数的结果不显示（这个模型没有匹配等级）。",
    ),
    "search.text_button": ("Search by text", "用文字搜索"),
    "search.try": ("Try", "试试"),
    # -- the image query
    "search.image_label": ("…or search with an image", "……或者用一张图片搜索"),
    "search.mix_label": (
        "Optional text to mix in (image + text search)",
        "可选：混入一段文字（图片 + 文字搜索）",
    ),
    "search.mix_placeholder": ("e.g. at night", "例如：在夜里"),
    "search.weight_label": ("Text weight in the mix", "文字在混合中的比重"),
    "search.image_button": ("Search by image", "用图片搜索"),
    "search.to_text_button": (
        "Image → text: which gallery captions fit it?",
        "图片 → 文字：图库里哪些描述符合它？",
    ),
    "search.k_label": ("Number of results", "结果数量"),
    # -- results
    "search.captions_label": (
        "Gallery captions closest to the image (image → text)",
        "与这张图片最接近的图库描述（图片 → 文字）",
    ),
    "search.caption_images_label": (
        "Their images (click one for more like it)",
        "它们的图片（点一张，找更多相似的）",
    ),
    "search.results_label": (
        "Results (click one for more like it)",
        "结果（点一张，找更多相似的）",
    ),
    "search.raw_label": ("Raw results (JSON)", "原始结果（JSON）"),
    "search.back": ("← Back to the previous results", "← 回到上一次的结果"),
    "search.no_back": (
        "There are no earlier results to go back to.",
        "没有更早的结果可以回去了。",
    ),
    "search.failed": (
        "**The search did not run** (the message in the corner says why), so there are no "
        "results for it: the previous ones were cleared.",
        "**这次搜索没有运行**（角落里的提示说明了原因），所以没有结果：之前的结果已清除。",
    ),
    "search.images_like": ("**Images like** {name}", "**与它相似的图片：** {name}"),
    # image -> text table headers (the API keeps the English ones)
    "search.header_caption": ("caption", "描述"),
    "search.header_score": ("score", "分数"),
    "search.header_id": ("id", "编号"),
    "search.header_image": ("image", "图片"),
    # -- the results message, composed from the result (core: services.search.judge)
    "search.word_strong": ("strong", "强"),
    "search.word_possible": ("possible", "可能"),
    "search.word_weak": ("weak", "弱"),
    "search.hit_label": ("{word} match · {name}", "{word}匹配 · {name}"),
    "search.count_one": ("{n} {word} match", "{n} 个{word}匹配"),
    "search.count_many": ("{n} {word} matches", "{n} 个{word}匹配"),
    "search.count_join": (", ", "，"),
    "search.results": ("{n} result(s): {counted}.", "共 {n} 个结果：{counted}。"),
    "search.results_scores": (
        "{n} result(s); best score {score}.",
        "共 {n} 个结果；最高分 {score}。",
    ),
    "search.no_results": ("0 results.", "没有结果。"),
    "search.only_weak": (
        "No good match: even the closest images are only weak matches (shown anyway).",
        "没有好的匹配：连最接近的图片也只是弱匹配（仍然列出）。",
    ),
    "search.hidden": (
        "{hidden} weaker result(s) below the minimum match score not shown.",
        "另有 {hidden} 个较弱的结果低于最低匹配分数，没有显示。",
    ),
    "search.closest_word": ("a {word} match", "{word}匹配"),
    "search.none_reach": (
        "No image reaches the minimum match you set (the closest is {closest}). Lower the "
        "minimum match score to see the closest images anyway.",
        "没有图片达到你设定的最低匹配分数（最接近的是{closest}）。降低最低匹配分数，"
        "就能看到最接近的图片。",
    ),
    "search.none_reach_bad": (
        "No good match: no image reaches the minimum match you set (the closest is "
        "{closest}). Lower the minimum match score to see the closest images anyway.",
        "没有好的匹配：没有图片达到你设定的最低匹配分数（最接近的是{closest}）。"
        "降低最低匹配分数，就能看到最接近的图片。",
    ),
    "search.empty_index": (
        "The index is empty: add some images first.",
        "索引是空的：请先添加一些图片。",
    ),
    "search.hybrid_note": (
        "Hybrid: +{weight} × the share of query words in the caption.",
        "混合搜索：加上 {weight} × 搜索词在图片描述中所占的比例。",
    ),
    "search.hybrid_no_captions": (
        "No image has a caption yet, so caption words did not count.",
        "还没有图片有描述，所以描述里的词没有计入。",
    ),
    "search.more_like": ("More like {name}: {message}", "与 {name} 相似：{message}"),
    # -- query arithmetic (ui/panels/query_terms.py)
    "search.terms_title": (
        "Combine terms: + what you want, − what you don't (query arithmetic)",
        "组合搜索：用 + 加上想要的，用 − 去掉不想要的",
    ),
    "search.terms_intro": (
        "Each term is a text or the image above, with a weight from −2 to 2: the search looks "
        "for images near the sum. Write the terms in the rows, or straight into the line below "
        '(`image - "a cat" + "a cup of coffee"`; `#12` is gallery image 12).',
        "每一项是一段文字或上面的图片，权重从 −2 到 2：搜索会找最接近它们加权之和的图片。"
        '可以在下面几行里填写，也可以直接写在最下面那一行（`image - "一只猫" + "一杯咖啡"`；'
        "`#12` 是图库里编号为 12 的图片）。",
    ),
    "search.terms_text": ("Text", "文字"),
    "search.terms_want": ("e.g. at night", "例如：在夜里"),
    "search.terms_avoid": ("e.g. people", "例如：人"),
    "search.terms_weight": ("Weight (− takes away)", "权重（负数表示去掉）"),
    "search.terms_image_weight": (
        "Weight of the image above (0: leave it out)",
        "上面那张图片的权重（0 表示不用它）",
    ),
    "search.terms_line": (
        "The terms as one line (edit it and press Enter, or use the button)",
        "所有搜索项写成一行（可以修改后按回车，或点按钮）",
    ),
    "search.terms_button": ("Search with these terms", "用这些搜索项搜索"),
    "search.terms_examples": ("Try", "试试"),
    "search.terms_read": ("**Searched for:** {line}", "**搜索的是：** {line}"),
    "search.terms_image_unused": (
        "The uploaded image is not in the terms, so it was not used: write image in them "
        "to use it.",
        "上传的图片不在搜索项里，所以没有用到：要用它，请在搜索项里写上 image。",
    ),
    # -- options and "why this match" (ui/panels/search_options.py)
    "search.collapse_label": ("Collapse near-duplicates", "合并近似重复的图片"),
    "search.collapse_info": (
        "One result per group of near-identical copies (resized, recompressed, cropped).",
        "一组几乎相同的副本（缩放、重新压缩、轻微裁剪）只显示一张。",
    ),
    "search.rerank_label": (
        "Re-rank top hits with BLIP image-text matching",
        "用 BLIP 图文匹配给前几名重新排序",
    ),
    "search.rerank_info": (
        "Text search only. Slower: BLIP reads the text against each of the top images.",
        "只用于文字搜索。会慢一些：BLIP 会把文字和排在前面的每张图片逐一比对。",
    ),
    "search.folded": (
        "{n} near-duplicate copies folded into the result that stands for them.",
        "另有 {n} 张近似重复的图片已合并到代表它们的结果里。",
    ),
    "search.folded_one": (
        "1 near-duplicate copy folded into the result that stands for it.",
        "另有 1 张近似重复的图片已合并到代表它的结果里。",
    ),
    "search.folded_none": (
        "No near-duplicates among these results.",
        "这些结果里没有近似重复的图片。",
    ),
    "search.reranked": (
        "Re-ranked the top {n} with {model} in {seconds} s ({moved} moved).",
        "已用 {model} 给前 {n} 个结果重新排序，用时 {seconds} 秒（{moved} 个换了位置）。",
    ),
    "search.reranked_load": (
        "Loading that model first took {seconds} s more.",
        "第一次加载这个模型另外用了 {seconds} 秒。",
    ),
    "search.explain_title": ("Why this match?", "为什么匹配？"),
    "search.explain_which": ("Result to explain", "要解释的结果"),
    "search.explain_text": ("Text it matched", "它匹配的文字"),
    "search.explain_button": ("Why this match?", "为什么匹配？"),
    "search.explain_image": (
        "Where the text matched (warm: more)",
        "文字在图中匹配的位置（颜色越暖越匹配）",
    ),
}
