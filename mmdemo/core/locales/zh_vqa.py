"""Chinese for the photo VQA's and the captioners' English notes (a Chinese question is
answered in Chinese by the backend itself; these are for a Chinese reader of an English
question's notes, and for what only an English-only model can say)."""

ZH = {
    "Answers are ImageNet classes.": "答案是 ImageNet 的类别。",
    "Answers are ImageNet classes. Low confidence: the image may show something ImageNet has "
    "no class for.": "答案是 ImageNet 的类别。把握不大：图中的东西可能不在 ImageNet 的类别里。",
    '"{thing}" stands out for this image by z = {z} against the 1000 ImageNet classes (yes '
    'from about 2). A "no" can also mean the models have no notion of it.': (
        "“{thing}”在这张图上的突出程度为 z = {z}（与 1000 个 ImageNet 类别相比；约 2 以上答"
        "“yes”）。答“no”也可能是因为模型不认识它。"
    ),
    '"{thing}" stands out for this image by z = {z} against the 1000 ImageNet classes (yes '
    'from about 2). A "no" can also mean the models have no notion of it. "{thing}" was read '
    "as the ImageNet classes: {classes}.": (
        "“{thing}”在这张图上的突出程度为 z = {z}（与 1000 个 ImageNet 类别相比；约 2 以上答"
        "“yes”）。答“no”也可能是因为模型不认识它。“{thing}”按这些 ImageNet 类别判断："
        "{classes}。"
    ),
    "Can't answer this kind of question with the lite models. The lite photo VQA can answer "
    '"what is this?" (which objects the ImageNet classifier sees) and "is there a …?" / "is '
    'this a …?" (does the image match that object).': (
        "轻量模型回答不了这类问题。轻量照片问答能回答“what is this?”（ImageNet 分类器看到了"
        "哪些东西）和“is there a …?”/“is this a …?”（图像是否与该物体相符），"
        "也能回答中文的“这是什么？”“有没有……？”“这是……吗？”。"
    ),
    'The lite models cannot read "{thing}": it is no ImageNet class\'s Chinese name, and the '
    "text encoder reads English only. Use another word, or ask in English.": (
        "轻量模型读不懂“{thing}”：它不是任何 ImageNet 类别的中文名，而文本编码器只读英文。"
        "请换一个说法，或用英文提问。"
    ),
    "The shapes model was trained on English questions only and cannot read this one. Ask it "
    'in English, e.g. "what shape is this?" or "what color is the shape?".': (
        "形状模型只用英文问题训练过，读不懂这个问题。请用英文提问，例如"
        "“what shape is this?”或“what color is the shape?”。"
    ),
    "{method}; the model writes English only, so the caption is in English": (
        "{method}；该模型只会写英文，所以描述是英文"
    ),
    "{model}; writes English only, so the captions are in English": (
        "{model}；只会写英文，所以描述是英文"
    ),
}
