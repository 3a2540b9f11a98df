"""Browser tests: Debian's Chromium through Playwright against a live uvicorn server.

Few and meaningful: a purchase advanced through every state in the browser (with one
refusal on the way), who sees which counties, and a clerk creating a purchase and
recording an activity that moves the target progress, and the 收支結算表 computed as it
is typed. Screenshots go to test-artifacts/.
"""

import pytest
from browser_support import live_server, needs_chromium, shot, sign_in
from sqlmodel import Session
from web_support import (
    HOME,
    OTHER,
    TODAY,
    make_app,
    plan_of,
    purchases_of,
    seed,
    step_forms,
    user_named,
)

from model.db import make_engine
from model.migrate import upgrade
from rules.settlement import statement
from workflow.reimbursements import REIMBURSEMENTS, approved_lines, create_reimbursement
from workflow.service import advance

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'jingjin.db'}")
    upgrade(engine)
    seed(engine)
    with live_server(make_app(engine)) as base:
        yield base, engine
    engine.dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="zh-TW", timezone_id="Asia/Taipei", viewport={"width": 1366, "height": 768}
    )
    yield context.new_page()
    context.close()


def fill(form, data: dict[str, str]) -> None:
    for name, value in data.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        elif field.get_attribute("type") == "checkbox":
            field.set_checked(value == "on")
        else:
            field.fill(value)


def test_staff_advances_purchase_through_every_state(server, page, tmp_path):
    base, engine = server
    with Session(engine) as s:
        purchase = purchases_of(s, HOME)[0]
        steps = step_forms(s, purchase)
    sign_in(page, base, "hsq.staff1")
    shot(page, "01-my-work-county")
    url = f"{base}/items/purchase/{purchase.id}"
    page.goto(url)

    # A meeting without a school administrator and an office member is refused.
    event, good = steps[0]
    form = page.locator(f"#step-{event} form")
    fill(form, {k: v for k, v in good.items() if ".1." not in k and ".2." not in k})
    form.locator("button[type=submit]").click()
    # Said beside the attendees it concerns, the rule named after the sentence.
    refusal = page.locator("#f-decide-attendees-err")
    refusal.wait_for()
    assert "規則 purchase.meeting_representative" in refusal.inner_text()
    assert page.locator("fieldset[aria-invalid=true]").count() == 1
    shot(page, "02-refusal")

    evidence = tmp_path / "會議紀錄.pdf"
    evidence.write_bytes(b"%PDF-1.4 meeting minutes")
    for event, data in steps:
        form = page.locator(f"#step-{event} form")
        fill(form, data)
        if event == "decide":
            form.locator("input[type=file]").set_input_files(str(evidence))
        form.locator("button[type=submit]").click()
        page.locator(".flash").wait_for()
        assert "已完成" in page.locator(".flash").inner_text(), event
    assert page.locator(".meta .state").inner_text() == "已結案"
    history = page.locator("#history").inner_text()
    for title in ("登錄公開會議決議", "登錄決標與契約", "申請經費請撥", "登錄使用效益並結案"):
        assert title in history
    assert "會議紀錄.pdf" in history
    shot(page, "03-purchase-closed-history")
    page.goto(f"{base}/plans/{purchase.plan_id}/budget")
    assert page.locator("#t-cap").inner_text() != ""
    shot(page, "04-budget")


def test_ministry_sees_all_counties_and_county_does_not(server, page):
    base, engine = server
    with Session(engine) as s:
        theirs = purchases_of(s, OTHER)[0].id
    sign_in(page, base, "moe.reviewer1")
    page.goto(f"{base}/ministry")
    assert page.locator("#counties tbody tr").count() == 22
    shot(page, "05-ministry-dashboard")
    page.goto(f"{base}/items/purchase/{theirs}")
    assert page.locator("h1").inner_text().startswith("軟體採購")
    page.context.clear_cookies()

    sign_in(page, base, "hsq.staff1")
    assert page.goto(f"{base}/ministry").status == 403
    assert page.goto(f"{base}/items/purchase/{theirs}").status == 404
    page.goto(f"{base}/items/purchase")
    assert OTHER not in page.locator("main").inner_text()
    shot(page, "06-county-purchase-list")


