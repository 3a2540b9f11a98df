"""An item with many deadlines: its page counts them by kind and state and lists one page
of them, the overdue first, instead of printing thousands of rows."""

from datetime import timedelta

from sqlmodel import Session
from web_support import HOME, TODAY, client_for, make_app, plan_of, seed

from model.tables import Milestone
from vocab.milestone_kinds import MilestoneKind
from web.item_milestones import PAGE

MANY = 45
OVERDUE = 7


def _add_deadlines(engine) -> int:
    with Session(engine) as s:
        plan = plan_of(s, HOME)
        for i in range(MANY):
            late = i < OVERDUE
            s.add(Milestone(
                county_id=plan.county_id, year=plan.year, kind=MilestoneKind.companion_visit,
                title=f"陪伴第{i + 1}次", subject_type="plan", subject_id=plan.id,
                due_on=TODAY + timedelta(days=(-3 - i) if late else 30 + i), synthetic=True,
            ))  # fmt: skip
        s.commit()
        return plan.id


def test_plan_page_summarises_and_pages_its_deadlines(engine):
    seed(engine)
    plan_id = _add_deadlines(engine)
    client = client_for(make_app(engine), "hsq.staff1")
    page = client.get(f"/items/plan/{plan_id}").text
    assert "各類期限的項數" in page
    side = page.split('id="milestones"')[1].split("</section>")[0]
    assert side.count("<li>") == PAGE
    listed = side.split("<ul>")[1].split("</ul>")[0]
    assert listed.count("（逾期）") >= OVERDUE
    assert listed.index("陪伴第7次") < listed.index("陪伴第8次")  # overdue before the rest
    assert "milestones_page=2" in side and "陪伴第45次" not in side
    pages = int(side.split("第 1 / ")[1].split(" 頁")[0])
    seen = ""
    for n in range(1, pages + 1):
        text = client.get(f"/items/plan/{plan_id}?milestones_page={n}").text
        seen += text.split('id="milestones"')[1].split("</section>")[0]
    assert all(seen.count(f"陪伴第{i + 1}次：") == 1 for i in range(MANY))
