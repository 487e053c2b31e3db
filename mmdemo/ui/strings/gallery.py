"""Everything the Gallery tab says, in English and Chinese (keys ``gallery.<what>``)."""

STRINGS = {
    "tab.gallery": ("Gallery", "图库"),
    "gallery.intro": (
        "Every image the search looks through, newest first. Click images to select "
        "them, then remove them. {who}",
        "这里是搜索会查找的每一张图片，最新的在前。点击图片选中它们，然后就可以删除。{who}",
    ),
    "gallery.who_shared": (
        "Everyone using this server sees the same gallery.",
        "使用这台服务器的每个人看到的都是同一个图库。",
    ),
    "gallery.who_visitor": (
        "You see the shared photos and your own uploads. Your uploads are yours: nobody "
        "else sees them, and they are deleted after {hours} h without a visit. You may "
        "remove your own; the shared photos need the admin password.",
        "你看到的是共享的照片和你自己上传的图片。你上传的图片只属于你：别人看不到，"
        "{hours} 小时没有访问就会被删除。你可以删除自己的图片；共享的照片需要管理员密码。",
    ),
    "gallery.previous": ("◀ Previous", "◀ 上一页"),
    "gallery.next": ("Next ▶", "下一页 ▶"),
    "gallery.nothing_selected": (
        "Click images in the grid to select them for removal.",
        "点击网格中的图片，选中要删除的图片。",
    ),
    "gallery.selected": ("**Selected ({count}):** {names}", "**已选中（{count}）：** {names}"),
    "gallery.remove": ("Remove selected", "删除选中的图片"),
    "gallery.clear": ("Clear selection", "取消选择"),
    "gallery.add_fold": ("Add images", "添加图片"),
    "gallery.files": ("Images", "图片"),
    "gallery.add": ("Add to the gallery", "添加到图库"),
    "gallery.manage_fold": ("Manage the gallery", "管理图库"),
    "gallery.password": (
        "Admin password (to change the shared gallery on a public server)",
        "管理员密码（在公开的服务器上修改共享图库时需要）",
    ),
    "gallery.reset": (
        "Reset to the default gallery (uploads are dropped)",
        "恢复为默认图库（上传的图片会被丢弃）",
    ),
    "gallery.reembed": ("Re-embed with the active model", "用当前模型重新嵌入"),
    "gallery.caption": ("Caption the gallery", "为图库生成描述"),
    "gallery.overwrite": (
        "Caption again images that already have a caption",
        "已有描述的图片也重新生成",
    ),
    "gallery.status_fold": ("Status", "状态"),
    "gallery.refresh": ("Refresh", "刷新"),
    # the browse pager and the thumbnails' captions
    "gallery.empty": (
        "The gallery is empty: add images below.",
        "图库是空的：请在下面添加图片。",
    ),
    "gallery.page": (
        "**Page {page} of {pages}** · {total} images",
        "**第 {page} / {pages} 页** · 共 {total} 张图片",
    ),
    "gallery.missing": (
        " · {missing} could not be shown (file missing or unreadable)",
        " · {missing} 张无法显示（文件丢失或无法读取）",
    ),
    "gallery.yours": (" · yours", " · 你的"),
    "gallery.shared": (" · shared", " · 共享"),
    # progress while a long action runs
    "gallery.embedding": ("Embedding images", "正在嵌入图片"),
    "gallery.reembedding": ("Re-embedding", "正在重新嵌入"),
    "gallery.captioning": ("Captioning the gallery", "正在为图库生成描述"),
    # the reports, word for word what core.results says in English
    "gallery.added": (
        "added {added}, skipped {duplicates} duplicate(s), {unreadable} unreadable; index "
        "now holds {total} image(s)",
        "已添加 {added} 张，跳过 {duplicates} 张重复的、{unreadable} 张无法读取的；"
        "索引里现在有 {total} 张图片",
    ),
    "gallery.same_in_upload": (
        "{name} is the same image as {existing} (in this upload)",
        "{name} 和 {existing} 是同一张图片（都在这次上传里）",
    ),
    "gallery.already_as": (
        "{name} is already in the gallery as {existing}",
        "{name} 已经在图库里了，名为 {existing}",
    ),
    "gallery.already": ("{name} is already in the gallery", "{name} 已经在图库里了"),
    "gallery.unreadable": ("{name} is unreadable: {reason}", "{name} 无法读取：{reason}"),
    "gallery.removed": (
        "Removed {removed} of {wanted} image(s)",
        "已删除 {removed} 张图片（共选中 {wanted} 张）",
    ),
    "gallery.removed_names": ("{removed}: {names}", "{removed}：{names}"),
    "gallery.uploads_gone": (
        "Your uploads are gone; the shared gallery is as it was.",
        "你上传的图片已清除；共享图库保持原样。",
    ),
    "gallery.back_to_default": (
        "Back to the default gallery: {total} image(s).",
        "已恢复为默认图库：{total} 张图片。",
    ),
    "gallery.captioned": (
        "captioned {captioned}, skipped {skipped} already captioned, {failed} failed, in "
        "{seconds} s",
        "已生成描述 {captioned} 张，跳过 {skipped} 张已有描述的，{failed} 张失败，"
        "用时 {seconds} 秒",
    ),
    "gallery.unsure": (
        ", {unsure} left without a caption (the model was not sure)",
        "，{unsure} 张没有描述（模型没有把握）",
    ),
    "gallery.captioned_with": (" with {model}", "，使用 {model}"),
    "gallery.captioned_total": (
        "; the index holds {total} image(s)",
        "；索引里有 {total} 张图片",
    ),
    "gallery.caption_failed": ("failed: {name}: {reason}", "失败：{name}：{reason}"),
    "gallery.end": (".", "。"),
}