def test_clerk_creates_purchase_and_records_activity_that_moves_progress(server, page):
    base, _ = server
    sign_in(page, base, "hsq.staff1")
    page.goto(f"{base}/items/purchase")
    page.click("#new-purchase summary")
    form = page.locator("#new-purchase form")
    fill(form, {"title": "國小英語口說練習平臺", "amount": "86,000"})
    form.locator("button[type=submit]").click()
    page.locator(".flash").wait_for()
    assert "國小英語口說練習平臺" in page.locator("h1").inner_text()
    assert page.locator(".meta .state").inner_text() == "需求彙整中"

    page.goto(f"{base}/activities")
    achieved = page.locator('#progress tr[data-target="moe_team_meetings"] .achieved')
    assert achieved.inner_text() == "0"
    form = page.locator("#record-activity")
    form.locator("select[name=kind]").select_option("meeting.working")
    # The form shows only what a working meeting records.
    assert form.locator("select[name=school_code]").is_hidden()
    assert form.locator("input[name=teachers]").is_hidden()
    fill(form, {"held_on": "2024-05-10", "participants": "12", "evidence_ref": "五月工作會議紀錄"})
    form.locator("input[name=moe_team]").check()
    shot(page, "07-activity-form")
    form.locator("button[type=submit]").click()
    page.locator(".flash").wait_for()
    assert "已登錄" in page.locator(".flash").inner_text()
    assert achieved.inner_text() == "1"
    assert "五月工作會議紀錄" in page.locator("#activities").inner_text()
    shot(page, "08-activities")


def test_settlement_figures_follow_typing_and_agree_with_the_server(server, page):
    """The 收支結算表 in the page (static/settlement.js) gives the G that rules.settlement
    gives, as the clerk types; the confirmation shows the server's own figures."""
    base, engine = server
    with Session(engine, expire_on_commit=False) as s:
        plan = plan_of(s, HOME)
        row = create_reimbursement(s, user_named(s, "hsq.supervisor"), plan.id)
        paid = row.subsidy // 5 + 7  # an odd C, so G needs its rounding
        evidence = {"amount": paid, "disbursed_on": "2024-06-01", "letter_no": "臺教資字第1號"}
        advance(s, REIMBURSEMENTS, row.id, "disburse", user_named(s, "moe.reviewer1"),
                evidence=evidence, today=TODAY)  # fmt: skip
        s.commit()
        lines = approved_lines(s, plan.id)
    sign_in(page, base, "hsq.supervisor")
    page.goto(f"{base}/items/reimbursement/{row.id}")
    form = page.locator("#step-submit_settlement form")
    spent = 0
    for item, line in lines.items():
        typed = max(line.recurrent - 333, 0)
        form.locator(f'[name="ev.spending.{item}.recurrent"]').fill(f"{typed:,}")
        spent += typed
    expected = statement(row.approved_amount, row.subsidy, paid, spent)
    assert form.locator('[data-out="E"]').inner_text() == f"{spent:,}"
    assert form.locator('[data-out="F"]').inner_text() == f"{expected.F:,}"
    assert form.locator('[data-out="G"]').inner_text() == f"{expected.G:,}"
    form.locator('[name="ev.report_ref"]').fill("成果報告.pdf")
    shot(page, "09-settlement-form")
    form.locator("button[type=submit]").click()
    page.locator("#confirm-statement").wait_for()
    assert f"{expected.G:,}" in page.locator("#confirm-statement").inner_text()
    page.locator("#confirm button[type=submit]:not([name])").click()
    page.locator(".flash").wait_for()
    assert page.locator(".meta .state").inner_text() == "已提送結報"
    shot(page, "10-settlement-submitted")
