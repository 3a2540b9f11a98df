"""Each item page shows the facts its decision needs, before the first action button."""

import re
from datetime import date

import pytest
from sqlmodel import Session, select
from web_support import (
    HOME,
    client_for,
    make_app,
    plan_of,
    post,
    purchases_of,
    seed,
    seeded_app,
    step_forms,
    user_named,
)

from model.tables import BudgetLine, Product
from workflow.plans import decide_budget_change, request_budget_change, update_plan_draft
from workflow.reimbursements import REIMBURSEMENTS, create_reimbursement
from workflow.service import advance

FIRST = {"disbursed_on": "2024-03-01", "letter_no": "臺教資(五)字第1130000001號"}
LATER = {"disbursed_on": "2024-09-02", "letter_no": "臺教資(五)字第1130000002號"}
SETTLED_ON = date(2025, 3, 20)
REASON = "研習改採線上辦理，節餘經費移至推動辦公室運作"


def ntd(value: int) -> str:
    return f"新臺幣 {value:,} 元"


def before_actions(html: str, *texts: str) -> None:
    """Every text is on the page, above the first button of the page's main part."""
    main = html[html.index("<main") :]
    facts = main.index('<section class="facts"')
    button = main.index("<button")
    assert facts < button
    for text in texts:
        assert text in main[facts:button], text


def cells(html: str, heading: str) -> list[str]:
    """The cells of the table row headed by `heading`, as text."""
    row = re.search(r'<th scope="row">' + re.escape(heading) + r"</th>(.*?)</tr>", html, re.S)
    assert row, heading
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)


def lines_of(session: Session, plan_id: int) -> dict[str, BudgetLine]:
    rows = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan_id))
    return {str(r.item): r for r in rows}


# ------------------------------------------------------------------ purchase
def test_purchase_page_shows_product_award_and_request(engine):
    app = seeded_app(engine)
    client = client_for(app, "hsq.staff1")
    with Session(engine) as s:
        purchase = purchases_of(s, HOME)[0]
        forms = dict(step_forms(s, purchase))
        product = s.get(Product, purchase.product_id)
    url = f"/items/purchase/{purchase.id}"
    for event in ("decide", "verify_product", "verify_clause"):
        assert post(client, f"{url}/events/{event}", forms[event], page=url).status_code == 303
    page = client.get(url).text  # the contract step: the line's room is shown
    before_actions(page, "數位內容及教學軟體核定經費", "尚可簽約額度", product.name)
    assert post(client, f"{url}/events/contract", forms["contract"], page=url).status_code == 303

    page = client.get(url).text  # the 請撥 step: the award amount beside its form
    award = ntd(purchase.amount)
    before_actions(
        page, product.name, product.serial, product.vendor, "小額採購", award,
        "113/05/20", "113/05/28", f"請撥金額不得超過決標（契約）金額 {award}",
    )  # fmt: skip
    assert "<dt>決標（契約）金額</dt><dd>" + award in page
    assert "<dt>採購方式</dt><dd>小額採購</dd>" in page
    assert "<dt>公開會議日期</dt><dd>113/05/20</dd>" in page
    assert "<dt>決標日期</dt><dd>113/05/28</dd>" in page
    assert "request_disbursement" in page  # the form the amount stands beside

    request = {**forms["request_disbursement"], "ev.amount": str(purchase.amount - 1000)}
    response = post(client, f"{url}/events/request_disbursement", request, page=url)
    assert response.status_code == 303
    page = client.get(url).text
    assert "<dt>請撥日期</dt><dd>113/06/01</dd>" in page
    assert "<dt>請撥金額</dt><dd>" + ntd(purchase.amount - 1000) in page
    assert "預估金額" not in page  # once awarded, the award amount is the amount


