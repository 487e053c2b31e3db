"""Chinese for text-to-image generation (``core/generate_results.py``, the diffusers backends
in ``models/backends/sd_turbo.py``; G2 appends the service's and the tab's below).

``{steps}``, ``{seed}``, ``{side}``, ``{length}``, ``{limit}`` and the like are numbers or the
visitor's own values, shown as they are.
"""

ZH = {
    "steps must be a whole number, not {value}.": "步数必须是整数，而不是 {value}。",
    "seed must be a whole number, not {value}.": "种子必须是整数，而不是 {value}。",
    "width must be a whole number, not {value}.": "宽度必须是整数，而不是 {value}。",
    "height must be a whole number, not {value}.": "高度必须是整数，而不是 {value}。",
    "steps must be between 1 and {limit}, not {steps}.": (
        "步数必须在 1 到 {limit} 之间，而不是 {steps}。"
    ),
    "The seed must be between 0 and {limit}, not {seed}.": (
        "种子必须在 0 到 {limit} 之间，而不是 {seed}。"
    ),
    "The width must be a multiple of {multiple} between {low} and {high} pixels, not {side}.": (
        "宽度必须是 {multiple} 的倍数，且在 {low} 到 {high} 像素之间，而不是 {side}。"
    ),
    "The height must be a multiple of {multiple} between {low} and {high} pixels, not {side}.": (
        "高度必须是 {multiple} 的倍数，且在 {low} 到 {high} 像素之间，而不是 {side}。"
    ),
    "guidance_scale must be a number, not {value}.": "引导强度必须是数字，而不是 {value}。",
    "guidance_scale must be between 0 and {limit}, not {scale}.": (
        "引导强度必须在 0 到 {limit} 之间，而不是 {scale}。"
    ),
    "The prompt must be text, not {type}.": "提示词必须是文字，而不是 {type}。",
    "The prompt is empty: describe the image to draw.": "提示词是空的：请描述要画的图片。",
    "The prompt is {length} characters long; the limit is {limit}.": (
        "提示词有 {length} 个字符，上限是 {limit}。"
    ),
    "{model} ships no safety checker: images are not filtered.": (
        "{model} 没有附带安全检查器：生成的图片不会被过滤。"
    ),
    "its spec asks for a tiny random model": "它的配置要求使用一个随机权重的微型模型",
    "Set is_random=True on it.": "请在它的配置上设置 is_random=True。",
    # --- generate service/tab ---
    "Drawing images needs the full preset (a diffusion model); this server runs {preset}, "
    "which has none.": (
        "画图需要 full 预设（一个扩散模型）；这台服务器运行的是 {preset}，它没有画图模型。"
    ),
    "The image model reads English prompts only (its CLIP text encoder was trained on "
    "English captions); describe the image in English.": (
        "画图模型只读英文提示词（它的 CLIP 文本编码器是用英文描述训练的）；请用英文描述要画的图片。"
    ),
    "The options must be a mapping, not {type}.": "选项必须是键值对，而不是 {type}。",
    "Unknown generation options: {names}.": "未知的生成选项：{names}。",
    "Draw an image first: there is nothing to use yet.": "请先画一张图片：现在还没有可用的图片。",
    "That drawing was cleared from the server (older drawings are removed); draw it again.": (
        "这张图片已从服务器上清除（较早画的图片会被删除）；请再画一次。"
    ),
    "Loading {model} …": "正在加载 {model}……",
    "Loading {model} … (about {seconds} s last time)": "正在加载 {model}……（上次约 {seconds} 秒）",
}
