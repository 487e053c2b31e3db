"""Chinese for a saved gallery index that does not fit or cannot be read, in the browser's
wording (``IndexMismatchError.ui`` / ``IndexCorruptError.ui``, ``core/errors.py``) and the
problems ``index/storage.py`` names, and their CLI wording (``str(err)``) that the banner's
index line shows. ``{file}`` is a file of the index, shown as it is.
"""

_REEMBED = "请用当前模型重新嵌入图库（在“图库”标签页中），或切换回建立它的模型。"

_PROBLEMS = {
    "the manifest names a bad {what} file {name}": "清单里列出的{what}文件 {name} 有问题",
    "there is no {file}": "缺少 {file}",
    "{file} is not valid JSON ({error})": "{file} 不是有效的 JSON（{error}）",
    "{file} is not a JSON object": "{file} 不是一个 JSON 对象",
    "format_version {version} is not supported (this version reads {supported})": (
        "不支持 format_version {version}（这个版本读取 {supported}）"
    ),
    "{file} lacks {key}": "{file} 缺少 {key}",
    "{file} has a bad {key}: {value}": "{file} 中的 {key} 有问题：{value}",
    "the data file {file} is missing": "缺少数据文件 {file}",
    "{file} is not a .npy file ({error})": "{file} 不是 .npy 文件（{error}）",
    "{file} holds {dtype} {shape}, expected float32 ({count}, {dim})": (
        "{file} 中是 {dtype} {shape}，应当是 float32 ({count}, {dim})"
    ),
    "{file} holds {dtype} {shape}, expected {ndim}-D {expected}": (
        "{file} 中是 {dtype} {shape}，应当是 {ndim} 维的 {expected}"
    ),
    "{file} is truncated": "{file} 不完整（被截断了）",
    "{file} holds vectors that are not unit length": "{file} 中的向量不是单位长度",
    "{file} cannot be read by faiss ({error})": "faiss 无法读取 {file}（{error}）",
    "{file} does not match the other files": "{file} 和其他文件对不上",
    "{file} does not list every saved id": "{file} 没有列出所有已保存的 id",
    "{file} and {other} differ": "{file} 和 {other} 不一致",
    "the manifest says {count} items but the ids file holds {found}": (
        "清单里写的是 {count} 项，但 ids 文件里有 {found} 项"
    ),
    "the ids are not increasing, or not below next_id": "ids 不是递增的，或者没有小于 next_id",
    "{file} line {line} is not a valid item ({error})": (
        "{file} 第 {line} 行不是有效的条目（{error}）"
    ),
    "{file} does not list the same items as the ids file": "{file} 列出的条目和 ids 文件不一样",
    "{file} lists the same sha256 twice": "{file} 把同一个 sha256 列了两次",
}

ZH = {
    "The gallery's index was built with {found} (dim {found_dim}), but the active model is "
    "{model} (dim {dim}). Vectors from different models cannot be compared. Re-embed the "
    "gallery with the active model (in the Gallery tab), or switch back to the model that "
    "built it.": (
        "图库的索引是用 {found}（{found_dim} 维）建立的，而当前使用的模型是 {model}（{dim} 维）。"
        "不同模型的向量无法相互比较。" + _REEMBED
    ),
    "Re-embed the gallery with the active model (in the Gallery tab), or switch back to the "
    "model that built it.": _REEMBED,
    "The index in {directory} was built with {found} (dim {found_dim}), but the active model "
    "is {model} (dim {dim}). Vectors from different models cannot be compared. Re-embed the "
    "images with the active model (python -m mmdemo index DIR --index-dir {directory} "
    "--rebuild), or switch back to the model that built it.": (
        "{directory} 中的索引是用 {found}（{found_dim} 维）建立的，而当前使用的模型是 {model}"
        "（{dim} 维）。不同模型的向量无法相互比较。请用当前模型重新嵌入这些图片（python -m "
        "mmdemo index DIR --index-dir {directory} --rebuild），或切换回建立它的模型。"
    ),
    # the files the manifest names ({what} above)
    "ids": "ids（编号）",
    "metadata": "metadata（元数据）",
    "vectors": "vectors（向量）",
    "faiss_index": "faiss_index（faiss 索引）",
    "hnsw_rows": "hnsw_rows（HNSW 行号）",
}
# Each problem inside its whole message, not as an entry of its own: a short template such
# as "{file} is truncated" would also match a decoder's own words elsewhere ("image file is
# truncated"), which are shown as they are.
for _english, _chinese in _PROBLEMS.items():
    ZH[
        f"The gallery's index cannot be read: {_english}. Re-embed the gallery with the active "
        "model (in the Gallery tab), or switch back to the model that built it."
    ] = f"无法读取图库的索引：{_chinese}。" + _REEMBED
    # the CLI wording (str(err)), which the banner's index line shows (paths cut to their
    # last part by for_browser)
    ZH[
        f"The index in {{directory}} cannot be read: {_english}. Rebuild it with python -m "
        "mmdemo index DIR --index-dir {directory} --rebuild."
    ] = (
        f"无法读取 {{directory}} 中的索引：{_chinese}。请用 python -m mmdemo index DIR "
        "--index-dir {directory} --rebuild 重建它。"
    )
