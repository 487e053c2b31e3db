"""The Chinese question parser of the photo VQA, and the classes a Chinese word names."""

from __future__ import annotations

import time

import pytest

from mmdemo.models.shared.imagenet import imagenet_classes
from mmdemo.models.shared.zh_questions import (
    classes_named,
    classes_of_kind,
    clean_thing,
    parse_zh,
)


@pytest.mark.parametrize(
    "question",
    [
        "这是什么？",
        "这是什么",
        "这是什么东西?",
        "这是啥",
        "那是什么动物？",
        "这是哪种动物",
        "这个是什么",
        "图里有什么",
        "图中有什么东西？",
        "这张图片里有什么？",
        "照片上拍的是什么",
        "你看到了什么？",
        "请问这是什么？",
        "描述一下这张图片",
        "这 是 什么 ？",
    ],
)
def test_what_is_this_in_chinese(question):
    assert parse_zh(question).kind == "what"


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("有没有猫？", "猫"),
        ("图里有没有猫", "猫"),
        ("有猫吗？", "猫"),
        ("有猫吗", "猫"),
        ("图中有猫吗？", "猫"),
        ("图片里有一只猫吗？", "猫"),
        ("这张照片上有狗吗", "狗"),
        ("有没有猫在图里？", "猫"),
        ("是否有狗", "狗"),
        ("是不是有一辆车？", "车"),
        ("能看到狗吗", "狗"),
        ("你能看见一只狗吗？", "狗"),
        ("图里包含咖啡吗", "咖啡"),
        ("猫在图里吗？", "猫"),
        ("有猫没有", "猫"),
        ("图里有猫？", "猫"),  # a statement made a question by its question mark
        ("有杯子吗", "杯子"),  # 杯 is a counter, but not in 杯子
        ("有没有地图", "地图"),  # and 图 is a place only with its locative: 地图 keeps it
        ("有没有人？", "人"),
    ],
)
def test_is_there_in_chinese_is_answered_with_you_or_meiyou(question, thing):
    parsed = parse_zh(question)
    assert (parsed.kind, parsed.thing, parsed.form) == ("is_there", thing, "there")


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("这是猫吗？", "猫"),
        ("是咖啡吗", "咖啡"),
        ("这是不是猫", "猫"),
        ("这是一杯咖啡吗？", "咖啡"),
        ("这是否是猫", "猫"),
        ("它是一只狗吗", "狗"),
        ("照片上是猫吗", "猫"),
        ("这是猫？", "猫"),
    ],
)
def test_is_this_a_in_chinese_is_answered_with_shi_or_bushi(question, thing):
    parsed = parse_zh(question)
    assert (parsed.kind, parsed.thing, parsed.form) == ("is_there", thing, "identity")


@pytest.mark.parametrize(
    "question",
    [
        "这是什么颜色",  # starts like "what is this", asks a colour
        "这是什么颜色？",
        "猫是什么颜色的",
        "有几只猫？",  # starts like "is there", asks how many
        "图里有几个人",
        "有多少个人？",
        "猫在哪里",
        "这是谁？",
        "为什么",
        "这只猫多大了？",
        "今天天气很好",
        "图里有猫",  # a statement, no question mark
        "这是猫",
        "有",
        "吗",
        "？？？",
    ],
)
def test_other_chinese_questions_are_unsupported(question):
    assert parse_zh(question).kind == "unsupported"


def test_counters_and_the_place_are_taken_off_the_thing():
    assert clean_thing("一只猫") == "猫"
    assert clean_thing("一杯咖啡") == "咖啡"
    assert clean_thing("猫在图里") == "猫"
    assert clean_thing("杯子") == "杯子" and clean_thing("地图") == "地图"


def test_the_cost_stays_linear_in_the_bounded_question():
    started = time.perf_counter()
    for question in ("有" * 499 + "？", "有没有" + "猫" * 490 + "吗", "这是" + "是" * 490 + "吗"):
        parse_zh(question)
    assert time.perf_counter() - started < 1.0  # a backtracking blow-up takes seconds


def test_a_chinese_class_name_names_its_class():
    classes = imagenet_classes()
    assert [classes[i].name for i in classes_named("虎斑猫")] == ["tabby"]
    assert [classes[i].name for i in classes_named("杯子")] == ["cup"]
    assert classes_named("猫") == ()  # no class is called just 猫


def test_a_head_noun_names_the_classes_that_are_kinds_of_it():
    names = {imagenet_classes()[i].name for i in classes_of_kind("猫")}
    assert {"tabby", "Persian cat", "Siamese cat", "Egyptian cat"} <= names
    assert not names & {"giant panda", "lesser panda"}  # a 熊猫 is no 猫
    flowers = {imagenet_classes()[i].name for i in classes_of_kind("花")}
    assert not flowers & {"broccoli", "cauliflower"}  # their 花 is a floret
    dogs = {imagenet_classes()[i].name for i in classes_of_kind("狗")}
    assert {"beagle", "Pekinese"} <= dogs  # breeds end in 犬 or 狗
    assert classes_of_kind("火箭") == ()
