"""Chinese for the notes of the sentiment backends and the fusion service (what a visitor
reads under a result); the input errors of the Sentiment tab are in ``zh_inputs``."""

ZH = {
    # the photo's reading (image_sentiment.py)
    "Not calibrated: no reference photos were found, so the score is not centred.": (
        "未校准：没有找到参考照片，所以这个分数没有居中。"
    ),
    "Colour mood not measured (no pixels given): prompts only.": (
        "没有测量色彩情绪（没有像素）：只用了提示词。"
    ),
    # a backend's note, as the fusion service passes it on
    "Text: {note}": "文字：{note}",
    "Image: {note}": "图片：{note}",
    # VADER (English only)
    "Only the first {limit} of {total} characters were scored.": (
        "只分析了 {total} 个字符中的前 {limit} 个。"
    ),
    "VADER only knows English: words in other scripts carry no sentiment for it, so this "
    "text was scored on its English words and emoji only (if any).": (
        "VADER 只懂英文：其他文字的词对它没有情感，所以这段文字只按其中的英文单词和表情符号"
        "（如果有的话）打分。"
    ),
    "No words, and VADER's emoji lexicon gives these symbols no sentiment (it scores an "
    "emoji by its name, e.g. 'thumbs up' has none).": (
        "没有文字，而 VADER 的表情词典认为这些符号没有情感（它按表情符号的英文名字打分，"
        "例如“thumbs up”（竖大拇指）就不带情感）。"
    ),
    # DistilBERT
    "The model reads at most {max_tokens} tokens: only the first {scored} of {total} "
    "characters were scored.": (
        "模型最多读取 {max_tokens} 个词元：只分析了 {total} 个字符中的前 {scored} 个。"
    ),
    "The model was trained on English movie reviews: words in other scripts are mostly "
    "unknown to it ([UNK]), so this result rests on the English words in the text, if any.": (
        "该模型是用英文影评训练的：其他文字的词它大多不认识（[UNK]），所以这个结果只取决于"
        "文中的英文单词（如果有的话）。"
    ),
    "The model knows none of the words or symbols in this text (emoji, other scripts and "
    "over-long words become [UNK] in its English vocabulary), so this result is a guess, "
    "not a reading of the text.": (
        "模型不认识这段文字中的任何词或符号（表情符号、其他文字和过长的词在它的英文词表里都"
        "变成 [UNK]），所以这个结果只是猜测，并不是对文字的理解。"
    ),
    # the cross-lingual e5 head (lite's Chinese sentiment)
    "The head was measured on Chinese and English only: for text in this script its result "
    "is a guess.": "这个分类头只在中文和英文上测量过：对这种文字，它的结果只是猜测。",
    # the fusion service
    "The captioner wrote nothing for this image; the text is alone.": (
        "图片描述模型没有为这张图片写出任何内容；只有文字参与判断。"
    ),
    "The head was trained on {rows} examples ({accuracy} right on {held} held out) with "
    "{embedder}.": (
        "融合头用 {embedder} 在 {rows} 个样本上训练（留出的 {held} 个中答对 {accuracy}）。"
    ),
    "The head was trained on {rows} examples with {embedder}.": (
        "融合头用 {embedder} 在 {rows} 个样本上训练。"
    ),
    "The fusion head was trained here on {rows} examples (classes: {classes}).": (
        "融合头是在这里用 {rows} 个样本训练的（类别：{classes}）。"
    ),
}
