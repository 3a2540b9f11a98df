"""One county's whole year through the browser alone, as its three roles, signing in and
out: the plan drafted, submitted, returned, resubmitted and approved; a budget change asked
and decided; a purchase from needs to its disbursement request (one refusal on the way);
the first tranche paid; the settlement typed line by line, returned, resubmitted, settled
and closed. Only the seed (users, schools, the ministry's figures, products) is written
directly; every amount a decision page shows is checked against figures computed here from
what was typed. Afterwards the event mails reach a real SMTP server, once each."""

import re

import pytest
from browser_support import live_server, needs_chromium, shot
from deadline_fixtures import RecordingHandler, free_port, mail_settings, smtp_server
from sqlmodel import Session, select
from web_support import HOME, PASSWORD, fast_hash, make_app

from demo.generate import generate
from model.db import make_engine
from model.migrate import upgrade
from model.tables import BudgetChange, Plan, Product, Purchase, Reimbursement, School, User
from notifications.smtp import deliver
from rules import load_rules
from states.values import PlanState, PurchaseState, ReimbursementState

pytestmark = [pytest.mark.browser, needs_chromium]

SUPERVISOR, STAFF, REVIEWER = "hsq.supervisor", "hsq.staff1", "moe.reviewer2"
COUNTY_PEOPLE = {f"{u}@demo.example" for u in ("hsq.supervisor", "hsq.staff1", "hsq.staff2")}
EXPLAINED = "依本縣學校實際需求編列"
# The 經費申請表 as the county types it: (recurrent, person-months, monthly rate).
LINES = {
    "admin_staff": 0,
    "counseling_staff": 0,
    "it_staff": 0,
    "principal_investigator": 72_000,  # 12 person-months × 6,000
    "co_investigator": 0,
    "substitute_teaching": 50_400,
    "teacher_training": 90_000,
    "office_operations": 600_000,
    "school_companion": 0,
    "mdm_licences": 0,
    "digital_content": 120_000,
    "administration": 0,
}
MOVED = 30_000  # from teacher training to office operations, by the budget change
PRICE = 96_000  # the purchase's contract amount
LETTER = "臺教資(四)字第1130012345號"


def ntd(value: int) -> str:
    return f"新臺幣 {value:,} 元"


def yuan(value: int) -> str:
    """As the confirmation pages write an amount (「932,400 元」)."""
    return f"{value:,} 元"


def seed_people_schools_products(engine) -> None:
    """Only what a county starts its year with: no plan, no purchase, no milestone."""
    with Session(engine) as s:
        generate(s, county_name=HOME, items=False)
        for user in s.exec(select(User).where(User.synthetic)):
            user.password_hash = fast_hash(PASSWORD)
        s.commit()
        assert s.exec(select(Plan)).first() is None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('year') / 'jingjin.db'}")
    upgrade(engine)
    seed_people_schools_products(engine)
    with live_server(make_app(engine)) as base:
        yield base, engine
    engine.dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="zh-TW", timezone_id="Asia/Taipei", viewport={"width": 1366, "height": 900}
    )
    yield context.new_page()
    context.close()


# ------------------------------------------------------------------ browser helpers
def as_user(page, base: str, username: str) -> None:
    """Sign out whoever is in, through the page's own button, and sign in as username."""
    page.goto(f"{base}/")
    out = page.locator("form.who button[type=submit]")
    if out.count():  # somebody is signed in
        out.click()
        page.wait_for_url(re.compile(r"/login"))
        assert page.goto(f"{base}/items/plan").url.startswith(f"{base}/login")
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def flash(page) -> str:
    page.locator(".flash").first.wait_for()
    return page.locator(".flash").first.inner_text()


def state(page) -> str:
    return page.locator(".meta .state").inner_text()


RAW_NAME = re.compile(r"[a-z]+_[a-z_]+")


def no_raw_names(text: str) -> str:
    assert not RAW_NAME.findall(text), RAW_NAME.findall(text)
    return text


def facts(page) -> str:
    return no_raw_names(page.locator("section.facts").inner_text())


def statement_in_facts(text: str) -> dict[str, int]:
    """The 收支結算表 rows of the fact panel: {"A": 932400, …}."""
    rows = re.findall(r"^([A-G])\t[^\t]+\t新臺幣 (-?[\d,]+) 元", text, re.M)
    return {key: int(value.replace(",", "")) for key, value in rows}


