"""The Generate tab's visitor-visible text, English and Simplified Chinese (``register``ed by
the tab). Model names, sizes and numbers stay as they are in both."""

STRINGS = {
    "tab.generate": ("Generate", "画图"),
    "generate.intro": (
        "Draw an image from a description with **{model}**{note}, then take it back into "
        "the shared space: add it to the gallery, find photos that look like it, caption it "
        "or ask about it. The model reads **English** prompts only.",
        "用 **{model}**{note} 按一段描述画出一张图片，再把它带回共享空间：加入图库、"
        "找出和它相像的照片、为它生成描述，或就它提问。这个模型只读**英文**提示词。",
    ),
    "generate.random": (
        " (random test weights: the pictures are noise)",
        "（随机测试权重：画出来的是噪点）",
    ),
    "generate.needs_full": (
        "Drawing images needs the `full` preset (a diffusion model, a few GB); this "
        "server runs `lite`, which has no image generator. Captions and answers about "
        "your own photos are on the Caption and Ask tabs.",
        "画图需要 `full` 预设（一个几 GB 的扩散模型）；这台服务器运行的是 `lite`，"
        "没有画图模型。为你自己的照片生成描述和提问，请用“图片描述”和“提问”标签页。",
    ),
    "generate.prompt": ("Prompt (in English)", "提示词（请用英文）"),
    "generate.placeholder": (
        "e.g. a red fox in the snow, photo",
        "例如 a red fox in the snow, photo（请用英文）",
    ),
    "generate.steps": ("Steps", "步数"),
    "generate.seed": ("Seed", "种子"),
    "generate.random_seed": ("Random seed", "随机种子"),
    "generate.width": ("Width (px)", "宽度（像素）"),
    "generate.height": ("Height (px)", "高度（像素）"),
    "generate.button": ("Generate", "开始画"),
    "generate.cancel": ("Cancel", "取消"),
    "generate.image": ("Generated image", "画出的图片"),
    "generate.details": ("Details (JSON)", "详细信息（JSON）"),
    "generate.examples": ("Try", "试试这些"),
    "generate.step": ("Drawing: step {done} of {total}", "正在画：第 {done} 步，共 {total} 步"),
    "generate.done": (
        "Drawn by {model} in {seconds} s ({steps} steps, seed {seed}, {width}×{height}).",
        "由 {model} 画成，用时 {seconds} 秒（{steps} 步，种子 {seed}，{width}×{height}）。",
    ),
    # English has a singular; Chinese says 1 步 like any other count
    "generate.done_one": (
        "Drawn by {model} in {seconds} s ({steps} step, seed {seed}, {width}×{height}).",
        "由 {model} 画成，用时 {seconds} 秒（{steps} 步，种子 {seed}，{width}×{height}）。",
    ),
    "generate.loading": ("Loading {model} …", "正在加载 {model}……"),
    "generate.loading_last": (
        "Loading {model} … (about {seconds} s last time)",
        "正在加载 {model}……（上次约 {seconds} 秒）",
    ),
    "generate.time": (
        "⚠️ The time limit stopped it after {done} of {steps} steps: this is the image so far.",
        "⚠️ 到了时间上限，画到第 {done} 步（共 {steps} 步）停下了：这是目前画出的图片。",
    ),
    "generate.cancelled": ("The drawing was cancelled: no image.", "已取消画图：没有图片。"),
    "generate.no_result": (
        "⚠️ **No image** — it could not be drawn (the message says why).",
        "⚠️ **没有图片** — 没能画出来（提示消息里说明了原因）。",
    ),
    "generate.loop": ("Use the image", "使用这张图片"),
    "generate.add": ("Add to gallery", "加入图库"),
    "generate.similar": ("Find similar photos", "找相像的照片"),
    "generate.caption": ("Caption it", "生成描述"),
    "generate.question": ("Question about the image", "关于这张图片的问题"),
    "generate.question_placeholder": ("e.g. What is this?", "例如：这是什么？"),
    "generate.ask": ("Ask about it", "提问"),
    "generate.similar_results": ("Similar photos in the gallery", "图库里相像的照片"),
    "generate.answer": ("Caption / answer", "描述 / 答案"),
    "generate.similar_none": (
        "No photos in the gallery to compare with.",
        "图库里没有可比较的照片。",
    ),
    "generate.similar_count": (
        "The {count} closest photos in the gallery (the first may be this image, once added).",
        "图库里最接近的 {count} 张照片（加入图库后，第一张可能就是这张图片本身）。",
    ),
    "generate.answered": ("{answer} ({confidence})", "{answer}（{confidence}）"),
}
