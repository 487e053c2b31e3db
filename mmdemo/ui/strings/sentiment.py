"""Everything the Sentiment tab says, in English and Chinese (keys ``sentiment.<what>``)."""

STRINGS = {
    "tab.sentiment": ("Sentiment", "情感"),
    "sentiment.intro": (
        "Sentiment of a text, a photo, or both together. The **text** is read by "
        "*{text}*; the **photo** by *{image}*. A **fusion** step combines the two: pick "
        "one and see which way each pulled. For the caption bridge the photo is first "
        "described in words (*{caption}*) and the text model reads both.",
        "分析一段文字、一张照片，或两者合在一起的情感。**文字**由 *{text}* 来读；"
        "**照片**由 *{image}* 来看。**融合**步骤把两者结合起来：选一种融合方式，看看"
        "两者各自把结果往哪边拉。用“图片描述桥接”时，照片会先被描述成文字"
        "（*{caption}*），再由文本模型把两段文字一起读。",
    ),
    "sentiment.early_needs_head": (
        "*Feature level (early fusion)* needs a small head trained on examples of images "
        "and texts with their sentiment; none has been trained on this server yet. "
        "Whoever runs the server can train one with one command: `{command}`, then "
        "restart the app.",
        "*特征级（早期融合）* 需要一个小小的融合头，用标注了情感的图片和文本样例训练；"
        "这台服务器上还没有训练过。运行服务器的人可以用一条命令训练：`{command}`，"
        "然后重启应用。",
    ),
    "sentiment.text_label": ("Text", "文字"),
    "sentiment.image_label": ("Image (optional)", "图片（可选）"),
    "sentiment.fusion_label": ("Fusion", "融合方式"),
    "sentiment.weight_label": (
        "Text weight (late fusion): 1 = text only, 0 = image only",
        "文本权重（晚期融合）：1 = 只看文字，0 = 只看图片",
    ),
    "sentiment.button": ("Analyse", "分析"),
    "sentiment.fused_label": ("Fused sentiment", "融合后的情感"),
    "sentiment.chart_label": (
        "Each modality and the fused (green positive, grey neutral, red negative)",
        "各模态与融合结果（绿色积极，灰色中性，红色消极）",
    ),
    "sentiment.raw_label": ("Raw result (JSON)", "原始结果（JSON）"),
    "sentiment.examples_label": (
        "Try (the first pairs text and image that disagree)",
        "试一试（第一个例子里文字和图片的情感相反）",
    ),
    "sentiment.no_result": (
        "⚠️ **No result** — the request could not be analysed (the message says why).",
        "⚠️ **没有结果** — 这个请求无法分析（提示消息说明了原因）。",
    ),
    # the three classes, the series of the chart, and the chart's axes and legend
    "sentiment.class.positive": ("positive", "积极"),
    "sentiment.class.neutral": ("neutral", "中性"),
    "sentiment.class.negative": ("negative", "消极"),
    "sentiment.series.text": ("text", "文字"),
    "sentiment.series.image": ("image", "图片"),
    "sentiment.series.fused": ("fused", "融合"),
    "sentiment.chart_x": ("series", "来源"),
    "sentiment.chart_y": ("probability", "概率"),
    "sentiment.chart_colour": ("sentiment", "情感"),
    # the result, composed from its structure
    "sentiment.fused": ("**Fused: {label}** ({how})", "**融合结果：{label}**（{how}）"),
    "sentiment.how": ("{fusion} fusion", "融合方式：{fusion}"),
    "sentiment.how_weight": (
        "{fusion} fusion, text weight {weight}",
        "融合方式：{fusion}，文本权重 {weight}",
    ),
    "sentiment.modality.text": ("Text", "文字"),
    "sentiment.modality.image": ("Image", "图片"),
    "sentiment.line": (
        "- **{modality}** — {source}: {label} {percent}; {pulled}",
        "- **{modality}** — {source}：{label} {percent}；{pulled}",
    ),
    "sentiment.pulled": ("pulled {direction} ({polarity})", "往{direction}拉（{polarity}）"),
    "sentiment.pulled_neither": (
        "pulled neither way ({polarity})",
        "哪边都没拉（{polarity}）",
    ),
    "sentiment.pulled_weight": (
        "pulled {direction} ({polarity}, weight {weight})",
        "往{direction}拉（{polarity}，权重 {weight}）",
    ),
    "sentiment.pulled_neither_weight": (
        "pulled neither way ({polarity}, weight {weight})",
        "哪边都没拉（{polarity}，权重 {weight}）",
    ),
    "sentiment.judged_by": ("judged by {model}", "由 {model} 判断"),
    "sentiment.source.text": ("{model} on the text", "{model} 读文字"),
    "sentiment.source.image": ("{model} on the image", "{model} 看图片"),
    "sentiment.source.caption": (
        "{model} on the caption “{caption}”",
        "{model} 读图片描述“{caption}”",
    ),
    "sentiment.source.head": (
        "the fusion head on the {modality} alone ({other} zeroed)",
        "融合头只看{modality}（{other}置零）",
    ),
    "sentiment.disagree": (
        "Text and image disagree; the {label} side wins.",
        "文字和图片的情感相反；{label}的一方胜出。",
    ),
    "sentiment.disagree_balanced": (
        "Text and image disagree; neither wins: the result is balanced.",
        "文字和图片的情感相反；两边不分胜负：结果持平。",
    ),
    "sentiment.only": (
        "Only the {modality} was given: the result is the {modality}'s own (no {other} to fuse).",
        "只给了{modality}：结果就是{modality}自己的判断（没有{other}可以融合）。",
    ),
    # lite's image reading: which cue (prompts, colours) pulled which way
    "sentiment.image_says": ("Image: {note}", "图片：{note}"),
    "sentiment.cue": (
        "The happy/sad prompts {prompts} ({prompt}); the colours ({looks}: brightness "
        "{brightness}, saturation {saturation}) {colours} ({colour}); mixed "
        "{prompt_weight} / {colour_weight} in log-odds.",
        "开心/悲伤提示词{prompts}（{prompt}）；颜色（{looks}：亮度 {brightness}，饱和度 "
        "{saturation}）{colours}（{colour}）；两者在对数几率上按 {prompt_weight} / "
        "{colour_weight} 混合。",
    ),
    "sentiment.cue_pull": ("pull {direction}", "往{direction}拉"),
    "sentiment.cue_neither": ("pull neither way", "哪边都没拉"),
    "sentiment.look.bright": ("bright", "明亮"),
    "sentiment.look.dark": ("dark", "昏暗"),
    "sentiment.look.colourful": ("colourful", "色彩鲜艳"),
    "sentiment.look.washed_out": ("washed-out", "色彩黯淡"),
    "sentiment.look.average": ("average", "普通"),
    "sentiment.text_model_read": (
        "The text model read: “{joined}”",
        "文本模型读到的是：“{joined}”",
    ),
}
