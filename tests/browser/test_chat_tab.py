"""The Chat tab in a real browser (tiny app: the real SmolVLM / Qwen2-VL twins): upload,
ask, the answer appears as it streams, Stop, Regenerate, Clear; the main flow in zh-CN;
lite shows its one plain line and offers the caption / VQA answer instead. Screenshots
(desktop and 390 px phone, en and zh) in artifacts/browser/chat_*.png."""

from __future__ import annotations

import pytest

from tests.support.browser import ERROR_TOAST, GALLERY, open_tab, screenshot

pytestmark = pytest.mark.browser

BOT = "#chat-chatbot"


def set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def ask(page, question: str) -> None:
    page.locator("#chat-message textarea, #chat-message input").first.fill(question)
    page.locator("#chat-send").click()


def bot_texts(page) -> list[str]:
    return page.locator(f"{BOT} .message.bot, {BOT} [data-testid=bot]").all_inner_texts()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_chat_flow(page, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 390 else 844})
    open_tab(page, "Chat")
    page.locator("#chat-image input[type=file]").set_input_files(str(GALLERY / "coffee_cup.png"))
    page.locator("#chat-model-name").get_by_text("SmolVLM").first.wait_for(state="visible")
    ask(page, "What is this?")
    page.locator("#chat-status").get_by_text("tokens in").wait_for(state="visible")
    answers = bot_texts(page)
    assert answers and answers[-1].strip(), answers
    assert "What is this?" in page.locator(BOT).inner_text()
    screenshot(page, f"chat_en_{width}.png")
    # Regenerate: still one question and one answer
    page.locator("#chat-regenerate").click()
    page.wait_for_timeout(300)
    page.locator("#chat-status").get_by_text("tokens in").wait_for(state="visible")
    assert page.locator(BOT).inner_text().count("What is this?") == 1
    # a long answer, stopped
    page.locator("#chat-model-name").scroll_into_view_if_needed()
    ask(page, "Tell me more, at length.")
    page.locator("#chat-stop").click()  # may land before the first token: the question stays
    page.wait_for_timeout(1000)
    assert "Tell me more" in page.locator(BOT).inner_text()
    assert page.locator("#chat-message textarea, #chat-message input").first.input_value() == ""
    # Clear empties the conversation
    page.locator("#chat-clear").click()
    page.wait_for_function(
        f"() => !document.querySelector('{BOT}').innerText.includes('What is this?')"
    )
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_chat_in_chinese(zh_page, tmp_path):
    page = zh_page
    open_tab(page, "图片对话")
    # a text file named .png: refused in Chinese, the question kept in the box, nothing shown
    fake = tmp_path / "not_a_photo.png"
    fake.write_text("<script>alert(1)</script> not a PNG")
    page.locator("#chat-image input[type=file]").set_input_files(str(fake))
    ask(page, "这是什么？")
    page.locator(ERROR_TOAST).filter(has_text="不是受支持格式的图片").first.wait_for()
    page.locator("#chat-status").get_by_text("没有回答").wait_for(state="visible")
    box = page.locator("#chat-message textarea, #chat-message input").first
    assert box.input_value() == "这是什么？" and "这是什么？" not in page.locator(BOT).inner_text()
    box.fill("")
    page.locator("#chat-image input[type=file]").set_input_files(str(GALLERY / "china_temple.jpg"))
    page.locator("#chat-model input").click()
    page.get_by_role("option", name="Qwen2-VL").first.click()
    page.wait_for_function(
        "() => document.querySelector('#chat-message textarea, #chat-message input')"
        ".placeholder === '例如：这张图片里有什么？'"
    )  # Qwen2-VL reads Chinese: no "ask in English" any more
    ask(page, "这张照片里是什么建筑？")
    page.locator("#chat-status").get_by_text("词元").wait_for(state="visible")
    assert "这张照片里是什么建筑？" in page.locator(BOT).inner_text()
    assert "发送" in page.locator("#chat-send").inner_text()
    screenshot(page, "chat_zh_1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "chat_zh_390.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_lite_offers_caption_and_vqa_instead(offline_page):
    page = offline_page
    open_tab(page, "Chat")
    line = page.locator("#chat-unavailable")
    assert "PyPI" in line.inner_text() and "full" in line.inner_text()
    assert page.locator(BOT).count() == 0  # no fake chat
    page.locator("#chat-image input[type=file]").set_input_files(str(GALLERY / "coffee_cup.png"))
    page.locator("#chat-lite-caption").click()
    page.locator("#chat-lite-result").get_by_text("Caption:").wait_for(state="visible")
    page.locator("#chat-lite-vqa").click()
    page.locator("#chat-lite-result").get_by_text("Answer:").wait_for(state="visible")
    screenshot(page, "chat_lite_en.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
