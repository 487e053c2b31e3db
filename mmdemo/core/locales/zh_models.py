"""Chinese for a model that cannot be loaded or chosen: ``ModelLoadError``'s frame, reasons
and hints (models/hub, models/shared/openclip.py and shapes_model.py, the fusion head,
the sentiment backends, serving/server.py), and the kinds of name ``UnknownNameError``
lists choices for (a caption mode, a fusion, a model of a task...).

A visitor meets these when a model of the page cannot load (the banner's details, or the
toast of a task whose model failed); commands, env vars and model ids stay as they are.
``{error}`` / ``{detail}`` are a library's own words, shown as they are.
"""

_RETRAIN_SHAPES = "请用以下命令重新训练：python -m mmdemo train shapes-vqa --fusion {fusion}"

ZH = {
    "Could not load model {model}: {reason}. {hint}": "无法加载模型 {model}：{reason}。{hint}",
    # -- packages --
    "the Python package {package} is not installed": "没有安装 Python 包 {package}",
    "Install it with: pip install {name}": "请用以下命令安装：pip install {name}",
    "its code could not be imported ({error})": "它的代码无法导入（{error}）",
    "Install the missing package: pip install {name}": "请安装缺少的包：pip install {name}",
    # a loader's unexpected error (serving.server): whole, since "{error_type}: {error}" alone
    # would match any text with a colon
    "Could not load model {model}: {error_type}: {error}. See the server log for details.": (
        "无法加载模型 {model}：{error_type}: {error}。详细信息请看服务器日志。"
    ),
    "transformers {version} has no {name} ({error})": (
        "transformers {version} 中没有 {name}（{error}）"
    ),
    "Install the tested version: pip install -r requirements.txt (or pip install -U "
    "transformers)": (
        "请安装经过测试的版本：pip install -r requirements.txt（或 pip install -U transformers）"
    ),
    # -- weights from the Hugging Face hub (models.hub) --
    "its weights are not in {where} and the Hugging Face hub cannot be reached": (
        "它的权重不在{where}中，而且无法连接 Hugging Face hub"
    ),
    "its weights ({repo}) are not in {where} and the Hugging Face hub cannot be reached": (
        "它的权重（{repo}）不在{where}中，而且无法连接 Hugging Face hub"
    ),
    "the local Hugging Face cache": "本地的 Hugging Face 缓存",
    "downloading {repo} failed ({error})": "下载 {repo} 失败（{error}）",
    "none of {files} exists in {repo} ({error})": "{repo} 中没有 {files} 中的任何一个（{error}）",
    "{repo} has no complete model folder matching {patterns} (a config.json, a vocabulary "
    "and, for a model, a weights file)": (
        "{repo} 中没有符合 {patterns} 的完整模型文件夹（要有 config.json、词表，模型还要有"
        "权重文件）"
    ),
    "Check the backend's hub file patterns (some repos only have pytorch_model.bin).": (
        "请检查这个后端的 hub 文件模式（有些仓库只有 pytorch_model.bin）。"
    ),
    "On a machine with internet, run python -m mmdemo download --preset full --dir PATH, copy "
    "PATH here (with its symlinks, e.g. cp -a) and set MMDEMO_CACHE_DIR=PATH (or point "
    "HF_HOME at a Hugging Face cache that already has the weights). The lite preset "
    "(MMDEMO_PRESET=lite) works with no network at all.": (
        "请在能上网的机器上运行 python -m mmdemo download --preset full --dir PATH，把 PATH "
        "复制到这里（连同其中的符号链接，例如用 cp -a），并设置 MMDEMO_CACHE_DIR=PATH（或让 "
        "HF_HOME 指向已经有这些权重的 Hugging Face 缓存）。lite 预设（MMDEMO_PRESET=lite）"
        "完全不需要网络。"
    ),
    "Run the download on a machine that can reach the Hugging Face hub (check HF_ENDPOINT, "
    "HTTPS_PROXY, and that HF_HUB_OFFLINE is not set), or use the lite preset "
    "(MMDEMO_PRESET=lite), which needs no network.": (
        "请在能连接 Hugging Face hub 的机器上下载（检查 HF_ENDPOINT、HTTPS_PROXY，并确认没有"
        "设置 HF_HUB_OFFLINE），或者使用不需要网络的 lite 预设（MMDEMO_PRESET=lite）。"
    ),
    # -- model folders (models.hub.folders) --
    "{folder} is not a folder with config.json and a weights file": (
        "{folder} 不是一个含有 config.json 和权重文件的文件夹"
    ),
    "Point the path option at a folder written by save_pretrained.": (
        "请把 path 选项指向一个由 save_pretrained 写出的文件夹。"
    ),
    "the files in {folder} could not be loaded as {cls} ({error_type}: {error})": (
        "{folder} 中的文件无法作为 {cls} 加载（{error_type}：{error}）"
    ),
    "Check that the folder was written by save_pretrained for this model, or delete it from "
    "the cache and download it again (python -m mmdemo download).": (
        "请确认这个文件夹是由 save_pretrained 为这个模型写出的，或者把它从缓存中删除后重新下载"
        "（python -m mmdemo download）。"
    ),
    # -- the sentiment text models --
    "its labels are {labels}, not NEGATIVE and POSITIVE": (
        "它的标签是 {labels}，而不是 NEGATIVE 和 POSITIVE"
    ),
    "Use a two-class sentiment model whose config names NEGATIVE and POSITIVE.": (
        "请使用一个两类的情感模型，它的配置中要有 NEGATIVE 和 POSITIVE。"
    ),
    "Use a sentiment model whose config names NEGATIVE and POSITIVE (and, for three classes, "
    "NEUTRAL).": (
        "请使用一个配置中有 NEGATIVE 和 POSITIVE 的情感模型（三类的模型还要有 NEUTRAL）。"
    ),
    "its tokenizer has {size} tokens but the model expects {expected}": (
        "它的分词器有 {size} 个词元，但模型需要 {expected} 个"
    ),
    "Check that the folder holds the model's vocab.txt (or tokenizer.json), or download it "
    "again (python -m mmdemo download).": (
        "请确认文件夹里有这个模型的 vocab.txt（或 tokenizer.json），或者重新下载"
        "（python -m mmdemo download）。"
    ),
    # -- open_clip (models.shared.openclip) --
    "the checkpoint file {file} does not exist": "检查点文件 {file} 不存在",
    "Check MMDEMO_CLIP_PRETRAINED, or use a pretrained tag.": (
        "请检查 MMDEMO_CLIP_PRETRAINED，或者使用一个预训练标签。"
    ),
    "its weights are not cached and cannot be downloaded": "它的权重没有缓存，也无法下载",
    "the checkpoint {file} could not be loaded ({error_type}: {error})": (
        "无法加载检查点 {file}（{error_type}：{error}）"
    ),
    "the model could not be built ({error_type}: {error})": (
        "无法构建这个模型（{error_type}：{error}）"
    ),
    "Check that the file is an open_clip checkpoint for this architecture.": (
        "请确认这个文件是这个架构的 open_clip 检查点。"
    ),
    # -- the shapes model (models.shared.shapes_model) --
    "the weights file {file} does not exist": "权重文件 {file} 不存在",
    "the weights file {file} is unreadable ({error_type}: {error})": (
        "权重文件 {file} 无法读取（{error_type}：{error}）"
    ),
    "{file} is not a shapes-vqa checkpoint (missing keys)": (
        "{file} 不是 shapes-vqa 检查点（缺少键）"
    ),
    "the vocabulary does not fit the model": "词表和模型对不上",
    "the checkpoint does not fit the model ({error_type}: {error})": (
        "检查点和模型对不上（{error_type}：{error}）"
    ),
    "{file} holds the {found} fusion": "{file} 中是 {found} 融合方式",
    "Retrain it with: python -m mmdemo train shapes-vqa --fusion {fusion} (2-3 minutes on a "
    "2-core CPU).": _RETRAIN_SHAPES + "（在 2 核 CPU 上需要 2-3 分钟）。",
    "Retrain it with: python -m mmdemo train shapes-vqa --fusion {fusion} (2-3 minutes on a "
    "2-core CPU; writes {file}).": _RETRAIN_SHAPES
    + "（在 2 核 CPU 上需要 2-3 分钟；会写入 {file}）。",
    # -- the early-fusion sentiment head (models.backends.fusion_head) --
    "early-fusion sentiment head": "早期融合情感头",
    "no head has been trained yet (looked for {file})": "还没有训练过情感头（查找的位置是 {file}）",
    "Train one with: {command} (a CSV with image,text,label columns; use the same --preset as "
    "the app), or choose the late or caption fusion.": (
        "请用以下命令训练一个：{command}（需要一个有 image,text,label 三列的 CSV；--preset 要和"
        "应用的相同），或者选择 late 或 caption 融合方式。"
    ),
    "the head in {file} was trained on {found}, but the active embedder is {expected}; "
    "vectors from different models cannot be mixed": (
        "{file} 中的情感头是在 {found} 上训练的，但当前的嵌入模型是 {expected}；不同模型的向量"
        "不能混用"
    ),
    "Retrain it for this embedder ({command} --preset <the app's preset>), or switch back to "
    "the preset it was trained with.": (
        "请为这个嵌入模型重新训练（{command} --preset ‹应用的预设›），或者切换回训练它时用的预设。"
    ),
    "{file} is not readable JSON ({error})": "{file} 不是可读的 JSON（{error}）",
    "{file} is not a {format} sidecar": "{file} 不是 {format} 附属文件",
    "{file} is not a usable head ({error_type}: {error})": (
        "{file} 不是可用的情感头（{error_type}：{error}）"
    ),
    "{file} names classes {found}, not {expected}": "{file} 中的类别是 {found}，而不是 {expected}",
    "Train it again: {command}": "请重新训练：{command}",
    # -- the cross-lingual sentiment head (models.backends.e5_sentiment_head) --
    "the cross-lingual sentiment head": "跨语言情感头",
    "{file} is missing from {folder}": "{folder} 中缺少 {file}",
    "{file} could not be read ({error})": "{file} 无法读取（{error}）",
    "it expects {dim}-d vectors, the encoder gives {found}": (
        "它需要 {dim} 维的向量，而编码器给出的是 {found} 维"
    ),
    "Retrain it: python -m mmdemo.training.multilingual_sentiment": (
        "请重新训练：python -m mmdemo.training.multilingual_sentiment"
    ),
}