# ------------------------------------------------------------------ budget change
def test_budget_change_page_shows_before_after_and_cap(engine):
    app = seeded_app(engine)
    with Session(engine, expire_on_commit=False) as s:
        plan = plan_of(s, HOME)
        lines = lines_of(s, plan.id)
        training, office = lines["teacher_training"], lines["office_operations"]
        asked = {
            "teacher_training": {"recurrent": training.recurrent - 30000, "capital": 0},
            "office_operations": {"recurrent": office.recurrent + 30000, "capital": 0},
        }
        change = request_budget_change(s, user_named(s, "hsq.supervisor"), plan.id, asked, REASON)
        s.commit()
        recurrent = sum(x.recurrent for x in lines.values())
        capital = sum(x.capital for x in lines.values())
    reviewer = client_for(app, "moe.reviewer1")
    url = f"/items/budget_change/{change.id}"

    def check(page: str) -> None:
        assert cells(page, "3 教師增能研習費（變更）") == [
            f"{training.recurrent:,}", "0", f"{training.recurrent - 30000:,}", "0", "-30,000",
        ]  # fmt: skip
        assert cells(page, "4a 推動辦公室運作費（變更）") == [
            f"{office.recurrent:,}", "0", f"{office.recurrent + 30000:,}", "0", "+30,000",
        ]  # fmt: skip
        assert cells(page, "經常門") == [f"{recurrent:,}", f"{recurrent:,}", "0"]
        assert cells(page, "資本門") == [f"{capital:,}", f"{capital:,}", "0"]
        assert f"<dt>變更理由</dt><dd>{REASON}</dd>" in page

    page = reviewer.get(url).text
    check(page)
    before_actions(page, "各經費項目變更前後", REASON, "<dt>行政管理費上限</dt><dd>" + ntd(600000),
                   "<dt>依目前計畫經費檢核</dt><dd>符合經費流用/變更規定</dd>")  # fmt: skip

    with Session(engine) as s:
        decide_budget_change(s, user_named(s, "moe.reviewer1"), change.id, approve=True,
                             letter_no="臺教資(四)字第1130054321號", today=date(2024, 6, 3))  # fmt: skip
        s.commit()
    page = reviewer.get(url).text  # decided: the change still reads as it was decided
    check(page)
    assert "<dt>文號</dt><dd>臺教資(四)字第1130054321號</dd>" in page


# ------------------------------------------------------------------ reimbursement
def _go(session, row_id, event, who, **kwargs):
    user = user_named(session, who)
    advance(session, REIMBURSEMENTS, row_id, event, user, today=SETTLED_ON, **kwargs)


