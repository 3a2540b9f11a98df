"""The purchase lifecycle walked with the keyboard alone, in Chromium.

No mouse and no filling by selector: Tab moves the focus (every stop must show a focus
ring and move on, so no trap), Enter and Space act, keys type. From signing in through the
skip link, a new purchase is created and carried to 已決標簽約 on the demo data.
"""

import functools
import re

import pytest
from browser_support import demo_site, needs_chromium, shot
from sqlmodel import Session, select
from web_support import PASSWORD

from model.tables import Product
from rules import load_rules

pytestmark = [pytest.mark.browser, needs_chromium]

TAB_LIMIT = 200

# Runs in the page: where the focus is, whether it matches, shows, and stayed put.
FOCUS = """(selector) => {
  const el = document.activeElement;
  const same = window.focusBefore === el;
  window.focusBefore = el;
  if (!el || el === document.body) return {what: 'body', match: false, ring: true, same: false};
  const style = getComputedStyle(el);
  // A date field's own calendar button takes a stop of its own and draws its own ring.
  const picker = el.type === 'date' && !el.matches(':focus');
  const ring = picker || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2);
  // A positive tabindex takes the focus out of reading order.
  const ordered = el.tabIndex <= 0;
  return {what: el.outerHTML.slice(0, 120), match: el.matches(selector), ring, same, ordered};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("keyboard")) as started:
        yield started


@pytest.fixture
def page(browser):
    date_order(browser)  # probed on a page of its own before the walk has the focus
    context = browser.new_context(
        locale="zh-TW", timezone_id="Asia/Taipei", viewport={"width": 1366, "height": 768}
    )
    yield context.new_page()
    context.close()


def tab_to(page, selector: str) -> None:
    """Press Tab until selector has the focus; each stop must show focus and move on."""
    stays = 0
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUS, selector)
        assert now["ring"], f"no visible focus on {now['what']}"
        assert now["what"] == "body" or now["ordered"], f"out of order: {now['what']}"
        # A date field takes one Tab per segment (year, month, day) and one for its
        # calendar button; more is a trap.
        stays = stays + 1 if now["same"] else 0
        assert stays < 4, f"focus stuck on {now['what']}"
        if now["match"]:
            return
    pytest.fail(f"{selector} not reached with {TAB_LIMIT} Tab presses")


def key_in(page, selector: str, value: str) -> None:
    """Tab to a field and set it the way a person would for its kind of control."""
    tab_to(page, selector)
    kind = page.evaluate("() => [document.activeElement.tagName, document.activeElement.type]")
    if kind[0] == "SELECT":
        page.keyboard.press("Home")
        for _ in range(page.evaluate("() => document.activeElement.options.length")):
            if page.evaluate("() => document.activeElement.value") == value:
                return
            page.keyboard.press("ArrowDown")
        pytest.fail(f"{selector}: no option {value!r} reached with the arrow keys")
    elif kind[1] == "checkbox":
        if page.evaluate("() => document.activeElement.checked") != (value == "on"):
            page.keyboard.press("Space")
    elif kind[1] == "date":
        page.keyboard.type(date_keys(page, value))
        assert page.evaluate("() => document.activeElement.value") == value, selector
    else:
        page.keyboard.press("Control+A")
        page.keyboard.type(value)


@functools.cache
def date_order(browser) -> str:
    """The order this browser's date fields take year, month and day typed in."""
    probe = browser.new_page()
    try:
        for order in ("ymd", "mdy", "dmy"):
            probe.set_content("<input type=date>")
            probe.keyboard.press("Tab")
            probe.keyboard.type("".join({"y": "2003", "m": "01", "d": "02"}[c] for c in order))
            if probe.evaluate("() => document.activeElement.value") == "2003-01-02":
                return order
    finally:
        probe.close()
    pytest.fail("the date field takes no order of year, month and day")


def date_keys(page, iso: str) -> str:
    year, month, day = iso.split("-")
    parts = {"y": year, "m": month, "d": day}
    return "".join(parts[c] for c in date_order(page.context.browser))


def submit(page, form: str) -> None:
    tab_to(page, f"{form} button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def step(page, event: str, fields: dict[str, str]) -> None:
    form = f"#step-{event}"
    if not page.locator(form).evaluate("d => d.open"):
        tab_to(page, f"{form} > summary")
        page.keyboard.press("Enter")
    order = page.locator(f"{form} form").evaluate("f => [...f.elements].map((e) => e.name)")
    for name in sorted(fields, key=order.index):  # top to bottom, as Tab goes
        key_in(page, f'{form} [name="{name}"]', fields[name])
    submit(page, form)
    flash = page.locator(".flash").inner_text()
    assert "已完成" in flash, f"{event}: {flash} {page.locator('main').inner_text()[:400]}"


def test_purchase_lifecycle_by_keyboard_alone(site, page):
    base, engine = site
    with Session(engine) as session:
        product = session.exec(
            select(Product).where(Product.needs_data_clause).order_by(Product.id)
        ).first()
    rules = load_rules(113)
    amount = 86000
    method = rules.procurement.allowed_methods(amount)[0]

    page.goto(f"{base}/login")
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUS, ".skip")
    assert skip["match"] and skip["ring"], skip["what"]
    assert page.locator(".skip").bounding_box()["y"] >= 0  # shown once focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    key_in(page, "input[name=username]", "hsq.staff1")
    key_in(page, "input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/"

    tab_to(page, 'nav a[href="/items/purchase"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#new-purchase > summary")
    page.keyboard.press("Enter")
    key_in(page, "#new-purchase [name=title]", "國中英語聽說練習平臺")
    key_in(page, "#new-purchase [name=amount]", "86,000")
    submit(page, "#new-purchase")
    assert re.search(r"/items/purchase/\d+$", page.url), page.url
    assert page.locator(".meta .state").inner_text() == "需求彙整中"

    meeting = {"ev.held_on": "2024-09-02", "ev.minutes": "決議採購英語聽說練習平臺授權"}
    meeting["ev.public"] = "on"
    for i, (name, role) in enumerate(
        (("王老師", "teacher"), ("林主任", "school_admin"), ("陳承辦", "office_member"))
    ):
        meeting |= {f"ev.attendees.{i}.name": name, f"ev.attendees.{i}.role": role}
    step(page, "decide", meeting)
    step(
        page,
        "verify_product",
        {"ev.product_serial": product.serial, "ev.amount": str(amount), "ev.hardware_amount": "0"},
    )
    clause = "本契約廠商應" + rules.software.data_clause_text + "。"
    step(page, "verify_clause", {"ev.document": "contract", "ev.text": clause})
    step(
        page,
        "contract",
        {
            "ev.method": method,
            "ev.awarded_on": "2024-09-20",
            "ev.procurement_amount": str(amount),
            "ev.amount": str(amount),
            "ev.vendor": product.vendor,
        },
    )
    assert page.locator(".meta .state").inner_text() == "已決標簽約"
    shot(page, "keyboard-contracted")
