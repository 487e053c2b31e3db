"""Chinese for the error shapes every area shares (``mmdemo/core/errors.py``)."""

ZH = {
    "Unknown {kind} {name}. Valid choices: {listed}.": "未知的{kind} {name}。可选：{listed}。",
    "{filename}: {problem}. {hint}": "{filename}：{problem}。{hint}",
    "Upload a JPEG, PNG, WebP, HEIC, BMP or GIF image.": (
        "请上传 JPEG、PNG、WebP、HEIC、BMP 或 GIF 图片。"
    ),
}
