"""HTTP tests of the step forms as people meet them: labels, ROC dates, refusals beside their
field, the 收支結算表 typed line by line, lateness said before a step, and the confirmation
before what leaves the county's hands."""

import html
import re
from datetime import date

import pytest
from sqlmodel import Session, select
from web_support import (
    HOME,
    OTHER,
    app_on_copy,
    client_for,
    plan_of,
    post,
    purchases_of,
    seeded_app,
    seeded_sqlite_file,
    step_forms,
)

from model.tables import BudgetChange, BudgetLine, Milestone, Plan, Purchase, Reimbursement
from rules.settlement import statement
from states.values import PlanState, PurchaseState, ReimbursementState
from web.deadlines import done_late_note, late_note
from web.evidence_form import field_specs
from workflow.lifecycles import LIFECYCLES
from workflow.reimbursements import approved_lines


@pytest.fixture
def app(engine):
    return seeded_app(engine)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    return seeded_sqlite_file(tmp_path_factory)


@pytest.fixture
def sqlite_app(seeded_file, tmp_path):
    yield from app_on_copy(seeded_file, tmp_path)


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def version_of(page: str) -> str:
    return re.search(r'name="expected_version" value="(\d+)"', page).group(1)


def step(client, url: str, event: str, data: dict):
    return post(client, f"{url}/events/{event}", {**data, "expected_version":
                version_of(client.get(url).text)}, page=url)  # fmt: skip


def confirm(client, url: str, event: str, page: str):
    """The confirmation page's own form, sent as its 確認送出 button sends it."""
    assert "確認送出" in page and "返回修改" in page, page[:3000]
    fields = {k: html.unescape(v) for k, v in HIDDEN.findall(page) if k != "csrf_token"}
    assert fields.pop("confirmed") == "1"
    return post(client, f"{url}/events/{event}", {**fields, "confirmed": "1"}, page=url)


def form_of(page: str, event: str) -> str:
    start = page.rindex("<details", 0, page.index(f'id="step-{event}"'))
    return page[start : page.index("</details>", start)]


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", " ", fragment))


def status_of(app, table, item_id):
    with Session(app.state.engine) as s:
        return s.get(table, item_id).status


def new_reimbursement(app) -> tuple[int, int]:
    """A reimbursement on 新竹縣's approved plan, created in the browser; (id, plan id)."""
    with Session(app.state.engine) as s:
        plan = plan_of(s, HOME)
    client = client_for(app, "hsq.supervisor")
    url = f"/items/plan/{plan.id}"
    response = post(client, f"/plans/{plan.id}/reimbursement", {}, page=url)
    assert response.status_code == 303, response.text[:2000]
    with Session(app.state.engine) as s:
        row = s.exec(select(Reimbursement).where(Reimbursement.plan_id == plan.id)).one()
    return row.id, plan.id


def disburse(app, reimbursement_id: int) -> int:
    """The ministry pays a first tranche through the form and its confirmation."""
    with Session(app.state.engine) as s:
        subsidy = s.get(Reimbursement, reimbursement_id).subsidy
    amount = subsidy // 5
    client = client_for(app, "moe.reviewer1")
    url = f"/items/reimbursement/{reimbursement_id}"
    data = {"ev.amount": f"{amount:,}", "ev.disbursed_on": "113/06/01", "ev.letter_no": "臺教資字第1130000001號"}  # fmt: skip
    first = step(client, url, "disburse", data)
    assert first.status_code == 200 and "撥款日期" in first.text and "113/06/01" in first.text
    assert status_of(app, Reimbursement, reimbursement_id) == ReimbursementState.requested
    assert confirm(client, url, "disburse", first.text).status_code == 303
    assert status_of(app, Reimbursement, reimbursement_id) == ReimbursementState.disbursed
    return amount


