"""Chinese questions the photo VQA can answer, and the ImageNet classes a Chinese word names.

Why a parser of its own: the English one keys on word order ("is there a X"); a Chinese
question marks itself with particles and set phrases instead (这是什么 / 有没有X / 有X吗 /
这是X吗). Only the kinds the photo VQA can honestly answer are recognised - "what is this"
and "is there / is this a X" - and a question that asks something else (how many, what
colour, where, who, why) is ``unsupported`` even when it starts like one of them
("这是什么颜色", "有几只猫"), so it gets "can't answer", never a wrong kind of answer.

The answer words follow the question: an existence question (有没有X) is answered 有 / 没有,
an identity question (这是X吗) 是 / 不是.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mmdemo.models.shared.imagenet import imagenet_classes

# Where in the picture ("图里", "这张照片上", ...).
_PLACE = (
    r"(?:这张|这幅|这个|那张|那幅|该)?(?:图片|图像|照片|相片|画面|图)(?:里面|里头|里|中|上|内)?"
)
_SUBJECT = rf"(?:这些|那些|这个|那个|这里|那里|这|那|它|{_PLACE})"
_WHAT = r"(?:什么|啥|哪种|哪类|什么样的)"
_OBJECT_NOUN = r"(?:东西|动物|物体|物品|植物|食物|玩意儿|玩意|东东|物种|建筑)?"
_VERB = r"(?:是个|是一个|是|有|拍的是|画的是|拍了|显示的是|显示了|包含了|包含)"
WHAT_ZH = re.compile(
    rf"^{_SUBJECT}?(?:的)?{_VERB}?{_WHAT}{_OBJECT_NOUN}$"
    rf"|^(?:你)?(?:能|可以)?看(?:到|见)(?:了)?{_WHAT}{_OBJECT_NOUN}$"
    rf"|^(?:描述|识别|辨认|介绍)(?:一下)?(?:{_SUBJECT})?(?:的内容)?$"
)
# 有没有X / 是否有X / 有X吗 / 图中有X吗 / 能看到X吗 / 图里包含X吗 / X在图里吗
_THERE_PREFIX = r"(?:有没有|有无|是否有|是不是有|有)"
_SEE = r"(?:你)?(?:能|可以|能不能|可不可以)?(?:看到|看见|看得到|看得见|找到|找得到)"
_CONTAIN = r"(?:包含|包括|含有|包不包含|含不含)"
_ASK = r"(?:吗|么|嘛|没有|没|不)"
THERE_ZH = (
    re.compile(rf"^(?:{_PLACE})?(?:有没有|有无|是否有|是不是有)(?P<thing>.+?)$"),
    re.compile(rf"^(?:{_PLACE})?有(?P<thing>.+?){_ASK}$"),
    re.compile(rf"^(?:{_PLACE})?{_SEE}(?P<thing>.+?){_ASK}?$"),
    re.compile(rf"^(?:{_PLACE})?(?:是否)?{_CONTAIN}(?P<thing>.+?){_ASK}?$"),
    re.compile(rf"^(?P<thing>.+?)在{_PLACE}{_ASK}$"),
)
THERE_STATEMENT_ZH = re.compile(rf"^(?:{_PLACE})?有(?P<thing>.+)$")  # only with a "?"
# 这是X吗 / 是X吗 / 这是不是X / 这是否是X
_IDENTITY_SUBJECT = rf"(?:这个|那个|这|那|它|{_PLACE}(?:的)?)?"
IDENTITY_ZH = (
    re.compile(rf"^{_IDENTITY_SUBJECT}(?:是不是|是否是|是否为|是否)(?P<thing>.+?)$"),
    re.compile(rf"^{_IDENTITY_SUBJECT}是(?P<thing>.+?)(?:吗|么|嘛)$"),
)
IDENTITY_STATEMENT_ZH = re.compile(rf"^{_IDENTITY_SUBJECT}是(?P<thing>.+)$")  # only with a "?"
# A "thing" holding one of these asks something else: how many, which, where, who, why, how.
OTHER_QUESTION = re.compile(r"什么|啥|几|多少|多大|多长|多高|哪|谁|为什么|为何|怎么|怎样|如何|颜色")
# Leading counters and quantifiers ("一只猫" -> "猫"), trailing "in the picture" and particles.
_COUNTER = "[只个杯张辆条头朵座台把本架艘块位名棵匹件枚根颗瓶碗盘份种群堆片支双对]"
NUMBER = r"(?:一|两|二|几|这|那|某)"
_LEADING = re.compile(rf"^(?:任何|一些|某些|有些)?(?:{NUMBER}{_COUNTER})?")
# "in the picture" at the end: after 在, or a place with its locative (图里, never a bare 图:
# "地图" keeps its 图).
_LOCATED = (
    r"(?:这张|这幅|这个|那张|那幅|该)?(?:图片|图像|照片|相片|画面|图)(?:里面|里头|里|中|上|内)"
)
_TRAILING = re.compile(rf"(?:在(?:{_PLACE}|这里|那里)|{_LOCATED})?(?:存在|出现)?$")
_PUNCTUATION = "?？.。!！~～、,，;；:：…\"'“”‘’ \t"
_FINAL_PARTICLES = "呢呀啊吧哇哦"
_POLITE = re.compile(r"^(?:请问一下|请问|请|你好|您好|麻烦问一下|问一下|我想知道)[，,：:\s]*")


@dataclass(frozen=True)
class ZhQuestion:
    kind: str  # "what" | "is_there" | "unsupported"
    thing: str = ""
    form: str = "there"  # is_there: "there" (answered 有/没有) or "identity" (是/不是)


def clean_thing(thing: str) -> str:
    """The object named in the question, without counters and "in the picture"."""
    thing = thing.strip(_PUNCTUATION)
    thing = _LEADING.sub("", thing, count=1)
    thing = _TRAILING.sub("", thing, count=1)
    return thing.strip(_PUNCTUATION)


def parse_zh(question: str) -> ZhQuestion:
    """Sort a Chinese question into the kinds the photo VQA answers (else ``unsupported``).

    ``question`` has already passed ``check_question`` (bounded length), and every pattern
    is anchored with a lazy group at most, so the cost is linear in that bounded length."""
    text = "".join(question.split())
    asked = text.endswith(("?", "？"))
    text = _POLITE.sub("", text.strip(_PUNCTUATION)).strip(_PUNCTUATION)
    text = text.rstrip(_FINAL_PARTICLES).strip(_PUNCTUATION)
    if not text:
        return ZhQuestion("unsupported")
    if WHAT_ZH.match(text):
        return ZhQuestion("what")
    # existence first: "是否有X" is an existence question, not an identity one
    for patterns, statement, form in (
        (THERE_ZH, THERE_STATEMENT_ZH, "there"),
        (IDENTITY_ZH, IDENTITY_STATEMENT_ZH, "identity"),
    ):
        for pattern in (*patterns, *((statement,) if asked else ())):
            match = pattern.match(text)
            if match is None:
                continue
            raw = match.group("thing")
            if OTHER_QUESTION.search(raw):
                return ZhQuestion("unsupported")
            thing = clean_thing(raw)
            if thing:
                return ZhQuestion("is_there", thing, form)
    return ZhQuestion("unsupported")


# Chinese names that end in a head noun without being one: a 熊猫 ("bear-cat") is no 猫, and
# in 西兰花 / 菜花 (broccoli, cauliflower) the 花 is a floret, not a flower.
NOT_A_KIND = {"猫": ("熊猫",), "花": ("西兰花", "菜花")}
# Head nouns with a second written form in the class list (dog breeds end in 犬, not 狗).
HEAD_ALIASES = {"狗": ("狗", "犬"), "犬": ("犬", "狗")}


@functools.cache
def classes_named(thing: str) -> tuple[int, ...]:
    """The ImageNet classes whose Chinese name is ``thing`` (exact), in model order."""
    return tuple(i for i, c in enumerate(imagenet_classes()) if thing in c.names_zh())


@functools.cache
def classes_of_kind(thing: str) -> tuple[int, ...]:
    """Classes that are a kind of ``thing`` by their Chinese name's head noun: a Chinese
    compound ends in the thing it names (虎斑猫, 波斯猫 are 猫), so a class whose name ends
    in ``thing`` is one (exceptions in ``NOT_A_KIND``)."""
    heads = HEAD_ALIASES.get(thing, (thing,))
    excluded = NOT_A_KIND.get(thing, ())
    found = []
    for index, cls in enumerate(imagenet_classes()):
        for name in cls.names_zh():
            if name.endswith(heads) and not any(name.endswith(x) for x in excluded):
                found.append(index)
                break
    return tuple(found)
