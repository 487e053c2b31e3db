"""Chinese for the photo VQA's and the captioners' English notes (a Chinese question is
answered in Chinese by the backend itself; these are for a Chinese reader of an English
question's notes, and for what only an English-only model can say)."""

ZH = {
    # how a caption or an answer was made (the method line under a result)
    "label-based: the image classifier's top ImageNet classes put into a sentence "
    "(not a generative captioner)": (
        "基于标签：把图像分类器最有把握的几个 ImageNet 类别写成一句话（不是生成式描述模型）"
    ),
    "BLIP, beam search ({n} beams)": "BLIP，束搜索（{n} 个束）",
    "BLIP, beam search (1 beam)": "BLIP，束搜索（1 个束）",
    "BLIP, nucleus sampling (top-p {p}, seed {seed})": "BLIP，核采样（top-p {p}，随机种子 {seed}）",
    "{method}, prefix {prefix}": "{method}，前缀 {prefix}",
    "BLIP generates one free-text answer ({search}); its probability is the one the model "
    "gave that exact answer.": (
        "BLIP 生成一个自由文本答案（{search}）；它的概率就是模型给出这个答案的概率。"
    ),
    "beam search, {n} beams": "束搜索，{n} 个束",
    "greedy decoding": "贪心解码",
    "ViLT ranks its {n} known answers; each probability is that answer's own sigmoid score "
    "(raw, not normalised: they need not sum to 1).": (
        "ViLT 给它认识的 {n} 个答案排序；每个概率是该答案自己的 sigmoid 分数"
        "（原始值，未归一化：加起来不一定等于 1）。"
    ),
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
