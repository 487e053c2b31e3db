"""Chinese for the Gallery tab's refusals: adding and removing images, a visitor's own
uploads and their limits, the admin password, a file the server could not save.

Raise sites: services/gallery.py, services/visitors.py, services/access.py,
services/captioning.py, services/stored_files.py and thumbnails.py (StorageError),
core/errors.py (StorageError's frame), ui/tabs/gallery.py. ``{action}`` is what the
visitor tried, named by the Gallery tab (its phrases are entries below).
"""

ZH = {
    # -- the admin password (services.access.check_shared_change) --
    "{action} changes the gallery every visitor shares, so it needs the admin password. Your "
    "own uploads you can remove or reset yourself.": (
        "{action}会改动所有访客共用的图库，所以需要管理员密码。你自己上传的图片可以自己删除或重置。"
    ),
    "{action} changes the shared gallery: type the admin password (in the API, the last "
    "input) to do it.": (
        "{action}会改动共用的图库：请输入管理员密码（在 API 中是最后一个输入）后再操作。"
    ),
    "{action} is switched off on this server: it can be reached from other machines and no "
    "admin password is set. Its owner can set MMDEMO_ADMIN_PASSWORD (or MMDEMO_AUTH for a "
    "login).": (
        "本服务器关闭了{action}：它可以被其他机器访问，而且没有设置管理员密码。服务器的所有者"
        "可以设置 MMDEMO_ADMIN_PASSWORD（或用 MMDEMO_AUTH 设置登录）。"
    ),
    "Removing images from the shared gallery": "从共用图库中删除图片",
    "Resetting the shared gallery": "重置共用图库",
    "Re-embedding the index": "重新嵌入索引",
    "Captioning the whole gallery": "为整个图库生成描述",
    # -- adding and removing (services.gallery, ui.tabs.gallery) --
    "No image ids given: type the ids to remove (e.g. 3, 7, 12).": (
        "没有给出图片 id：请输入要删除的 id（例如 3, 7, 12）。"
    ),
    "{count} ids in one request; the limit is {limit}.": (
        "一次请求中有 {count} 个 id；上限是 {limit} 个。"
    ),
    "Image ids are whole numbers (as the search results show), not {value}.": (
        "图片 id 是整数（和搜索结果里显示的一样），而不是 {value}。"
    ),
    "No files given: choose one or more images to add.": (
        "没有给出文件：请选择一张或多张要添加的图片。"
    ),
    "{count} files in one upload; the limit is {limit}. Add them in parts.": (
        "一次上传了 {count} 个文件；上限是 {limit} 个。请分几次添加。"
    ),
    "{folder} is not a folder.": "{folder} 不是一个文件夹。",
    "No images (jpg, jpeg, png, webp, bmp, gif) found in {folder}.": (
        "在 {folder} 中没有找到图片（jpg、jpeg、png、webp、bmp、gif）。"
    ),
    "No images selected: click the images to remove in the grid (through the API, give their "
    "ids).": "没有选中图片：请在网格中点击要删除的图片（通过 API 时，请给出它们的 id）。",
    "You have no uploads to caption yet.": "你还没有可以生成描述的上传图片。",
    "The index was rebuilt while the gallery was being captioned; caption the gallery again.": (
        "为图库生成描述的过程中索引被重建了；请重新为图库生成描述。"
    ),
    # why a file was left out (the add and caption reports; BadImageError's problems are in
    # zh_images)
    "file no longer exists": "文件已经不存在了",
    "captioning failed ({error_type}: {error})": "生成描述失败（{error_type}: {error}）",
    "The batch size must be a whole number, not {value}.": "批大小必须是整数，而不是 {value}。",
    "The batch size must be at least 1, not {value}.": "批大小至少要是 1，而不是 {value}。",
    # -- a visitor's own uploads (services.visitors) --
    "This request carries no browser session, so it has no gallery of its own to change. Use "
    "the page, or a gradio_client Client (each Client is one session).": (
        "这个请求没有浏览器会话，所以没有属于它自己的图库可以修改。请使用网页，或使用 "
        "gradio_client 的 Client（每个 Client 是一个会话）。"
    ),
    "Your uploads would come to {count} images; each visitor may keep {limit}. Remove some "
    "first (or reset your uploads).": (
        "你上传的图片将达到 {count} 张；每位访客最多可以保留 {limit} 张。请先删除一些"
        "（或重置你的上传）。"
    ),
    "Your uploads would take {size} MB; each visitor may keep {limit} MB. Remove some first.": (
        "你上传的图片将占用 {size} MB；每位访客最多可以保留 {limit} MB。请先删除一些。"
    ),
    # the OS's reasons a visitor is most likely to meet (StorageError's {error}, the
    # err.strerror), else shown as they are
    "No space left on device": "磁盘空间已满",
    "Permission denied": "没有权限",
    "Read-only file system": "文件系统是只读的",
    "Disk quota exceeded": "超出了磁盘配额",
}

# A file the server could not write (core.errors.StorageError), each thing it was saving in
# its whole message: "a copy of {name}" alone would match other text.
_SAVING = {
    "a copy of {name}": "{name} 的副本",
    "a thumbnail of {name}": "{name} 的缩略图",
    "the new index": "新的索引",
    "the new images": "新添加的图片",
    "the removal": "删除后的图库",
    "the reset gallery": "重置后的图库",
    "the captions": "描述",
    "the re-embedded index": "重新嵌入的索引",
}
# the frame itself, for a thing named elsewhere ({what} must then have its own entry)
_SAVING["{what}"] = "{what}"
for _english, _chinese in _SAVING.items():
    ZH[
        f"The server could not save {_english} ({{error}}). Nothing was changed; try again "
        "later, or tell the server's owner."
    ] = (
        f"服务器无法保存{' ' if _chinese.startswith('{name}') else ''}{_chinese}（{{error}}）。"
        "没有做任何改动；请稍后再试，或告诉服务器的所有者。"
    )
