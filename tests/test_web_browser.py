"""The web chat in a real headless browser: Debian's chromium and chromium-driver, driven
by selenium, against ``python -m bot --web`` in a child process. These tests type, click,
fill in dialogs and read what the page shows, as a person would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT = 15  # seconds: generous, for a loaded machine; nothing is timed by it


@pytest.fixture(scope="module")
def bot_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m bot --web`` with the test plugin; its chat's base URL."""
    home = tmp_path_factory.mktemp("webbot")
    plugins = home / "plugins"
    plugins.mkdir()
    shutil.copy(Path(__file__).with_name("web_chat_plugin.py"), plugins / "webtest.py")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "LOG_"))}
    env |= {"BOT_PLUGINS_DIR": str(plugins), "DATA_DIR": str(home / "data"),
            "BOT_WEB_PORT": str(port), "PYTHONUNBUFFERED": "1"}  # fmt: skip
    log = (home / "bot.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--web"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while "web chat: open" not in (home / "bot.log").read_text():
            assert proc.poll() is None, (home / "bot.log").read_text()
            assert time.monotonic() < deadline, "the bot did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        assert proc.wait(20) == 0
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1200,800", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: WebDriver, bot_url: str) -> WebDriver:
    """A fresh load of the sandbox, connected (as alice, in #general)."""
    browser.set_window_size(1200, 800)
    browser.get(f"{bot_url}/chat")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "status").text == "live")
    return browser


