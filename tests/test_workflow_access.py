"""What the workflow service tells somebody who may not touch an item: nothing more."""

import pytest
from sqlmodel import select

from demo.generate import generate
from model.seed import ensure_counties
from model.tables import Purchase, TransitionLog, User
from states.errors import TransitionRefused
from states.values import Role
from workflow.purchases import PURCHASES
from workflow.service import advance


@pytest.fixture
def outsider_and_purchase(session):
    generate(session, story=False)
    taipei = ensure_counties(session)["臺北市"]
    outsider = User(
        username="tpe.staff",
        display_name="外縣市承辦",
        email="tpe@demo.example",
        role=Role.county_staff,
        county_id=taipei.id,
    )
    session.add(outsider)
    session.commit()
    return outsider, session.exec(select(Purchase).order_by(Purchase.id)).first()


def test_advance_by_another_county_is_refused_with_access_only(session, outsider_and_purchase):
    outsider, purchase = outsider_and_purchase
    # A wrong event and evidence that would break several guards: none of it may show.
    with pytest.raises(TransitionRefused) as refused:
        advance(
            session, PURCHASES, purchase.id, "contract", outsider,
            evidence={"method": "open", "awarded_on": "2030-01-01", "amount": 99, "vendor": "x"},
        )  # fmt: skip
    assert refused.value.rule_ids == ["access.county"]
    assert "元" not in str(refused.value) and "狀態" not in str(refused.value)
    session.rollback()
    assert session.exec(select(TransitionLog).where(TransitionLog.event == "contract")).all() == []


def test_advance_by_a_role_without_the_step_stops_before_the_guards(session, outsider_and_purchase):
    _, purchase = outsider_and_purchase
    auditor = session.exec(select(User).where(User.role == Role.auditor)).one()
    with pytest.raises(TransitionRefused) as refused:
        advance(session, PURCHASES, purchase.id, "decide", auditor, evidence={})
    assert refused.value.rule_ids == ["access.role"]