def test_reimbursement_page_shows_tranches_and_settlement(engine):
    app = seeded_app(engine)
    with Session(engine, expire_on_commit=False) as s:
        plan = plan_of(s, HOME)
        lines = lines_of(s, plan.id)
        row = create_reimbursement(s, user_named(s, "hsq.supervisor"), plan.id)
        s.commit()
    a = sum(x.recurrent + x.capital for x in lines.values())
    first, kept = a * 3000 // 10000, a * 9500 // 10000  # 113: ≥ NT$10M, 30 % then 5 % held
    reviewer = client_for(app, "moe.reviewer1")
    supervisor = client_for(app, "hsq.supervisor")
    url = f"/items/reimbursement/{row.id}"

    page = reviewer.get(url).text
    before_actions(page, "<dt>A 核定計畫金額</dt><dd>" + ntd(a), "<dt>B 核定補助金額</dt><dd>" + ntd(a),
                   "<dt>C 已撥付金額</dt><dd>" + ntd(0), "<dt>第一期撥款上限</dt><dd>" + ntd(first),
                   "<dt>結報前累計撥款上限</dt><dd>" + ntd(kept),
                   "<dt>結報前尚可撥付</dt><dd>" + ntd(kept),
                   "<dt>E 實支金額</dt><dd>（尚未提送結報）")  # fmt: skip

    content = lines["digital_content"]
    assert cells(page, "6 數位內容及教學軟體") == [
        f"{content.recurrent:,}", f"{content.capital:,}", f"{content.requested:,}",
    ]  # fmt: skip

    unspent = 100_000
    spending = {k: {"recurrent": v.recurrent, "capital": v.capital} for k, v in lines.items()}
    spending["digital_content"]["recurrent"] -= unspent
    with Session(engine) as s:
        _go(s, row.id, "disburse", "moe.reviewer1", evidence={"amount": first, **FIRST})
        _go(s, row.id, "disburse_tranche", "moe.reviewer1",
            evidence={"amount": kept - first, **LATER})  # fmt: skip
        _go(s, row.id, "submit_settlement", "hsq.supervisor",
            evidence={"spending": spending, "report_ref": "新竹縣113年度成果報告"})  # fmt: skip
        _go(s, row.id, "start_review", "moe.reviewer1")
        s.commit()
    e, f = a - unspent, unspent
    g = f - (a - kept)  # D = 1: the county spent more of its share than it was paid
    page = reviewer.get(url).text  # the ministry decides on the statement as it will be
    before_actions(page, "收支結算表（依提送數字試算，尚待教育部核定）",
                   "113/03/01", "113/09/02", ntd(first), ntd(kept - first))  # fmt: skip
    assert cells(page, "第 1 期") == ["113/03/01", ntd(first), FIRST["letter_no"]]
    assert cells(page, "第 2 期") == ["113/09/02", ntd(kept - first), LATER["letter_no"]]
    assert (
        cells(page, "6 數位內容及教學軟體")[1]
        == f"{lines['digital_content'].recurrent - unspent:,}"
    )

    with Session(engine) as s:
        _go(
            s,
            row.id,
            "settle",
            "moe.reviewer1",
            evidence={"letter_no": "臺教資(五)字第1140000009號"},
        )
        s.commit()
    page = supervisor.get(url).text
    assert "收支結算表（114/03/20 核定）" in page
    assert [cells(page, k)[1] for k in "ABCDEFG"] == [
        ntd(a), ntd(a), ntd(kept), "100.0%", ntd(e), ntd(f), ntd(g),
    ]  # fmt: skip
    assert cells(page, "結果")[1] == f"教育部應補撥 {ntd(-g)}"
    assert "<dt>尚未撥付（B − C）</dt><dd>" + ntd(a - kept) in page


# ------------------------------------------------------------------ plan
@pytest.fixture
def draft_app(engine):
    seed(engine, approve_plan=False)
    return make_app(engine)


def test_plan_page_shows_budget_against_estimate_and_targets(draft_app):
    engine = draft_app.state.engine
    with Session(engine, expire_on_commit=False) as s:
        plan = plan_of(s, HOME)
        # The county removes its explanation of a line that differs from the estimate.
        update_plan_draft(s, user_named(s, "hsq.supervisor"), plan.id,
                          lines={"teacher_training": {"explanation": ""}})  # fmt: skip
        s.commit()
        lines = lines_of(s, plan.id)
    training = lines["teacher_training"]
    page = client_for(draft_app, "hsq.supervisor").get(f"/items/plan/{plan.id}").text
    before_actions(page, "經費申請與教育部預估", "尚未說明差異：3 教師增能研習費", "量化指標")
    row = cells(page, "3 教師增能研習費")
    assert row[1:4] == [f"{training.recurrent:,}", "0", f"{training.requested:,}"]
    assert row[4] == f"{training.requested - training.estimate:+,}" and row[5] == "未說明"
    assert cells(page, "5 既有學習載具 MDM 授權")[5].startswith("已說明：")
    assert cells(page, "7 行政管理費")[5] == "—"
    recurrent = sum(x.recurrent for x in lines.values())
    capital = sum(x.capital for x in lines.values())
    assert "<dt>經常門合計</dt><dd>" + ntd(recurrent) in page
    assert "<dt>資本門合計</dt><dd>" + ntd(capital) in page
    assert "<dt>申請總額</dt><dd>" + ntd(recurrent + capital) in page
    assert cells(page, "重點學校數")[2] == "符合"