def step_form(page, event: str):
    details = page.locator(f"#step-{event}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details.locator("form")


def fill(form, data: dict[str, str]) -> None:
    for name, value in data.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        elif field.get_attribute("type") == "checkbox":
            field.set_checked(value == "on")
        else:
            field.fill(value)


def take(page, event: str, data: dict[str, str] | None = None) -> None:
    form = step_form(page, event)
    fill(form, data or {})
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def confirm(page) -> str:
    """On the confirmation page: what it shows, then its 確認送出 sent."""
    page.locator("#confirm-facts").wait_for()
    shown = no_raw_names(page.locator("main").inner_text())
    page.locator("#confirm button[type=submit]:not([name])").click()
    page.wait_for_load_state()
    return shown


def db_row(engine, table, row_id):
    with Session(engine) as s:
        return s.get(table, row_id)


# ------------------------------------------------------------------ the year
def test_one_county_year_through_the_browser(server, page, browser):
    base, engine = server
    A = sum(LINES.values())
    C = A * 3_000 // 10_000  # the first tranche: 30 %
    # ---------------------------------------------------------------- the plan drafted
    as_user(page, base, STAFF)
    page.goto(f"{base}/items/plan")
    page.locator("#new-plan button[type=submit]").click()
    assert "草稿" in flash(page)
    plan_id = int(re.search(r"/plans/(\d+)/content", page.url).group(1))
    form = page.locator("#plan-content")
    for i, area in enumerate(form.locator("textarea.section").all()):
        area.fill(f"本縣推動數位學習精進方案之第 {i + 1} 章內容，說明現況、目標與執行方式。" * 2)
    for row in form.locator("#targets tbody tr").all():
        minimum = row.locator("td").nth(1).inner_text().replace(",", "")
        row.locator("input").fill(str(int(minimum) + 1 if minimum.isdigit() else 1))
    fill(form, {"input.workshops": "3", "input.companion_schools": "5", "input.devices": "0",
                "input.mdm_fee": "0", "input.periods_per_school": "10"})  # fmt: skip
    form.locator("button[type=submit]").click()
    assert "計畫內容已儲存" in flash(page)
    page.goto(f"{base}/plans/{plan_id}/budget")
    budget = page.locator("#budget")
    for item, recurrent in LINES.items():
        budget.locator(f'[name="{item}.recurrent"]').fill(f"{recurrent:,}")
        budget.locator(f'[name="{item}.capital"]').fill("0")
        budget.locator(f'[name="{item}.explanation"]').fill(EXPLAINED)
    fill(budget, {"principal_investigator.person_months": "12",
                  "principal_investigator.monthly_rate": "6000"})  # fmt: skip
    assert budget.locator("#t-requested").inner_text() == f"{A:,}"
    budget.locator("button[type=submit]").click()
    saved = flash(page)
    assert "經費已儲存" in saved and "送出前仍須" not in saved, saved
    shot(page, "year-01-budget-drafted")
    # The ministry's estimate is filled in on the first save: 4a is 600,000 for 20 schools
    # or fewer and 25,000 more for each school beyond (陸、二、(二)5.(4)A).
    with Session(engine) as s:
        schools = len(s.exec(select(School.id).where(School.year == 113)).all())
    office = budget.locator('tr[data-item="office_operations"] td').first.inner_text()
    assert office == f"{min(600_000 + max(schools - 20, 0) * 25_000, 10_000_000):,}"

    # ---------------------------------------------------------------- submitted (supervisor)
    as_user(page, base, SUPERVISOR)
    url = f"{base}/items/plan/{plan_id}"
    page.goto(url)
    assert f"申請總額\n{ntd(A)}" in facts(page)  # before the buttons
    take(page, "submit")
    shown = confirm(page)
    assert yuan(A) in shown, shown
    assert state(page) == "已送出"
    shot(page, "year-02-plan-submitted")

    # ---------------------------------------------------------------- returned (ministry)
    as_user(page, base, REVIEWER)
    page.goto(url)
    take(page, "start_review")
    take(page, "return_plan", {"reason": "請補充教師增能研習的場次安排"})
    assert db_row(engine, Plan, plan_id).status == PlanState.returned
    shot(page, "year-03-plan-returned")

    # ---------------------------------------------------------------- resubmitted
    as_user(page, base, SUPERVISOR)
    page.goto(f"{base}/plans/{plan_id}/content")
    first = page.locator("textarea.section").first
    first.fill(first.input_value() + "教師增能研習分三場次辦理。")
    page.locator("#plan-content button[type=submit]").click()
    assert "計畫內容已儲存" in flash(page)
    page.goto(url)
    assert "請補充教師增能研習的場次安排" in page.locator("#history").inner_text()
    take(page, "resubmit")
    assert yuan(A) in confirm(page)

    # ---------------------------------------------------------------- approved (核定)
    as_user(page, base, REVIEWER)
    page.goto(url)
    take(page, "start_review")
    assert f"申請總額\n{ntd(A)}" in facts(page)
    assert f"經常門合計\n{ntd(A)}" in facts(page) and f"資本門合計\n{ntd(0)}" in facts(page)
    shot(page, "year-04-plan-before-approval")
    take(page, "approve", {"ev.letter_no": LETTER, "ev.approved_on": "113/03/15"})
    shown = confirm(page)
    assert LETTER in shown and "113/03/15" in shown and yuan(A) in shown, shown
    assert db_row(engine, Plan, plan_id).status == PlanState.approved
    assert "113/03/15" in facts(page) and LETTER in facts(page)

    # ---------------------------------------------------------------- budget change
    as_user(page, base, SUPERVISOR)
    page.goto(f"{base}/plans/{plan_id}/budget-change")
    change = page.locator("form[method=post]").filter(has=page.locator('[name="reason"]'))
    fill(change, {"teacher_training.recurrent": f"{LINES['teacher_training'] - MOVED:,}",
                  "office_operations.recurrent": f"{LINES['office_operations'] + MOVED:,}",
                  "reason": "研習改部分線上辦理，經費移作推動辦公室運作"})  # fmt: skip
    change.locator("button[type=submit]").click()
    assert "已送出經費流用/變更" in flash(page)
    change_id = int(re.search(r"/items/budget_change/(\d+)", page.url).group(1))

    as_user(page, base, REVIEWER)
    page.goto(f"{base}/items/budget_change/{change_id}")
    table = page.locator("section.facts table").first.inner_text()
    training = re.search(r"教師增能研習費.*", table).group(0)
    office = re.search(r"推動辦公室運作費.*", table).group(0)
    assert f"{LINES['teacher_training']:,}" in training
    assert f"{LINES['teacher_training'] - MOVED:,}" in training and f"-{MOVED:,}" in training
    assert f"{LINES['office_operations'] + MOVED:,}" in office and f"+{MOVED:,}" in office
    shot(page, "year-05-budget-change-before-decision")
    take(page, "approve_change", {"ev.letter_no": "臺教資(四)字第1130099999號",
                                  "ev.decided_on": "113/04/10"})  # fmt: skip
    confirm(page)
    assert db_row(engine, BudgetChange, change_id).status == "approved"

    # ---------------------------------------------------------------- a purchase (staff)
    with Session(engine) as s:  # reading the seed: the product the county picks
        product = s.exec(select(Product).order_by(Product.id)).first()
    rules = load_rules(113)
    as_user(page, base, STAFF)
    page.goto(f"{base}/items/purchase")
    page.click("#new-purchase summary")
    fill(page.locator("#new-purchase form"), {"title": "國中數學適性學習平臺授權",
                                              "amount": f"{PRICE:,}"})  # fmt: skip
    page.locator("#new-purchase button[type=submit]").click()
    assert "已新增軟體採購" in flash(page)
    purchase_id = int(re.search(r"/items/purchase/(\d+)", page.url).group(1))
    meeting = {"ev.held_on": "113/05/20", "ev.minutes": "決議採購本產品授權", "ev.public": "on",
               "ev.attendees.0.name": "王老師", "ev.attendees.0.role": "teacher"}  # fmt: skip
    take(page, "decide", meeting)  # no school administrator, no office member: refused
    refusal = page.locator("#f-decide-attendees-err")
    refusal.wait_for()
    assert "規則 purchase.meeting_representative" in refusal.inner_text()
    attendees = page.locator('fieldset[aria-invalid="true"]')
    assert attendees.count() == 1
    assert attendees.get_attribute("aria-describedby") == "f-decide-attendees-err"
    assert attendees.locator("#f-decide-attendees-err").count() == 1  # beside, inside it
    form = step_form(page, "decide")
    assert form.locator('[name="ev.held_on"]').input_value() == "113/05/20"
    assert form.locator('[name="ev.minutes"]').input_value() == "決議採購本產品授權"
    assert form.locator('[name="ev.attendees.0.name"]').input_value() == "王老師"
    assert db_row(engine, Purchase, purchase_id).status == PurchaseState.needs_collected
    shot(page, "year-06-purchase-refusal")
    take(page, "decide", {"ev.attendees.1.name": "林主任", "ev.attendees.1.role": "school_admin",
                          "ev.attendees.2.name": "陳承辦",
                          "ev.attendees.2.role": "office_member"})  # fmt: skip
    assert "已完成" in flash(page)
    take(page, "verify_product", {"ev.product_serial": product.serial, "ev.amount": f"{PRICE:,}",
                                  "ev.hardware_amount": "0"})  # fmt: skip
    assert "已完成" in flash(page)
    take(page, "verify_clause", {"ev.document": "contract", "ev.text":
                                 "本契約廠商應" + rules.software.data_clause_text + "。"})  # fmt: skip
    assert "已完成" in flash(page)
    method = rules.procurement.allowed_methods(PRICE)[0]
    take(page, "contract", {"ev.method": method, "ev.awarded_on": "113/05/28",
                            "ev.procurement_amount": f"{PRICE:,}", "ev.amount": f"{PRICE:,}",
                            "ev.vendor": product.vendor})  # fmt: skip
    assert "已完成" in flash(page)
    assert ntd(PRICE) in facts(page)  # the contract amount, before the request
    take(page, "request_disbursement", {"ev.requested_on": "113/06/01",
                                        "ev.amount": f"{PRICE:,}"})  # fmt: skip
    assert "已完成" in flash(page)
    assert db_row(engine, Purchase, purchase_id).status == PurchaseState.disbursement_requested
    shot(page, "year-07-purchase-requested")

    # ---------------------------------------------------------------- first tranche
    as_user(page, base, SUPERVISOR)
    page.goto(url)
    page.locator("#new-reimbursement button[type=submit]").click()
    assert f"核定經費 {A:,} 元" in flash(page)
    reimbursement_id = int(re.search(r"/items/reimbursement/(\d+)", page.url).group(1))
    r_url = page.url

    as_user(page, base, REVIEWER)
    page.goto(r_url)
    assert ntd(A) in facts(page)
    take(page, "disburse", {"ev.amount": f"{C:,}", "ev.disbursed_on": "113/06/03",
                            "ev.letter_no": "臺教資(五)字第1130000001號"})  # fmt: skip
    shown = confirm(page)
    assert f"核定計畫金額（A）\t{yuan(A)}" in shown and f"已撥付金額（C）\t{yuan(0)}" in shown
    assert f"撥款金額（元）\t{C:,}" in shown and "113/06/03" in shown, shown
    assert db_row(engine, Reimbursement, reimbursement_id).status == ReimbursementState.disbursed
    shot(page, "year-08-first-tranche")

    # ---------------------------------------------------------------- the settlement
    approved = {**LINES, "teacher_training": LINES["teacher_training"] - MOVED,
                "office_operations": LINES["office_operations"] + MOVED}  # fmt: skip
    as_user(page, base, SUPERVISOR)
    page.goto(r_url)
    form = step_form(page, "submit_settlement")
    out = {k: form.locator(f'[data-out="{k}"]') for k in "ABCEFG"}
    assert out["A"].inner_text() == f"{A:,}" and out["B"].inner_text() == f"{A:,}"
    assert out["C"].inner_text() == f"{C:,}"
    spent = 0
    for item, amount in approved.items():
        typed = max(amount - 1_234, 0)
        form.locator(f'[name="ev.spending.{item}.recurrent"]').fill(f"{typed:,}")
        spent += typed
        # D = B / A = 1 (全額補助): G = (A − E) − (B − C) = C − E
        assert out["E"].inner_text() == f"{spent:,}"
        assert out["F"].inner_text() == f"{A - spent:,}"
        assert out["G"].inner_text() == f"{C - spent:,}"
    form.locator('[name="ev.report_ref"]').fill("新竹縣113年度成果報告.pdf")
    shot(page, "year-09-settlement-typed")
    form.locator("button[type=submit]").click()
    statement = page.locator("#confirm-statement")
    statement.wait_for()
    figures = statement.inner_text()
    assert f"{spent:,}" in figures and f"{C - spent:,}" in figures
    confirm(page)
    assert state(page) == "已提送結報"

    as_user(page, base, REVIEWER)
    page.goto(r_url)
    take(page, "start_review")
    shown = page.locator("#statement").inner_text()
    for figure in (A, C, spent, C - spent):
        assert f"{figure:,}" in shown
    take(page, "return_settlement", {"reason": "缺教師增能研習費發票影本"})
    assert db_row(engine, Reimbursement, reimbursement_id).status == ReimbursementState.returned

    as_user(page, base, SUPERVISOR)
    page.goto(r_url)
    form = step_form(page, "resubmit_settlement")
    for item, amount in approved.items():
        form.locator(f'[name="ev.spending.{item}.recurrent"]').fill(f"{max(amount - 1_234, 0):,}")
    form.locator('[name="ev.report_ref"]').fill("新竹縣113年度成果報告（補發票）.pdf")
    assert form.locator('[data-out="G"]').inner_text() == f"{C - spent:,}"
    form.locator("button[type=submit]").click()
    assert f"{C - spent:,}" in page.locator("#confirm-statement").inner_text()
    confirm(page)

    as_user(page, base, REVIEWER)
    page.goto(r_url)
    take(page, "start_review")
    owed = spent - C  # the ministry pays the rest of what was spent
    expected = {"A": A, "B": A, "C": C, "E": spent, "F": A - spent, "G": C - spent}
    assert statement_in_facts(facts(page)) == expected  # before 核定結報
    assert f"教育部應補撥 {ntd(owed)}" in facts(page)
    take(page, "settle", {"ev.letter_no": "臺教資(五)字第1140000009號"})
    assert statement_in_facts(facts(page)) == expected
    shot(page, "year-10-settled")
    take(page, "disburse_final", {"ev.amount": f"{owed:,}", "ev.disbursed_on": "113/12/20",
                                  "ev.letter_no": "臺教資(五)字第1140000010號"})  # fmt: skip
    shown = confirm(page)
    assert f"撥款金額（元）\t{owed:,}" in shown and f"已撥付金額（C）\t{yuan(C)}" in shown, shown
    take(page, "close")
    assert db_row(engine, Reimbursement, reimbursement_id).status == ReimbursementState.closed
    shot(page, "year-11-closed")

    # ---------------------------------------------------------------- the mails, once each
    handler, port = RecordingHandler(), free_port()
    with smtp_server(handler, port):
        first = deliver(engine, settings=mail_settings(port))
        again = deliver(engine, settings=mail_settings(port))
    assert not first.failed and again.sent == []
    got: dict[str, list[tuple[str, str]]] = {}
    for received in handler.received:
        [to] = received.rcpt_tos
        message = received.message
        body = message.get_body(("plain",)).get_content()
        got.setdefault(to, []).append((message["Subject"], body))
    plan_title = "新竹縣 113 年度縣市實施計畫"
    money_title = f"新竹縣 113 年度經費請撥結報 #{reimbursement_id}"
    reviewer = [subject for subject, _ in got[f"{REVIEWER}@demo.example"]]
    assert reviewer.count(f"【計畫已送出，待審查】{plan_title}") == 1
    assert reviewer.count(f"【計畫已修正後重新送出，待審查】{plan_title}") == 1
    for address in COUNTY_PEOPLE:
        mine = got.get(address, [])
        subjects = [subject for subject, _ in mine]
        for subject in (f"【計畫已退回修正】{plan_title}", f"【計畫已核定】{plan_title}",
                        f"【經費變更已核定】新竹縣 113 年度經費流用/變更 #{change_id}",
                        f"【結報已退回】{money_title}", f"【結報已核定】{money_title}"):  # fmt: skip
            assert subjects.count(subject) == 1, (address, subject, subjects)
        # Two payments, each said once: the first tranche and what the settlement left owed.
        paid = [body for subject, body in mine if subject == f"【經費已核撥】{money_title}"]
        assert len(paid) == 2, (address, subjects)
        assert sorted(f"本次核撥金額：{ntd(x)}" in body for x in (C, owed) for body in paid) == [
            False, False, True, True
        ]  # fmt: skip
        approved_mail = next(b for s, b in mine if s == f"【計畫已核定】{plan_title}")
        assert f"核定文號：{LETTER}" in approved_mail and f"核定補助經費：{ntd(A)}" in approved_mail
        returned_mail = next(b for s, b in mine if s == f"【結報已退回】{money_title}")
        assert "說明：缺教師增能研習費發票影本" in returned_mail
