"""The playground in a real headless Chromium: register with an invite, report, broadcast.

The steps follow what the bot understands today (commands and buttons); each is a small
helper so that a change in the bot's wording or flow changes one line here.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Locator, Page, async_playwright, expect
from telegram import Bot, ReplyKeyboardMarkup

from bot.playground.runner import HEADS, OFFICER, RunningPlayground, run_playground
from bot.playground.web import Person, Playground, add_routes
from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.client import SandboxClient

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Chromium is not installed (apt-get install chromium); .ci/run installs it",
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 20_000
NEWCOMER = "Chị Hoa"
ME = 930_001


@pytest.fixture
async def playground() -> AsyncIterator[RunningPlayground]:
    """The real bot on the sandbox, with the sample units and registered people."""
    async with run_playground() as running:
        yield running


@pytest.fixture
async def page(playground: RunningPlayground, tmp_path: Path) -> AsyncIterator[Page]:
    """A fresh Chromium profile on the playground's page; page errors fail the test."""
    errors: list[str] = []
    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1600, "height": 900},
        )
        context.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        opened = context.pages[0] if context.pages else await context.new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        await opened.goto(playground.url)
        yield opened
        await context.close()
    assert errors == []


def phone(page: Page, user_id: int) -> Locator:
    """One person's phone on the page."""
    return page.locator(f'.phone[data-user="{user_id}"]')


async def type_message(page: Page, user_id: int, text: str) -> None:
    """Type a message in a person's phone and send it with Enter."""
    box = phone(page, user_id).locator("textarea[name=text]")
    await box.fill(text)
    await box.press("Enter")


async def converse(page: Page, user_id: int, text: str) -> Locator:
    """Send a message and return the bot's first answer to it, once it has arrived."""
    answers = phone(page, user_id).locator(".msg.bot")
    before = await answers.count()
    await type_message(page, user_id, text)
    await expect(answers).not_to_have_count(before)
    return answers.nth(before)


def last_bot_message(page: Page, user_id: int) -> Locator:
    """The newest message from the bot in a person's phone."""
    return phone(page, user_id).locator(".msg.bot").last


async def press_button(page: Page, user_id: int, label: str) -> None:
    """Press the newest inline button whose label starts with `label`."""
    pattern = re.compile("^" + re.escape(label))
    buttons = phone(page, user_id).locator("button.inline", has_text=pattern)
    await buttons.last.click()


async def open_person(page: Page, user_id: int) -> None:
    """Open someone's phone from the people bar, if it is not open yet."""
    chip = page.locator(f'.person[data-user="{user_id}"]')
    if await chip.get_attribute("aria-pressed") != "true":
        await chip.click()
    await expect(phone(page, user_id)).to_be_visible()


async def register_newcomer(page: Page, admin_id: int) -> int:
    """A new person registers through the invite the admin opens with /moi T04."""
    await page.fill("#add-person input", NEWCOMER)
    await page.click("#add-person button")
    newcomer = page.locator(".person", has_text=NEWCOMER)
    user_id = int(await newcomer.get_attribute("data-user") or 0)
    await open_person(page, admin_id)
    invite = await converse(page, admin_id, "/moi T04")
    await expect(invite.locator("img")).to_be_visible()  # the bot's QR code, as a photo
    await invite.locator(".deeplink").click()
    await expect(page.locator("#link-qr")).to_be_visible()
    await page.select_option("#link-person", str(user_id))
    await page.click("#link-open")
    registered = phone(page, user_id).locator(".msg.bot", has_text="Đăng ký thành công")
    await expect(registered).to_contain_text("Thôn 4")
    # The keyboard under the text box follows the registration.
    await expect(last_bot_message(page, user_id)).to_contain_text("⌨️")
    return user_id


async def report(page: Page, user_id: int) -> None:
    """The head types "được 35 người" as in a Zalo group, then confirms what the bot read."""
    read = await converse(page, user_id, "được 35 người")
    await expect(read).to_contain_text("35")
    await expect(read.locator("button.inline").first).to_have_text("✅ Đúng")
    await press_button(page, user_id, "✅ Đúng")
    recorded = phone(page, user_id).locator(".msg.bot", has_text="Đã ghi nhận")
    await expect(recorded).to_contain_text("Thôn 4")
    await expect(recorded).to_contain_text("35")


async def broadcast_template(page: Page) -> None:
    """The officer composes the template directive and sends it."""
    await open_person(page, OFFICER.user_id)
    await converse(page, OFFICER.user_id, "/thongbao")
    await press_button(page, OFFICER.user_id, "📄 Dùng mẫu")
    await expect(
        phone(page, OFFICER.user_id).locator("button.inline", has_text="📤 Gửi")
    ).to_have_count(1)
    await press_button(page, OFFICER.user_id, "📤 Gửi")


async def test_register_report_and_receive_a_broadcast(
    page: Page, playground: RunningPlayground, tmp_path: Path
) -> None:
    await expect(page.locator(".safety")).to_contain_text("không bao giờ kết nối Telegram thật")
    admin_id = next(p.user_id for p in playground.playground.people if p.role == "admin")
    newcomer = await register_newcomer(page, admin_id)
    await report(page, newcomer)
    for head in HEADS:
        await open_person(page, head.user_id)
    await broadcast_template(page)
    for user_id in [newcomer, *(head.user_id for head in HEADS)]:
        directive = phone(page, user_id).locator(
            ".msg.bot", has=page.locator("button.inline", has_text="✅ Đã nhận")
        )
        await expect(directive).to_have_count(1)
    await press_button(page, newcomer, "✅ Đã nhận")
    # The template has a deadline: "📝 Báo cáo" sits beside the acknowledgement.
    acknowledged = last_bot_message(page, newcomer).locator("button.inline").first
    await expect(acknowledged).not_to_have_text("✅ Đã nhận")

    # Training: the bot's calls are listed, and a schedule fires at once.
    await page.check("#training")
    await expect(page.locator("#calls li", has_text="sendMessage").first).to_be_visible()
    run = page.locator('#schedules li[data-kind="reminder"] button')
    await run.click()
    await expect(run).to_have_text(re.compile(r"✓ [1-9]\d* tin"))
    await expect(page.locator("#outbox")).to_contain_text("sent")
    await _screenshot(page, tmp_path)