def type_in(page: WebDriver, text: str) -> None:
    box = page.find_element(By.ID, "text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def bot_messages(page: WebDriver) -> list[WebElement]:
    return page.find_elements(By.CSS_SELECTOR, "#messages li.msg:has(.bot-tag)")


def answer_to(page: WebDriver, text: str) -> WebElement:
    """Type ``text``; the bot's message that answers it (the newest once it is there)."""
    before = len(bot_messages(page))
    type_in(page, text)
    WebDriverWait(page, WAIT).until(lambda d: len(bot_messages(d)) > before)
    return bot_messages(page)[-1]


def test_typing_a_command_shows_the_reply_with_its_markdown(page: WebDriver) -> None:
    reply = answer_to(page, "!say **bold** and `code`")
    content = reply.find_element(By.CSS_SELECTOR, ".content")
    assert content.text == "bold and code"
    assert content.find_element(By.TAG_NAME, "strong").text == "bold"
    assert content.find_element(By.TAG_NAME, "code").text == "code"
    assert "alice: !say" in reply.find_element(By.CSS_SELECTOR, ".quote").text


def test_clicking_a_button_updates_the_message_in_place(page: WebDriver) -> None:
    reply = answer_to(page, "!deploy")
    ident = reply.get_attribute("data-id")
    assert reply.find_element(By.CSS_SELECTOR, ".content").text.startswith("Deploy where?")
    prod = reply.find_element(By.XPATH, ".//button[text()='Prod']")
    assert "danger" in (prod.get_attribute("class") or "")
    prod.click()
    WebDriverWait(page, WAIT).until(
        lambda d: (
            d.find_element(By.ID, f"m-{ident}").find_element(By.CSS_SELECTOR, ".content").text
            == "Deploying prod…"
        )
    )
    assert not page.find_element(By.ID, f"m-{ident}").find_elements(By.CSS_SELECTOR, ".row button")


def test_a_form_opens_as_a_dialog_and_is_submitted(page: WebDriver) -> None:
    type_in(page, "!bug")
    dialog = page.find_element(By.ID, "form-dialog")
    WebDriverWait(page, WAIT).until(lambda d: dialog.get_attribute("open") is not None)
    assert page.find_element(By.ID, "form-title").text == "Report a bug"
    title = dialog.find_element(By.NAME, "title")
    assert title.get_attribute("maxlength") == "20"
    title.send_keys("Crash")
    dialog.find_element(By.NAME, "body").send_keys("it went boom")
    before = len(bot_messages(page))
    page.find_element(By.ID, "form-submit").click()
    WebDriverWait(page, WAIT).until(lambda d: len(bot_messages(d)) > before)
    assert bot_messages(page)[-1].find_element(By.CSS_SELECTOR, ".content").text == (
        "filed: Crash / it went boom"
    )


def test_script_and_img_payloads_show_as_text_and_never_run(page: WebDriver) -> None:
    payload = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    reply = answer_to(page, f"!say {payload}")
    assert reply.find_element(By.CSS_SELECTOR, ".content").text == payload
    messages = page.find_element(By.ID, "messages")
    assert not messages.find_elements(By.TAG_NAME, "script")
    assert not messages.find_elements(By.TAG_NAME, "img")
    assert page.execute_script("return window.pwned === undefined")
    # A link may only go to the web: a javascript: URL stays text.
    link = answer_to(page, "!say [click](javascript:alert(1)) [ok](https://example.org)")
    hrefs = [a.get_attribute("href") for a in link.find_elements(By.TAG_NAME, "a")]
    assert hrefs == ["https://example.org/"]


def test_fifty_commands_a_second_are_all_answered_in_order(page: WebDriver) -> None:
    count = 100
    before = len(bot_messages(page))
    page.execute_async_script(
        """
        const [count, done] = [arguments[0], arguments[arguments.length - 1]];
        let i = 0;
        const timer = setInterval(() => {
          window.botloopChat.say("!say n" + i);
          if (++i === count) { clearInterval(timer); done(); }
        }, 20);  // 50 a second
        """,
        count,
    )
    WebDriverWait(page, 30).until(lambda d: len(bot_messages(d)) >= before + count)
    texts = [m.find_element(By.CSS_SELECTOR, ".content").text for m in bot_messages(page)]
    assert texts[before:] == [f"n{i}" for i in range(count)]


def test_the_sandbox_switches_user_channel_and_shows_the_platform_previews(
    page: WebDriver,
) -> None:
    name = page.find_element(By.ID, "user")
    name.clear()
    name.send_keys("bob", Keys.TAB)
    page.find_element(By.CSS_SELECTOR, "input[name=channel][value=random]").click()
    WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "where").text == "#random")
    reply = answer_to(page, "!card")
    mine = page.find_elements(By.CSS_SELECTOR, "#messages li.msg.mine")[-1]
    assert mine.find_element(By.CSS_SELECTOR, ".who").text == "bob"
    card = reply.find_element(By.CSS_SELECTOR, ".card")
    assert card.find_element(By.CSS_SELECTOR, ".title a").get_attribute("href") == (
        "https://example.org/oslo"
    )
    assert not reply.find_element(By.CSS_SELECTOR, "details.preview").is_displayed()
    page.find_element(By.ID, "preview").click()
    preview = reply.find_element(By.CSS_SELECTOR, "details.preview")
    preview.click()
    shown = preview.text
    assert '"embeds"' in shown and '"blocks"' in shown  # Discord's and Slack's payloads
    admin = page.find_element(By.ID, "admin")
    assert [o.text for o in admin.find_elements(By.TAG_NAME, "option")] == [
        "(not an admin)",
        "admin (admin)",
    ]


def test_the_page_reads_at_phone_width(page: WebDriver, tmp_path: Path) -> None:
    page.set_window_size(390, 844)
    answer_to(page, "!deploy")
    assert page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert page.find_element(By.ID, "send").is_displayed()
    shot = tmp_path / "phone.png"
    assert page.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_embedded_chat_is_a_private_conversation(browser: WebDriver, bot_url: str) -> None:
    browser.set_window_size(380, 560)
    browser.get(f"{bot_url}/chat/embed")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "status").text == "live")
    assert not browser.find_element(By.ID, "sandbox").is_displayed()
    assert browser.find_element(By.ID, "where").text == "direct message"
    reply = answer_to(browser, "say hi there")  # a DM: no prefix
    assert reply.find_element(By.CSS_SELECTOR, ".content").text == "hi there"
    assert browser.find_elements(By.CSS_SELECTOR, "li.msg.mine .who")[-1].text == "visitor"
