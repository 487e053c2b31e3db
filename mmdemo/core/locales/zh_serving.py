"""Chinese for what the page's server says about itself in the banner (why this preset:
``serving/preset_choice.py``; models still loading: ``services/status.py``) and about a
call: inputs Gradio could not read (``ui/blocks.py``: a crafted API call, a file that was
never uploaded). The toast of an error we did not expect is the UI's own, in ui/common.py.

``{input}`` is "Input 1 (upload) of /classify"; ``{form}`` the form a
file input takes; ``{detail}`` pydantic's own words, shown as they are. The JSON braces of
the file form are doubled in the Chinese (``str.format`` writes them once).
"""

_FILE_FORM_ZH = (
    '一个上传的文件，就像 gradio_client.handle_file(path) 发送的那样（{{"path": ..., "meta": '
    '{{"_type": "gradio.FileData"}}}}，其中的路径是 /gradio_api/upload 返回的路径）'
)

ZH = {
    'an uploaded file, as gradio_client.handle_file(path) sends it ({"path": ..., "meta": '
    '{"_type": "gradio.FileData"}}, the path one that /gradio_api/upload returned)': _FILE_FORM_ZH,
    'a list of files, each an uploaded file, as gradio_client.handle_file(path) sends it ({"path"'
    ': ..., "meta": {"_type": "gradio.FileData"}}, the path one that /gradio_api/upload '
    "returned)": "一个文件列表，其中每一项都是" + _FILE_FORM_ZH,
    # why this preset (serving.preset_choice), in the banner
    "MMDEMO_PRESET={preset}": "服务器设置了 MMDEMO_PRESET={preset}",
    "the full models' weights are in the local cache": "完整模型的权重已经在本地缓存中",
    "the Hugging Face hub answered, so the full models ({models}) download on first use": (
        "可以连接 Hugging Face hub，所以完整模型（{models}）会在第一次使用时下载"
    ),
    "the full models' weights ({models}) are not in the local cache and the Hugging Face hub "
    "cannot be reached": "完整模型（{models}）的权重不在本地缓存中，而且无法连接 Hugging Face hub",
    # the banner's index line while the warm-up runs (services.status)
    "the models are still loading (start-up); ready in a moment": (
        "模型还在加载（正在启动）；马上就好"
    ),
    "The inputs of this call could not be read; /gradio_api/info lists each endpoint's inputs "
    "and their types.": (
        "无法读取这次调用的输入；/gradio_api/info 列出了每个接口的输入和它们的类型。"
    ),
}

# Which input (ui.blocks._describe), inside each whole message: "Input {number} of {endpoint}"
# alone would match pydantic's own "Input should be ... of ImageData".
_INPUTS = {
    "Input {number} ({name}) of {endpoint}": "{endpoint} 的第 {number} 个输入（{name}）",
    "Input {number} of {endpoint}": "{endpoint} 的第 {number} 个输入",
}
_PROBLEMS = {
    "{input} must be {form}, not this {type}.": "{input}必须是{form}，而不是这个 {type}。",
    "{input} must be {form}, not this {type} ({detail}).": (
        "{input}必须是{form}，而不是这个 {type}（{detail}）。"
    ),
    "{input} names a file that was not uploaded to this app; send {form}.": (
        "{input}指向的文件不是上传到本应用的；请发送{form}。"
    ),
}
for _english, _chinese in _PROBLEMS.items():
    for _input, _input_zh in _INPUTS.items():
        ZH[_english.replace("{input}", _input)] = _chinese.replace("{input}", _input_zh)

# long jobs (serving.long_jobs): a chat reply or an image refused while the limit run
ZH.update(
    {
        "The server is busy {what} (limit: {limit} at once); try again in a moment.": (
            "服务器正忙于{what}（最多同时 {limit} 个）；请稍后再试。"
        ),
        "writing chat replies": "撰写聊天回复",
        "drawing images": "生成图像",
    }
)