async def _screenshot(page: Page, tmp_path: Path) -> None:
    """The page as it stands, for docs/playground.png (`make screenshot` keeps it)."""
    shot = tmp_path / "playground.png"
    await page.screenshot(path=str(shot))
    with Image.open(shot) as image:
        assert image.size == (1600, 900)
    kept = os.environ.get("PLAYGROUND_SCREENSHOT")
    if kept:
        shutil.copyfile(shot, kept)


@pytest.fixture
async def bare_page(tmp_path: Path) -> AsyncIterator[tuple[Page, Bot, SandboxClient]]:
    """The page on a sandbox with no bot running: the test plays the bot with PTB's Bot."""
    sandbox = Sandbox(SandboxConfig())
    people = Playground(people=[Person(ME, "Chị Lan", "head", "T01")], bot_username="x_bot")
    sandbox.extensions.append(lambda app: add_routes(app, people))
    await sandbox.start()
    client = SandboxClient(sandbox.control_url)
    bot = Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    try:
        async with async_playwright() as driver, bot:
            context = await driver.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            context.set_default_timeout(WAIT_MS)
            expect.set_options(timeout=WAIT_MS)
            opened = context.pages[0] if context.pages else await context.new_page()
            await opened.goto(f"http://127.0.0.1:{sandbox.port}/")
            yield opened, bot, client
            await context.close()
    finally:
        await client.aclose()
        await sandbox.stop()


async def test_photos_reply_keyboard_edits_and_documents(
    bare_page: tuple[Page, Bot, SandboxClient], tmp_path: Path
) -> None:
    page, bot, client = bare_page
    await open_person(page, ME)
    image = tmp_path / "danh-sach.png"
    Image.new("RGB", (640, 480), (30, 160, 90)).save(image)
    await phone(page, ME).locator("textarea[name=text]").fill("Danh sách lớp tối")
    await phone(page, ME).locator("input[type=file]").set_input_files(str(image))
    [update] = await bot.get_updates(timeout=10)
    assert update.message is not None and update.message.caption == "Danh sách lớp tối"
    assert update.message.photo[-1].width == 640
    await expect(phone(page, ME).locator(".msg.me img")).to_be_visible()

    keyboard = ReplyKeyboardMarkup([["📝 Báo cáo", "📈 Tiến độ"]], resize_keyboard=True)
    sent = await bot.send_message(ME, "Chọn việc", reply_markup=keyboard)
    await phone(page, ME).locator(".reply-keyboard button", has_text="📈 Tiến độ").click()
    pressed = await bot.get_updates(offset=update.update_id + 1, timeout=10)
    assert pressed[0].message is not None and pressed[0].message.text == "📈 Tiến độ"

    await bot.edit_message_text("Đã chọn: Tiến độ", ME, sent.message_id)
    edited = phone(page, ME).locator(f'.msg.bot[data-id="{sent.message_id}"]')
    await expect(edited).to_contain_text("Đã chọn: Tiến độ")
    await expect(edited).to_contain_text("đã sửa")
    await expect(phone(page, ME).locator(".msg.bot")).to_have_count(1)

    await bot.send_document(ME, b"PK fake xlsx", filename="bao-cao.xlsx")
    async with page.expect_download() as download_info:
        await phone(page, ME).locator("a.doc", has_text="bao-cao.xlsx").click()
    download = await download_info.value
    assert download.suggested_filename == "bao-cao.xlsx"
    saved = tmp_path / "saved.xlsx"
    await download.save_as(saved)
    assert saved.read_bytes() == b"PK fake xlsx"
    assert await client.reply_keyboard(ME) is not None


async def test_on_a_phone_screen_an_opened_phone_is_in_view_and_types_several_lines(
    bare_page: tuple[Page, Bot, SandboxClient],
) -> None:
    page, bot, _client = bare_page
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.fill("#add-person input", NEWCOMER)
    await page.click("#add-person button")
    newcomer = int(await page.locator(".person", has_text=NEWCOMER).get_attribute("data-user") or 0)
    await expect(phone(page, newcomer)).to_be_visible()
    # A second phone, opened from the people bar, is scrolled to, not left off to the right.
    chip = page.locator(f'.person[data-user="{ME}"]')
    if await chip.get_attribute("aria-pressed") == "true":  # close it, to open it anew
        await chip.click()
        await expect(phone(page, ME)).to_have_count(0)
    await open_person(page, ME)
    user_id = ME
    await page.wait_for_function(
        """(id) => {
            const phone = document.querySelector(`.phone[data-user="${id}"]`);
            const rect = phone.getBoundingClientRect();
            return rect.left >= 0 && rect.right <= innerWidth && rect.top < innerHeight;
        }""",
        arg=user_id,
    )
    # Shift+Enter starts a new line (a /chiase post has paragraphs); Enter sends.
    text = phone(page, user_id).locator("textarea[name=text]")
    await text.fill("Mô hình hay")
    await text.press("Shift+Enter")
    await text.press_sequentially("Bà con học buổi tối")
    await text.press("Enter")
    [update] = await bot.get_updates(timeout=10)
    assert update.message is not None and update.message.text == "Mô hình hay\nBà con học buổi tối"
    await expect(text).to_have_value("")
