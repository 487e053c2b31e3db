"""Chinese for the Evaluate tab's messages: the CSV checks (quality/evaluation_csv.py) and
the live evaluation's refusals and notes (quality/live_evaluation.py)."""

ZH = {
    # the CSV as a whole
    "The CSV is {size} bytes; at most {limit} are read. Split it into smaller files.": (
        "这个 CSV 有 {size} 字节；最多读取 {limit} 字节。请把它拆成几个小文件。"
    ),
    "The CSV is not UTF-8 text: save it as CSV UTF-8 and upload it again.": (
        "这个 CSV 不是 UTF-8 文本：请另存为“CSV UTF-8”格式后重新上传。"
    ),
    "The CSV has more than {limit} rows; at most {limit} are evaluated at once. "
    "Split it into smaller files.": (
        "这个 CSV 超过 {limit} 行；一次最多评测 {limit} 行。请把它拆成几个小文件。"
    ),
    "The CSV could not be read: {reason}.": "无法读取这个 CSV：{reason}。",
    "The CSV is empty: its first row names image, text and label.": (
        "这个 CSV 是空的：第一行应写出列名 image、text 和 label。"
    ),
    "The CSV's first row must name the columns image, text and label (found: {found}).": (
        "CSV 的第一行必须写出列名 image、text 和 label（现在是：{found}）。"
    ),
    "The CSV has {count} bad rows; fix them and upload it again.": (
        "这个 CSV 有 {count} 行有问题；请改好后重新上传。"
    ),
    "…and {count} more.": "……还有 {count} 行。",
    "The CSV has no rows to evaluate: fill two of image, text and label in each row.": (
        "这个 CSV 里没有可评测的行：每行请填写 image、text、label 中的两项。"
    ),
    "Retrieval needs at least two different images in the rows with image and text "
    "(each text is ranked among them).": (
        "检索评测至少需要两张不同的图片（在同时填了 image 和 text 的行里）："
        "每段文字要在这些图片中排序。"
    ),
    "Zero-shot needs at least two different labels in the rows with image and label "
    "(each photo is scored against all of them).": (
        "零样本分类至少需要两个不同的标签（在同时填了 image 和 label 的行里）："
        "每张照片要和所有标签比较。"
    ),
    "The CSV has {count} different zero-shot labels; at most {limit}.": (
        "这个 CSV 有 {count} 个不同的零样本标签；最多 {limit} 个。"
    ),
    # one row
    "Row {row}, column {column}: {problem}": "第 {row} 行，{column} 列：{problem}",
    "expected 3 cells, got {count}.": "应有 3 个单元格，实际有 {count} 个。",
    "a row needs two of image, text and label (image + text: retrieval; image + label: "
    "zero-shot; text + label: sentiment).": (
        "每行需要填写 image、text、label 中的两项（image + text：检索；image + label：零样本分类；"
        "text + label：情感）。"
    ),
    "give the uploaded file's name, not a path.": "请写上传文件的文件名，不要写路径。",
    "no uploaded image is called {name}; upload it together with the CSV.": (
        "上传的图片里没有叫 {name} 的；请把它和 CSV 一起上传。"
    ),
    "the text is {length} characters; at most {limit}.": (
        "文字有 {length} 个字符；最多 {limit} 个。"
    ),
    "the label is {length} characters; at most {limit}.": (
        "标签有 {length} 个字符；最多 {limit} 个。"
    ),
    "{label} is not a sentiment; use positive, neutral or negative (正面, 中性, 负面).": (
        "{label} 不是情感标签；请用 positive、neutral、negative（或 正面、中性、负面）。"
    ),
    # the run
    "{count} images were uploaded; at most {limit} at once.": (
        "上传了 {count} 张图片；一次最多 {limit} 张。"
    ),
    "An evaluation is already running for you; wait for it to finish.": (
        "你的一次评测正在进行；请等它完成。"
    ),
    "No texts to rank.": "没有可以排序的文字。",
    "Random test weights (preset tiny): these numbers are meaningless.": (
        "随机测试权重（预设 tiny）：这些数字没有意义。"
    ),
    "Give one CSV file, not several.": "请只给一个 CSV 文件，不要给多个。",
    "Upload a CSV file first (columns image, text, label).": (
        "请先上传一个 CSV 文件（列：image、text、label）。"
    ),
    # the data sets each number names
    "gallery captions ({file}, tuning split)": "图库描述（{file}，调参集）",
    "held-out captions ({file})": "留出集描述（{file}）",
    "held-out photos ({folder})": "留出集照片（{folder}）",
    "{file} (all; VADER's calibration was fitted on it)": (
        "{file}（全部；VADER 的校准在它上面拟合）"
    ),
    "{file} (held-out half)": "{file}（留出的一半）",
    "your CSV": "你的 CSV",
    # progress
    "Reading the bundled photos": "正在读取内置照片",
    "Embedding {count} photos": "正在嵌入 {count} 张照片",
    "Ranking the captions and labels ({language})": "正在为描述和标签排序（{language}）",
    "Sentiment: English set": "情感：英文数据集",
    "Sentiment: Chinese held-out half": "情感：中文留出集",
    "Reading the images": "正在读取图片",
    "Embedding {count} images": "正在嵌入 {count} 张图片",
    "Ranking the texts": "正在为文字排序",
    "Zero-shot labels": "零样本标签",
    "Sentiment": "情感",
    "Done": "完成",
}