# The kinds of name UnknownNameError lists the choices of, each in its whole message
# ("Unknown caption mode 'x'. Valid choices: ..."): with the shared frame alone the matcher
# would split "caption mode 'x'" after its first word, and a short entry ("{task} model")
# would match text it was not written for.
KINDS = {
    "caption mode": "描述方式",
    "caption language": "描述语言",
    "fusion": "融合方式",
    "shapes-vqa fusion": "shapes-vqa 融合方式",
    "preset": "预设",
    "task": "任务",
    "task in preset {preset}": "预设 {preset} 中的任务",
    "{task} backend": "{task} 后端",
    "{task} model": "{task} 模型",
    "caption model": "描述模型",
    "classify model": "分类模型",
    "embed model": "嵌入模型",
    "vqa model": "问答模型",
    "sentiment model": "情感分析模型",
    "image_sentiment model": "图片情感模型",
    "open_clip architecture": "open_clip 架构",
    "pretrained tag for {arch}": "{arch} 的预训练标签",
}
for _kind, _zh in KINDS.items():
    _space = " " if _zh[0].isascii() else ""  # 未知的 open_clip 架构, 未知的描述方式
    ZH[f"Unknown {_kind} {{name}}. Valid choices: {{listed}}."] = (
        f"未知的{_space}{_zh} {{name}}。可选：{{listed}}。"
    )
