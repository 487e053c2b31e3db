"""Chinese for an image that cannot be used: the problems and hints of ``BadImageError``
(``core/imaging.py``, ``services/stored_files.py``, ``services/thumbnails.py``,
``models/backends/image_sentiment.py``) and the upload checks around them.

A ``BadImageError`` reads "{filename}: {problem}. {hint}" (its frame is in zh_common.py):
each problem and each hint is an entry of its own here, lower-case problems as the frame
joins them. ``{error}`` is a decoder's or the OS's own detail, shown as it is.
"""

ZH = {
    # -- problems --
    "the file is empty (0 bytes)": "文件是空的（0 字节）",
    "the image is {width}x{height} pixels ({pixels}), more than the limit of {limit} pixels "
    "(a file this large could exhaust memory)": (
        "图片有 {width}x{height} 像素（{pixels}），超过了 {limit} 像素的上限（这么大的文件"
        "可能耗尽内存）"
    ),
    "the image is {width}x{height} pixels: it has no pixels": (
        "图片是 {width}x{height} 像素：它没有任何像素"
    ),
    "the image is {width}x{height} pixels: its long side is {ratio} times its short side, "
    "more than the limit of {limit} to 1 (the models enlarge the short side, so the thinner "
    "an image, the more memory it costs: gigabytes for a 1-pixel line)": (
        "图片是 {width}x{height} 像素：长边是短边的 {ratio} 倍，超过了 {limit} 比 1 的上限"
        "（模型会放大短边，所以图片越细长，占用的内存越多：1 像素宽的线条要用掉好几 GB）"
    ),
    "is a folder, not an image file": "是一个文件夹，不是图片文件",
    "file not found": "找不到这个文件",
    "cannot be read (permission denied)": "无法读取（没有权限）",
    "is not a valid file path (it contains a NUL character)": (
        "不是有效的文件路径（其中含有 NUL 字符）"
    ),
    "cannot be read ({error})": "无法读取（{error}）",
    "is not an image in a supported format ({formats})": "不是受支持格式的图片（{formats}）",
    "JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC": (
        "JPEG、PNG、WebP、GIF、BMP、TIFF、AVIF 或 HEIC"
    ),
    "the image is too large ({error})": "图片太大了（{error}）",
    "the image header is corrupt ({error})": "图片的文件头已损坏（{error}）",
    "the image header is corrupt or truncated (it starts like a {format} file)": (
        "图片的文件头已损坏或不完整（它的开头像一个 {format} 文件）"
    ),
    "the image data is corrupt or truncated ({error})": "图片数据已损坏或不完整（{error}）",
    "is a JPEG-compressed TIFF, which this server does not decode": (
        "是一个用 JPEG 压缩的 TIFF，本服务器不解码这种文件"
    ),
    "the array is not an image ({error})": "这个数组不是图片（{error}）",
    "the file changed while it was being added": "文件在添加的过程中发生了变化",
    "has no content hash in the index": "在索引中没有内容哈希",
    "is a {type}, not an image": "是 {type}，不是图片",
    # -- hints --
    "The upload or copy probably failed; try again with the original file.": (
        "上传或复制可能失败了；请用原始文件再试一次。"
    ),
    "Resize it below the limit, or raise MMDEMO_MAX_IMAGE_PIXELS if you trust the file.": (
        "请把它缩小到上限以下；如果你信任这个文件，也可以调高 MMDEMO_MAX_IMAGE_PIXELS。"
    ),
    "Upload a picture.": "请上传一张图片。",
    "Crop it, or pad it to at most {limit}:1, and upload it again.": (
        "请裁剪它，或把它补边到最多 {limit}:1，然后重新上传。"
    ),
    "Choose an image file.": "请选择一个图片文件。",
    "Check the path, or upload the image again.": "请检查路径，或重新上传图片。",
    "Check the file's permissions.": "请检查这个文件的权限。",
    "Convert it to JPEG or PNG and upload it again.": "请把它转换成 JPEG 或 PNG 后重新上传。",
    "Re-export or re-download the file and try again.": (
        "请重新导出或重新下载这个文件，然后再试一次。"
    ),
    "Upload it again.": "请重新上传。",
    # -- the upload itself (core.imaging.image_from_upload) --
    "{name}: not a file uploaded to this app. Upload the image (from Python: "
    "gradio_client.handle_file(path)).": (
        "{name}：不是上传到本应用的文件。请上传图片（在 Python 中用 "
        "gradio_client.handle_file(path)）。"
    ),
    "No image given: upload an image first.": "没有给出图片：请先上传一张图片。",
    "Give one image here, not several.": "这里只能给一张图片，不能给多张。",
    "The image must be an uploaded file (its path as text), not {type}. Upload the image "
    "(from Python: gradio_client.handle_file(path)).": (
        "图片必须是一个上传的文件（以文字给出它的路径），而不是 {type}。请上传图片（在 Python "
        "中用 gradio_client.handle_file(path)）。"
    ),
    "Image folder {folder} does not exist.": "图片文件夹 {folder} 不存在。",
    "Image folder {folder} is not a folder.": "图片文件夹 {folder} 不是一个文件夹。",
}
