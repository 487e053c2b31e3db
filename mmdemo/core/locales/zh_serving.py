"""Chinese for what the page's server says about a call itself: inputs Gradio could not
read (``ui/blocks.py``: a crafted API call, a file that was never uploaded) (the toast of
an error we did not expect is the UI's own string, in ``ui/common.py``).

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