# ------------------------------------------------------------------ the 收支結算表
def test_settlement_through_structured_form_stores_and_shows_a_to_g(app):
    reimbursement_id, plan_id = new_reimbursement(app)
    paid = disburse(app, reimbursement_id)
    with Session(app.state.engine) as s:
        lines = approved_lines(s, plan_id)
        row = s.get(Reimbursement, reimbursement_id)
        A, B = row.approved_amount, row.subsidy
    client = client_for(app, "hsq.supervisor")
    url = f"/items/reimbursement/{reimbursement_id}"
    page = client.get(url).text
    assert "data-settlement" in page and "/static/settlement.js" in page
    assert 'name="ev.spending.it_staff.recurrent"' in page
    data = {"ev.report_ref": "113年度成果報告.pdf"}
    spent = 0
    for item, line in lines.items():
        data[f"ev.spending.{item}.recurrent"] = f"{max(line.recurrent - 1_001, 0):,}"
        data[f"ev.spending.{item}.capital"] = str(line.capital)
        spent += max(line.recurrent - 1_001, 0) + line.capital
    data |= {"ev.acquisitions.0.description": "教學平板", "ev.acquisitions.0.booked_as": "capital",
             "ev.acquisitions.0.life_years": "3", "ev.acquisitions.0.unit_cost": "12,000",
             "ev.acquisitions.0.amount": "24,000"}  # fmt: skip
    expected = statement(A, B, paid, spent)
    first = step(client, url, "submit_settlement", data)
    assert first.status_code == 200, first.text[:3000]
    shown = visible_text(first.text)
    assert f"E 實支數 {spent:,}" in re.sub(r"\s+", " ", shown)
    assert f"G 應繳回 F × D −（B − C） {expected.G:,}" in re.sub(r"\s+", " ", shown)
    assert status_of(app, Reimbursement, reimbursement_id) == ReimbursementState.disbursed
    done = confirm(client, url, "submit_settlement", first.text)
    assert done.status_code == 303, done.text[:3000]
    with Session(app.state.engine) as s:
        row = s.get(Reimbursement, reimbursement_id)
        assert row.status == ReimbursementState.settlement_submitted
        assert row.spent == spent
        stored = row.evidence["submitted_statement"]
        assert (stored["A"], stored["B"], stored["C"], stored["E"], stored["F"], stored["G"]) == (
            A, B, paid, spent, A - spent, expected.G
        )  # fmt: skip
        assert row.evidence["acquisitions"][0]["unit_cost"] == 12_000
    page = re.sub(r"\s+", " ", visible_text(client.get(url).text))
    assert f"F 賸餘數 A − E {A - spent:,}" in page and f"C 已撥付金額 {paid:,}" in page


def test_settlement_refused_line_shown_beside_its_table_and_typed_values_kept(sqlite_app):
    reimbursement_id, plan_id = new_reimbursement(sqlite_app)
    disburse(sqlite_app, reimbursement_id)
    with Session(sqlite_app.state.engine) as s:
        line = approved_lines(s, plan_id)["teacher_training"]
    client = client_for(sqlite_app, "hsq.supervisor")
    url = f"/items/reimbursement/{reimbursement_id}"
    over = f"{line.recurrent + 5_000:,}"
    data = {"ev.report_ref": "成果報告", "ev.spending.teacher_training.recurrent": over}
    response = step(client, url, "submit_settlement", data)
    assert response.status_code == 422
    form = form_of(response.text, "submit_settlement")
    assert 'id="f-submit_settlement-spending-err"' in form
    assert "規則 reimbursement.within_approved" in form
    assert f'value="{over}"' in form
    assert status_of(sqlite_app, Reimbursement, reimbursement_id) == ReimbursementState.disbursed


