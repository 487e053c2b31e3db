"""Chinese for chatting about an image (``core/chat_results.py``, the chat backends
``models/backends/smolvlm_chat.py`` and ``qwen2_vl_chat.py``; the chat service and tab below).

``{role}``, ``{type}`` and the numbers are values shown as they are.
"""

ZH = {
    "A chat turn's role must be user or assistant, not {role}.": (
        "对话轮次的角色必须是 user 或 assistant，而不是 {role}。"
    ),
    "A chat turn must be text, not {type}.": "对话内容必须是文字，而不是 {type}。",
    "A chat message is {n} characters long; the limit is {limit}. Shorten it.": (
        "这条消息有 {n} 个字符，上限是 {limit} 个。请缩短一些。"
    ),
    "The temperature must be a number, not {value}.": "温度必须是一个数字，而不是 {value}。",
    "The top-p must be a number, not {value}.": "Top-p 必须是一个数字，而不是 {value}。",
    "The temperature must be between 0 and {limit}, not {value}.": (
        "温度必须在 0 到 {limit} 之间，而不是 {value}。"
    ),
    "Top-p must be above 0 and at most 1, not {value}.": (
        "Top-p 必须大于 0 且不超过 1，而不是 {value}。"
    ),
    "The maximum new tokens must be a whole number, not {value}.": (
        "最大新词元数必须是整数，而不是 {value}。"
    ),
    "The maximum new tokens must be between 1 and {limit}, not {value}.": (
        "最大新词元数必须在 1 到 {limit} 之间，而不是 {value}。"
    ),
    "The seed must be a whole number, not {value}.": "随机种子必须是整数，而不是 {value}。",
    "The seed must be between 0 and {limit}, not {value}.": (
        "随机种子必须在 0 到 {limit} 之间，而不是 {value}。"
    ),
    "A conversation must be a list of chat turns.": "对话必须是一组对话轮次。",
    "The conversation is empty: ask a question about the image.": (
        "对话是空的：请就这张图片提一个问题。"
    ),
    "The conversation has {n} turns; the limit is {limit}. Clear it and start again.": (
        "这段对话有 {n} 轮，上限是 {limit} 轮。请清空后重新开始。"
    ),
    "The last turn of a conversation must be the user's question.": (
        "对话的最后一轮必须是用户的问题。"
    ),
    "The question is empty: type what you want to know about the image.": (
        "问题是空的：请输入你想了解的关于这张图片的内容。"
    ),
    # the backends
    "The model {model} reads English only, and this question is mostly in another script: "
    "its answer would mean nothing. Ask in English, or choose Qwen2-VL, which reads Chinese.": (
        "模型 {model} 只能读英文，而这个问题大部分是其他文字：它的回答将毫无意义。"
        "请用英文提问，或选择能读中文的 Qwen2-VL。"
    ),
}

# --- chat service/tab ---
ZH_SERVICE = {
    "Chat needs a vision-language model, and none installs from PyPI: the {preset} preset "
    "has none. Start the app with the full preset (MMDEMO_PRESET=full) to chat; lite can "
    "still caption this image or answer a question about it.": (
        "对话需要一个视觉语言模型，而这类模型无法从 PyPI 安装：{preset} 预设里没有。"
        "要对话，请用完整预设启动应用（MMDEMO_PRESET=full）；lite 仍然可以为这张图片生成描述，"
        "或回答关于它的问题。"
    ),
    "The conversation history is {n} characters of JSON; the limit is {limit}. "
    "Clear it and start again.": (
        "对话记录的 JSON 有 {n} 个字符，上限是 {limit} 个。请清空后重新开始。"
    ),
    "The conversation history must be a JSON list of messages, each with a role and a "
    "content.": "对话记录必须是一个 JSON 消息列表，每条消息都要有角色（role）和内容（content）。",
    "The conversation history must be a list of messages.": "对话记录必须是一组消息。",
    "Each message of the history must have a role and a content, or be a [question, answer] "
    "pair.": "对话记录里的每条消息都要有角色和内容，或者是一对 [问题, 回答]。",
    "The message must be text, not {type}.": "消息必须是文字，而不是 {type}。",
    "The image must be an image file, not {type}.": "图片必须是一个图片文件，而不是 {type}。",
    "The chat options must be ChatOptions.": "对话选项必须是 ChatOptions。",
    "There is no answer to save yet: ask a question first.": (
        "还没有可以保存的回答：请先提一个问题。"
    ),
    "The answer is {n} characters long; a caption may have {limit}.": (
        "这个回答有 {n} 个字符，而图片描述最多 {limit} 个。"
    ),
    "The image could not be added: {problem}.": "这张图片没能加入图库：{problem}。",
    "The image was removed from the gallery meanwhile; try again.": (
        "这张图片刚刚被移出了图库；请重试。"
    ),
    "Changing the caption of a shared gallery image": "修改共享图库里图片的描述",
    "The chat model": "对话模型",
    "The maximum new tokens": "最大新词元数",
    "The seed": "随机种子",
}
ZH.update(ZH_SERVICE)
