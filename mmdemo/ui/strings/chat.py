"""The Chat tab's visitor-visible strings, English and Simplified Chinese (``ui/i18n``)."""

from __future__ import annotations

from mmdemo.ui.i18n import register

STRINGS = {
    "tab.chat": ("Chat", "图片对话"),
    "chat.intro": (
        "Chat about an image: upload it, ask, and the answer is written as you watch. "
        "Ask follow-up questions; **Stop** ends an answer, **Regenerate** writes the last "
        "one again.",
        "就一张图片对话：上传图片、提问，回答会一个词一个词地写出来。可以接着追问；"
        "**停止** 结束当前回答，**重新生成** 把最后一个回答重写一遍。",
    ),
    "chat.model_line": ("*Model:* **{model}**{note}", "*模型：* **{model}**{note}"),
    "chat.random": (
        " — random test weights (preset `tiny`): the answers are meaningless.",
        " — 随机测试权重（预设 `tiny`）：回答没有意义。",
    ),
    "chat.english_only": (" — reads and answers English only.", " — 只能读写英文，请用英文提问。"),
    "chat.image": ("Image", "图片"),
    "chat.chatbot": ("Conversation", "对话"),
    "chat.message": ("Your question", "你的问题"),
    "chat.placeholder": ("e.g. What is in this picture?", "例如：这张图片里有什么？"),
    "chat.placeholder_english": (
        "e.g. What is in this picture?",
        "例如 What is in this picture?（这个模型请用英文提问）",
    ),
    "chat.send": ("Send", "发送"),
    "chat.stop": ("Stop", "停止"),
    "chat.regenerate": ("Regenerate", "重新生成"),
    "chat.clear": ("Clear", "清空"),
    "chat.settings": ("Generation settings", "生成设置"),
    "chat.temperature": ("Temperature (0 = always the same answer)", "温度（0 = 每次回答都一样）"),
    "chat.top_p": ("Top-p (nucleus sampling)", "Top-p（核采样）"),
    "chat.max_tokens": ("Max new tokens", "最多生成的词元数"),
    "chat.save": ("Save answer as caption", "把回答存为图片描述"),
    "chat.save_info": (
        "Admin password (only to change the shared gallery)",
        "管理员密码（只有修改共享图库时才需要）",
    ),
    "chat.examples": ("Try", "试试这些"),
    "chat.loading": ("⏳ Loading {model} …", "⏳ 正在加载 {model}……"),
    "chat.loading_last": (
        "⏳ Loading {model} … (about {seconds} s last time)",
        "⏳ 正在加载 {model}……（上次约 {seconds} 秒）",
    ),
    "chat.writing": ("✍️ Writing …", "✍️ 正在写……"),
    "chat.done": (
        "{tokens} tokens in {seconds} s{speed} — {stopped}.",
        "{seconds} 秒生成 {tokens} 个词元{speed} — {stopped}。",
    ),
    "chat.speed": (" ({speed} tokens/s)", "（每秒 {speed} 个）"),
    "chat.stopped_eos": ("finished", "回答完毕"),
    "chat.stopped_length": ("reached the max new tokens", "达到了最多词元数"),
    "chat.stopped_cancelled": ("stopped", "已停止"),
    "chat.stopped_time": ("stopped at the time limit", "到了时间上限，已停止"),
    "chat.failed": (
        "⚠️ **No answer** — the question could not be asked (the message says why).",
        "⚠️ **没有回答** — 这个问题没能提交（提示消息里说明了原因）。",
    ),
    "chat.saved_added": (
        "✅ Added the image to the gallery (#{id}) with this answer as its caption.",
        "✅ 已把这张图片加入图库（#{id}），并用这个回答作为它的描述。",
    ),
    "chat.saved_updated": (
        "✅ The answer is now the caption of image #{id} in the gallery.",
        "✅ 这个回答现在是图库里图片 #{id} 的描述。",
    ),
    # lite: no vision-language model
    "chat.unavailable": (
        "Chat needs a vision-language model, and none installs from PyPI: run the `full` "
        "preset to chat. Here lite can caption this image or answer a question about it instead.",
        "对话需要视觉语言模型，而这类模型无法从 PyPI 安装：要对话请使用 `full` 预设。"
        "在这里，lite 可以改为给这张图片写描述，或回答关于它的一个问题。",
    ),
    "chat.lite_caption": ("Caption this image (lite)", "为这张图片写描述（lite）"),
    "chat.lite_vqa": ("Answer the question (VQA)", "回答这个问题（视觉问答）"),
    "chat.lite_question": ("Question for VQA", "给视觉问答的问题"),
    "chat.lite_caption_result": ("**Caption:** {caption}", "**描述：** {caption}"),
    "chat.lite_vqa_result": ("**Answer:** {answer}", "**回答：** {answer}"),
}
register(STRINGS)