# ------------------------------------------------------------------ refusals and dates
def test_refusal_beside_its_field_with_aria_invalid_and_value_kept(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    with Session(sqlite_app.state.engine) as s:
        purchase = purchases_of(s, HOME)[0]
    url = f"/items/purchase/{purchase.id}"
    data = {"ev.held_on": "112/05/20", "ev.minutes": "決議採購",
            "ev.attendees.0.name": "王老師", "ev.attendees.0.role": "teacher"}  # fmt: skip
    response = step(client, url, "decide", data)
    assert response.status_code == 422
    form = form_of(response.text, "decide")
    held = re.search(r'<input id="f-decide-held_on"[^>]*>', form).group(0)
    assert 'aria-invalid="true"' in held and 'value="112/05/20"' in held
    assert 'aria-describedby="f-decide-held_on-err' in held
    error = re.search(r'id="f-decide-held_on-err">(.*?)</span>', form, re.S).group(1)
    assert error.index("會議日期 112/05/20 不在計畫期程") < error.index(
        "規則 purchase.date_in_period"
    )
    assert '<small class="rule">規則 purchase.date_in_period</small>' in error
    assert "規則 purchase.meeting_representative" in form  # beside the attendees
    assert 'value="王老師"' in form
    # Nothing placed beside a field is repeated in the box at the top.
    assert 'id="refusals"' not in response.text
    assert status_of(sqlite_app, Purchase, purchase.id) == PurchaseState.needs_collected


def test_blank_required_field_named_in_words_and_marked(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    with Session(sqlite_app.state.engine) as s:
        purchase = purchases_of(s, HOME)[0]
    url = f"/items/purchase/{purchase.id}"
    page = form_of(client.get(url).text, "decide")
    assert re.search(r'<input id="f-decide-held_on"[^>]* required', page)
    assert re.search(r'<textarea id="f-decide-minutes"[^>]* required', page)
    response = step(client, url, "decide", {"ev.minutes": "x"})
    form = form_of(response.text, "decide")
    assert "請填寫「會議日期」。" in form and "請填寫「與會人員」" not in form
    assert "「與會人員」至少須填 1 筆。" in form


def test_roc_dates_accepted_and_shown_back_in_roc(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    with Session(sqlite_app.state.engine) as s:
        purchase = purchases_of(s, HOME)[0]
        event, meeting = step_forms(s, purchase)[0]
    url = f"/items/purchase/{purchase.id}"
    # Refused for another reason, the typed day comes back in ROC.
    again = step(client, url, event, {**meeting, "ev.held_on": "113年5月20日", "ev.minutes": ""})
    assert again.status_code == 422
    assert 'value="113/05/20"' in form_of(again.text, event)
    response = step(client, url, event, {**meeting, "ev.held_on": "1130520"})
    assert response.status_code == 303, response.text[:3000]
    with Session(sqlite_app.state.engine) as s:
        assert s.get(Purchase, purchase.id).evidence["decide"]["held_on"] == "2024-05-20"
    assert "<dt>會議日期</dt><dd>113/05/20</dd>" in client.get(url).text  # history: ROC


# ------------------------------------------------------------------ lateness
def test_late_request_warned_before_and_done_on_the_date_entered(app):
    app.state.today = lambda: date(2024, 12, 10)
    client = client_for(app, "hsq.staff1")
    with Session(app.state.engine) as s:
        purchase = purchases_of(s, HOME)[0]
        forms = dict(step_forms(s, purchase))
    url = f"/items/purchase/{purchase.id}"
    for event in ("decide", "verify_product", "verify_clause", "contract"):
        assert step(client, url, event, forms[event]).status_code == 303, event
    page = form_of(client.get(url).text, "request_disbursement")
    assert "期限：" in page and "113/11/30" in page
    assert "已逾期限 113/11/30（逾 10 天）" in page  # today is already past it
    late = {**forms["request_disbursement"], "ev.requested_on": "113/12/05"}
    first = step(client, url, "request_disbursement", late)
    assert first.status_code == 200
    assert "已逾期限 113/11/30（逾 5 天），仍可送出，將記錄為逾期" in first.text
    assert status_of(app, Purchase, purchase.id) == PurchaseState.contracted
    assert confirm(client, url, "request_disbursement", first.text).status_code == 303
    with Session(app.state.engine) as s:
        milestone = s.exec(
            select(Milestone).where(
                Milestone.subject_type == "purchase", Milestone.subject_id == purchase.id
            )
        ).one()
        assert milestone.done_on == date(2024, 12, 5)
        assert s.get(Purchase, purchase.id).evidence["late_request"] is True


# ------------------------------------------------------------------ confirmation
def _under_review(app, county: str) -> Plan:
    with Session(app.state.engine, expire_on_commit=False) as s:
        plan = plan_of(s, county)
        plan.status = PlanState.under_review
        s.add(plan)
        s.commit()
        return plan


def test_plan_submit_and_approve_need_their_confirmation(app):
    with Session(app.state.engine) as s:
        plan = plan_of(s, OTHER)
    url = f"/items/plan/{plan.id}"
    county = client_for(app, "hsz.supervisor")
    first = step(county, url, "submit", {})
    assert first.status_code == 200 and "申請經費合計" in first.text
    assert status_of(app, Plan, plan.id) == PlanState.draft
    back = post(county, f"{url}/events/submit", {"back": "1", "expected_version":
                version_of(first.text)}, page=url)  # fmt: skip
    assert back.status_code == 200 and 'id="step-submit"' in back.text
    assert status_of(app, Plan, plan.id) == PlanState.draft
    assert confirm(county, url, "submit", first.text).status_code == 303
    assert status_of(app, Plan, plan.id) == PlanState.submitted

    _under_review(app, OTHER)
    ministry = client_for(app, "moe.reviewer1")
    data = {"ev.letter_no": "臺教資字第1130000002號", "ev.approved_on": "113/03/15"}
    first = step(ministry, url, "approve", data)
    assert first.status_code == 200 and "核定日期" in first.text and "113/03/15" in first.text
    assert "臺教資字第1130000002號" in first.text
    assert status_of(app, Plan, plan.id) == PlanState.under_review
    assert confirm(ministry, url, "approve", first.text).status_code == 303
    with Session(app.state.engine) as s:
        approved = s.get(Plan, plan.id)
        assert approved.status == PlanState.approved
        assert approved.approved_on == date(2024, 3, 15)
        assert approved.letter_no == "臺教資字第1130000002號"


def test_approval_form_has_one_letter_number_field_and_it_is_required(sqlite_app):
    plan = _under_review(sqlite_app, OTHER)
    page = client_for(sqlite_app, "moe.reviewer1").get(f"/items/plan/{plan.id}").text
    form = form_of(page, "approve")
    assert form.count('name="ev.letter_no"') == 1 and 'name="letter_no"' not in form
    assert re.search(r'<input id="f-approve-letter_no"[^>]* required', form)


# ------------------------------------------------------------------ labels
RAW_NAME = re.compile(r"[a-z]+_[a-z_]+")


def _forms(page: str) -> list[tuple[str, str]]:
    return [(m.group(1), form_of(page, m.group(1))) for m in re.finditer(r'id="step-(\w+)"', page)]


def test_no_raw_field_name_in_any_step_form(sqlite_app):
    app = sqlite_app
    pages: list[tuple[str, str]] = []
    staff = client_for(app, "hsq.staff1")
    with Session(app.state.engine) as s:
        purchase = purchases_of(s, HOME)[0]
        forms = step_forms(s, purchase)
        other = plan_of(s, OTHER)
    url = f"/items/purchase/{purchase.id}"
    for event, data in forms:
        pages += _forms(staff.get(url).text)
        assert step(staff, url, event, data).status_code == 303
    pages += _forms(client_for(app, "hsz.supervisor").get(f"/items/plan/{other.id}").text)
    _under_review(app, OTHER)
    pages += _forms(client_for(app, "moe.reviewer1").get(f"/items/plan/{other.id}").text)
    reimbursement_id, plan_id = new_reimbursement(app)
    reviewer = client_for(app, "moe.reviewer1")
    pages += _forms(reviewer.get(f"/items/reimbursement/{reimbursement_id}").text)
    disburse(app, reimbursement_id)
    supervisor = client_for(app, "hsq.supervisor")
    pages += _forms(supervisor.get(f"/items/reimbursement/{reimbursement_id}").text)
    change_url = f"/plans/{plan_id}/budget-change"
    change_page = supervisor.get(change_url).text
    pages.append(("budget_change_request", change_page[change_page.index("<form method") :]))
    moved = {"teacher_training.recurrent": "0", "reason": "研習改為線上"}
    response = post(supervisor, change_url, moved, page=change_url)
    if response.status_code == 303:  # a refused change still leaves the request form scanned
        pages += _forms(reviewer.get(response.headers["location"]).text)
    events = {event for event, _ in pages}
    assert {"decide", "contract", "request_disbursement", "record_usage", "submit", "approve",
            "disburse", "submit_settlement"} <= events  # fmt: skip
    for event, fragment in pages:
        text = visible_text(fragment)
        assert not RAW_NAME.findall(text), (event, RAW_NAME.findall(text))


def test_budget_change_form_sends_pi_months_and_rate(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        plan = plan_of(s, HOME)
        pi = s.exec(
            select(BudgetLine).where(
                BudgetLine.plan_id == plan.id, BudgetLine.item == "principal_investigator"
            )
        ).one()
    client = client_for(sqlite_app, "hsq.supervisor")
    url = f"/plans/{plan.id}/budget-change"
    page = client.get(url).text
    assert 'name="principal_investigator.person_months"' in page
    assert 'name="principal_investigator.monthly_rate"' in page
    months = pi.person_months + 1
    wrong = {"principal_investigator.person_months": str(months), "reason": "主持人月數調整"}
    response = post(client, url, wrong, page=url)
    # One more month at the same rate no longer equals the line's amount: the rule says so.
    assert response.status_code == 422
    beside = re.search(r'<p class="field-error" id="err-staffing">(.*?)</p>', response.text, re.S)
    assert "規則 budget_change.pi_amount" in beside.group(1)
    top = re.search(r'id="refusals">(.*?)</div>', response.text, re.S)
    assert top is None or "pi_amount" not in top.group(1)
    right = {**wrong, "principal_investigator.recurrent": str(months * pi.monthly_rate),
             "principal_investigator.capital": "0"}  # fmt: skip
    response = post(client, url, right, page=url)
    assert response.status_code == 303, response.text[:3000]
    with Session(sqlite_app.state.engine) as s:
        change = s.exec(select(BudgetChange)).one()
    assert change.lines["principal_investigator"]["person_months"] == months
    assert change.lines["principal_investigator"]["monthly_rate"] == pi.monthly_rate


def test_every_evidence_field_gets_an_input_made_for_it():
    """No field falls back to a box for typed JSON: each has a date, number, choice, text
    or table input."""
    for lifecycle in LIFECYCLES.values():
        for s in lifecycle.steps.values():
            for spec in field_specs(s.evidence):
                assert spec.kind != "json", (s.event, spec.name)
                assert all(c.kind != "json" for c in spec.columns), (s.event, spec.name)


def test_steps_needing_confirmation_are_refused_in_bulk(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        plan = plan_of(s, OTHER)
    client = client_for(sqlite_app, "hsz.supervisor")
    data = {"ids": [str(plan.id)], f"v.{plan.id}": str(plan.version)}
    response = post(client, "/bulk/plan/submit", data, page="/items/plan")
    assert response.status_code == 200
    assert "規則 transition.confirm" in response.text and "逐件確認" in response.text
    assert status_of(sqlite_app, Plan, plan.id) == PlanState.draft


@pytest.mark.parametrize(
    ("day", "said"),
    [
        (date(2024, 11, 29), None),
        (date(2024, 11, 30), None),  # on the deadline itself is in time
        (date(2024, 12, 1), "已逾期限 113/11/30（逾 1 天），仍可送出，將記錄為逾期。"),
        (date(2025, 1, 30), "已逾期限 113/11/30（逾 61 天），仍可送出，將記錄為逾期。"),
    ],
)
def test_late_note_counts_days_after_the_deadline(day, said):
    assert late_note(date(2024, 11, 30), day) == said
    done = done_late_note(date(2024, 11, 30), day)
    assert (done is None) == (said is None)


def test_reimbursement_walks_to_closed_in_the_browser(sqlite_app):
    """Every step of the reimbursement, each by the role that owns it, through its form."""
    app = sqlite_app
    reimbursement_id, plan_id = new_reimbursement(app)
    disburse(app, reimbursement_id)
    with Session(app.state.engine) as s:
        lines = approved_lines(s, plan_id)
    url = f"/items/reimbursement/{reimbursement_id}"
    county, ministry = client_for(app, "hsq.supervisor"), client_for(app, "moe.reviewer1")
    data = {"ev.report_ref": "成果報告"}
    for item, line in lines.items():
        data[f"ev.spending.{item}.recurrent"] = str(line.recurrent)
        data[f"ev.spending.{item}.capital"] = str(line.capital)
    first = step(county, url, "submit_settlement", data)
    assert confirm(county, url, "submit_settlement", first.text).status_code == 303
    assert step(ministry, url, "start_review", {}).status_code == 303
    settled = step(ministry, url, "settle", {"ev.letter_no": "臺教資字第1130000009號"})
    assert settled.status_code == 303, settled.text[:3000]
    with Session(app.state.engine) as s:
        owed = s.get(Reimbursement, reimbursement_id).evidence["statement"]["owed_to_county"]
    assert owed > 0  # everything spent, a fifth paid: the ministry owes the rest
    final = {"ev.amount": f"{owed:,}", "ev.disbursed_on": "113/06/03", "ev.letter_no": "臺教資字第10號"}  # fmt: skip
    first = step(ministry, url, "disburse_final", final)
    assert first.status_code == 200 and "確認送出" in first.text
    assert confirm(ministry, url, "disburse_final", first.text).status_code == 303
    assert step(ministry, url, "close", {}).status_code == 303
    assert status_of(app, Reimbursement, reimbursement_id) == ReimbursementState.closed
    page = re.sub(r"\s+", " ", visible_text(client_for(app, "hsq.staff1").get(url).text))
    assert "收支結算表（已核定）" in page and "G 應繳回 F × D −（B − C） 0" in page
