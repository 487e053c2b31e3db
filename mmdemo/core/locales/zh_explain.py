"""Chinese for "Why this match" (services/explain.py, the explanation methods' names)."""

ZH = {
    "The embedding model {model} cannot show where a text matched in an image. "
    "Use the lite or full preset for this.": (
        "嵌入模型 {model} 无法显示文字在图片中匹配的位置。请改用 lite 或 full 预设。"
    ),
    # the method line under a heatmap (ExplainResult.method)
    "attention relevancy (Chefer et al.)": "注意力相关性（Chefer 等人的方法）",
    "patch-token similarity": "图块与文字的直接相似度",
    "Grad-CAM on EfficientNet classes": "基于 EfficientNet 类别的 Grad-CAM",
    "occlusion": "遮挡法",
}
