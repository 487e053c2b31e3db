"""Chinese for the checks on what a visitor types or picks: questions, search text, labels,
prompt templates, numbers (k, lengths, weights), menus (models, modes, fusions).

Raise sites: core/text.py, services/tasks.py, services/search.py, services/sentiment.py,
models/backends/zero_shot.py, blip_caption.py, vader/distilbert_sentiment.py,
models/shared/hf_inputs.py, shapes_model.py, ui/tabs/search.py and vqa.py.
A literal ``{}`` (the label's slot in a prompt template) is written ``{{}}`` in the Chinese,
which ``str.format`` fills in.
"""

ZH = {
    # -- questions (core.text.check_question) --
    "The question must be text, not {type}.": "问题必须是文字，而不是 {type}。",
    "The question is empty: type a question about the image.": (
        "问题是空的：请输入一个关于这张图片的问题。"
    ),
    "The question is {length} characters long; the limit is {limit}. Ask a shorter question.": (
        "问题有 {length} 个字符，上限是 {limit}。请问一个更短的问题。"
    ),
    # -- numbers, menus and free text as the API sends them (services.tasks) --
    "{what} must be a whole number, not {value}.": "{what}必须是整数，而不是 {value}。",
    "{what} must be between {low} and {high}, not {value}.": (
        "{what}必须在 {low} 到 {high} 之间，而不是 {value}。"
    ),
    "{what} must be at least {low}, not {value}.": "{what}至少要是 {low}，而不是 {value}。",
    "{what} must be a number between 0 and 1, not {value}.": (
        "{what}必须是 0 到 1 之间的数字，而不是 {value}。"
    ),
    "{what} must be between 0 and 1, not {value}.": "{what}必须在 0 到 1 之间，而不是 {value}。",
    "{what} must be a name (text), not {type}.": "{what}必须是一个名称（文字），而不是 {type}。",
    "{what} must be text, not {type}.": "{what}必须是文字，而不是 {type}。",
    "Max new tokens": "最多生成的词元数",
    "The number of answers": "答案的个数",
    "The caption model": "描述模型",
    "The caption prefix": "描述的开头",
    "The caption mode": "描述方式",
    "The VQA model": "问答模型",
    "The fusion": "融合方式",
    "The text weight": "文字的权重",
    "The text": "文字",
    "A caption prefix needs a generative captioner (BLIP); the chosen one is label-based.": (
        "描述的开头需要一个生成式的描述模型（BLIP）；所选的模型是基于标签的。"
    ),
    "The model {name} has no fusion variants to choose from; a fusion applies to our shapes "
    "model (routed-vqa).": (
        "模型 {name} 没有可选的融合方式；融合方式只适用于我们的形状模型（routed-vqa）。"
    ),
    # -- search (services.search) --
    "The search text must be text, not {type}.": "搜索文字必须是文字，而不是 {type}。",
    "The search text is empty: type what you are looking for.": (
        "搜索文字是空的：请输入你要找的内容。"
    ),
    "The number of results must be a whole number, not {value}.": (
        "结果的数量必须是整数，而不是 {value}。"
    ),
    "The minimum match score must be a number, not NaN.": "最低匹配分数必须是数字，而不是 NaN。",
    "The minimum match score must be a number, not {value}.": (
        "最低匹配分数必须是数字，而不是 {value}。"
    ),
    "The text to mix in must be text, not {type}.": "要混入的文字必须是文字，而不是 {type}。",
    "The text weight must be between 0 and 1, not {value}.": (
        "文字的权重必须在 0 到 1 之间，而不是 {value}。"
    ),
    "The text weight must be a number between 0 and 1, not {value}.": (
        "文字的权重必须是 0 到 1 之间的数字，而不是 {value}。"
    ),
    "The image and the text cancel each other out; change the weight.": (
        "图片和文字相互抵消了；请调整权重。"
    ),
    "There is no image with id {id} in the index.": "索引中没有 id 为 {id} 的图片。",
    "No image in the gallery has a caption yet: caption the gallery first (in the Gallery "
    "tab).": "图库中还没有任何图片有描述：请先为图库生成描述（在“图库”标签页中）。",
    "That result is no longer available; search again.": "这个结果已经不在了；请重新搜索。",
    # -- Classify: labels and the prompt template (models.backends.zero_shot) --
    "The labels text is {length} characters long; the limit is {limit} (at most {count} "
    "labels of up to {chars} characters). Give fewer, shorter labels.": (
        "标签文字有 {length} 个字符，上限是 {limit}（最多 {count} 个标签，每个最多 {chars} "
        "个字符）。请给出更少、更短的标签。"
    ),
    "The labels are {length} characters long; the limit is {limit} (at most {count} labels "
    "of up to {chars} characters). Give fewer, shorter labels.": (
        "标签一共有 {length} 个字符，上限是 {limit}（最多 {count} 个标签，每个最多 {chars} "
        "个字符）。请给出更少、更短的标签。"
    ),
    "The labels must be text (comma-separated, e.g. 'cat, dog'), not {type}.": (
        "标签必须是文字（用逗号分隔，例如 'cat, dog'），而不是 {type}。"
    ),
    "Give at least two different labels, separated by commas (e.g. 'cat, dog, car').": (
        "请至少给出两个不同的标签，用逗号分隔（例如 'cat, dog, car'）。"
    ),
    "Too many labels ({count}); the limit is {limit}.": (
        "标签太多了（{count} 个）；上限是 {limit} 个。"
    ),
    "Each label must be text; one is a {type}.": "每个标签都必须是文字；其中一个是 {type}。",
    "The prompt template must be text, not {type}.": "提示模板必须是文字，而不是 {type}。",
    "The prompt template is {length} characters long; the limit is {limit}. Use a short "
    "sentence such as 'a photo of {}.'.": (
        "提示模板有 {length} 个字符，上限是 {limit}。请用一个短句，例如 'a photo of {{}}.'。"
    ),
    "The prompt template {template} is not usable: put {} once where the label goes (e.g. 'a "
    "photo of {}.'), and no other braces.": (
        "提示模板 {template} 无法使用：请在标签应出现的位置放一次 {{}}（例如 'a photo of {{}}.'），"
        "并且不要有其他花括号。"
    ),
    # -- Caption options (models.backends.blip_caption) --
    "max_length must be a whole number, not {value}.": "max_length 必须是整数，而不是 {value}。",
    "max_length must be between {low} and {high} tokens, not {value}.": (
        "max_length 必须在 {low} 到 {high} 个词元之间，而不是 {value}。"
    ),
    "The caption prefix must be text, not {type}.": "描述的开头必须是文字，而不是 {type}。",
    "The caption prefix is {length} characters long; the limit is {limit}.": (
        "描述的开头有 {length} 个字符，上限是 {limit}。"
    ),
    "num_beams must be between 1 and {limit}.": "num_beams 必须在 1 到 {limit} 之间。",
    "top_p must be in (0, 1], not {value}.": "top_p 必须在 (0, 1] 之内，而不是 {value}。",
    # -- VQA (ui.tabs.vqa, models.shared) --
    "No image: upload the image your question is about.": "没有图片：请上传你要提问的那张图片。",
    "Give an image (a PIL image) to ask the question about.": (
        "请给出要提问的图片（一张 PIL 图片）。"
    ),
    "top_k must be a whole number of at least 1, not {value}.": (
        "top_k 必须是不小于 1 的整数，而不是 {value}。"
    ),
    "Item {number} is a {type}, not an image (PIL).": "第 {number} 项是 {type}，不是图片（PIL）。",
    # -- Sentiment (services.sentiment, the text backends) --
    "Sentiment needs text, got {type}.": "情感分析需要文字，收到的却是 {type}。",
    "Enter some text to analyse; the text is empty.": "请输入要分析的文字；现在文字是空的。",
    "The image must be a picture or a file path, not {type}.": (
        "图片必须是一张图片或一个文件路径，而不是 {type}。"
    ),
    "The text must be a string, not {type}.": "文字必须是字符串，而不是 {type}。",
    "Give a text, an image, or both: there is nothing to analyse.": (
        "请给出文字、图片或两者都给：现在没有可以分析的内容。"
    ),
    "The captioner wrote nothing for this image, so the caption bridge has nothing to read; "
    "try the late fusion.": (
        "描述模型没有为这张图片写出任何内容，所以描述桥接没有可读的内容；请试试后期融合（late）。"
    ),
}
