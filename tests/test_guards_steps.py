"""The checks every step runs before its own guards, by rule id, on plain values: who may
take the step, in which county, and whether its evidence is well formed."""

import pytest
from guard_cases import Boundary, check

from states import plan, purchase
from states.errors import Refusal
from states.steps import Actor, access_refusals, county_refusals, parse_evidence
from states.values import Role

SUBMIT = plan.STEPS["submit"]
REQUEST = purchase.STEPS["request_disbursement"]


def submit_by(actor: Actor) -> list[Refusal]:
    return access_refusals(SUBMIT, actor, 5)


def in_county_5(actor: Actor) -> list[Refusal]:
    return county_refusals(actor, 5)


def disbursement_request(raw: dict[str, object]) -> list[Refusal]:
    return parse_evidence(REQUEST, raw)[1]


CASES = [
    Boundary(
        "access.role",
        submit_by,
        Actor(1, Role.county_supervisor, 5),
        Actor(2, Role.county_staff, 5),
        ("送出計畫（縣市主管核可）", "只能由縣市主管執行", "縣市推動辦公室承辦"),
    ),
    Boundary(
        "access.county",
        in_county_5,
        Actor(1, Role.county_staff, 5),
        Actor(3, Role.county_staff, 6),
        ("自己縣市",),
    ),
    Boundary(
        "evidence.format",
        disbursement_request,
        {"requested_on": "113/11/30", "amount": 0},
        {"requested_on": "113/11/30", "amount": -1},
        ("「請撥金額（元）」", "不可小於 0"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_step_check_boundary(case: Boundary) -> None:
    check(case)


def test_the_ministry_reaches_every_county() -> None:
    assert in_county_5(Actor(4, Role.ministry_reviewer, None)) == []
    assert in_county_5(Actor(5, Role.auditor, None)) == []
