"""The data-entry forms: each broken rule is refused with its own zh-TW field message."""

import pytest

from forms.budget_form import BudgetLinesForm
from forms.errors import FormInvalid
from forms.plan_form import PlanSectionsForm
from rules import BUSINESS_KEYS, JingjinError, SchoolFacts, administration_fee, estimate, load_rules
from states.values import BudgetItem
from vocab.display import percent
from vocab.outline import PLAN_SECTIONS, PREVIOUS_RESULTS_KEY


@pytest.fixture(scope="module")
def r113():
    return load_rules(113)


def _valid_lines(rules) -> dict[str, dict]:
    """Lines equal to the estimate of 30 small schools, part-time PIs explained."""
    schools = [SchoolFacts("國小", False, 6, 10, 100)] * 30
    est = estimate(schools, rules, workshops=10, companion_schools=5, devices=100, mdm_fee=500,
                   periods_per_school=20, per_head=100)  # fmt: skip
    lines = {item.value: {"estimate": est.items.get(item.value, 0),
                          "recurrent": est.items.get(item.value, 0), "capital": 0}
             for item in BudgetItem}  # fmt: skip
    for item, rate in (("principal_investigator", 6000), ("co_investigator", 5000)):
        lines[item].update(recurrent=12 * rate, person_months=12, monthly_rate=rate,
                           explanation="依實際兼任情形申請")  # fmt: skip
    return lines


def _refusal(data, rules) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        BudgetLinesForm.parse(data, rules)
    return caught.value.fields


def _sections() -> dict[str, str]:
    return {key: f"{key} 的內容" for key in PLAN_SECTIONS}


# ------------------------------------------------------------------ budget lines
def test_parse_budget_accepts_lines_equal_to_estimate(r113):
    form = BudgetLinesForm.parse(_valid_lines(r113), r113)
    assert form.line("teacher_training").requested == 300000


def test_budget_form_fields_follow_the_form_line_order():
    assert tuple(BudgetLinesForm.model_fields) == tuple(item.value for item in BudgetItem)


@pytest.mark.parametrize("typed", ["12.5", "1e3", 12.5, 300000.0, "3 萬", True])
def test_parse_budget_refuses_non_integer_amount(r113, typed):
    data = _valid_lines(r113)
    data["teacher_training"]["recurrent"] = typed
    fields = _refusal(data, r113)
    assert list(fields) == ["teacher_training.recurrent"]
    assert "3 教師增能研習費 經常門" in fields["teacher_training.recurrent"]
    assert "整數" in fields["teacher_training.recurrent"]


def test_parse_budget_accepts_amount_typed_with_thousands_separators(r113):
    data = _valid_lines(r113)
    data["teacher_training"]["recurrent"] = " 300,000 "
    assert BudgetLinesForm.parse(data, r113).teacher_training.recurrent == 300000


def test_parse_budget_refuses_negative_amount(r113):
    data = _valid_lines(r113)
    data["it_staff"]["capital"] = -1
    assert "不可為負數" in _refusal(data, r113)["it_staff.capital"]


def test_parse_budget_refuses_missing_line(r113):
    data = _valid_lines(r113)
    del data["mdm_licences"]
    assert _refusal(data, r113) == {"mdm_licences": "5 既有學習載具 MDM 授權：必須填寫"}


def test_parse_budget_refuses_unexplained_difference(r113):
    data = _valid_lines(r113)
    data["teacher_training"]["recurrent"] += 30000
    fields = _refusal(data, r113)
    assert list(fields) == ["teacher_training.explanation"]
    assert "330,000" in fields["teacher_training.explanation"]
    assert "請說明差異" in fields["teacher_training.explanation"]


def test_parse_budget_accepts_explained_difference(r113):
    data = _valid_lines(r113)
    data["teacher_training"].update(recurrent=330000, explanation="增辦 1 場")
    assert BudgetLinesForm.parse(data, r113).teacher_training.requested == 330000


def test_parse_budget_refuses_administration_over_cap(r113):
    data = _valid_lines(r113)
    business = sum(data[key]["recurrent"] for key in BUSINESS_KEYS)
    cap = administration_fee(business, r113)
    data["administration"].update(recurrent=cap + 1, explanation="多編 1 元")
    fields = _refusal(data, r113)
    assert list(fields) == ["administration"]
    assert f"{cap:,}" in fields["administration"]


def test_parse_budget_measures_cap_on_recurrent_business_only(r113):
    # Moving 6 數位內容 to 資本門 shrinks 業務費, so the same 行政管理費 no longer fits.
    data = _valid_lines(r113)
    content = data["digital_content"]
    content.update(recurrent=0, capital=content["estimate"])
    assert "administration" in _refusal(data, r113)


@pytest.mark.parametrize(
    ("item", "rate"),
    [("principal_investigator", 4999), ("principal_investigator", 8001),
     ("co_investigator", 3999), ("co_investigator", 6001)],
)  # fmt: skip
def test_parse_budget_refuses_part_time_rate_outside_range(r113, item, rate):
    data = _valid_lines(r113)
    data[item].update(monthly_rate=rate)
    fields = _refusal(data, r113)
    assert list(fields) == [f"{item}.monthly_rate"]
    assert f"{rate:,}" in fields[f"{item}.monthly_rate"]


def test_parse_budget_allows_digital_content_split_between_recurrent_and_capital(r113):
    data = _valid_lines(r113)
    content = data["digital_content"]
    content.update(recurrent=content["estimate"] - 90000, capital=90000)
    business = sum(data[key]["recurrent"] for key in BUSINESS_KEYS)
    data["administration"].update(recurrent=administration_fee(business, r113), explanation="重算")
    assert BudgetLinesForm.parse(data, r113).digital_content.capital == 90000


def test_parse_budget_reports_every_broken_field_at_once(r113):
    data = _valid_lines(r113)
    data["admin_staff"]["recurrent"] = "1.5"
    data["counseling_staff"]["capital"] = "1e3"
    assert set(_refusal(data, r113)) == {"admin_staff.recurrent", "counseling_staff.capital"}


def test_form_invalid_keeps_one_message_per_field():
    error = FormInvalid([("a", "第一"), ("a", "第二"), ("b", "第三")])
    assert error.errors == [("a", "第一"), ("b", "第三")]
    assert isinstance(error, JingjinError)
    assert "第一" in str(error) and "第二" not in str(error)


# ------------------------------------------------------------------ plan sections
def test_parse_sections_accepts_every_section_filled():
    assert PlanSectionsForm.parse(_sections()).texts()["goals"] == "goals 的內容"


@pytest.mark.parametrize("key", PLAN_SECTIONS)
def test_parse_sections_refuses_missing_section(key):
    data = _sections()
    del data[key]
    with pytest.raises(FormInvalid) as caught:
        PlanSectionsForm.parse(data)
    assert list(caught.value.fields) == [key]
    assert "必須填寫" in caught.value.fields[key]


def test_parse_sections_refuses_blank_section_by_its_heading():
    data = {**_sections(), "goals": "  \n ", "budget": None}
    with pytest.raises(FormInvalid) as caught:
        PlanSectionsForm.parse(data)
    assert caught.value.fields == {
        "goals": "壹、計畫目標：不可空白",
        "budget": "柒、經費需求：不可空白",
    }


def test_parse_sections_ignores_previous_results_data():
    data = {**_sections(), PREVIOUS_RESULTS_KEY: {"key_schools": {"achieved": 3}}}
    assert PlanSectionsForm.parse(data).goals == "goals 的內容"


# ------------------------------------------------------------------ display
@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(5, 6, "83.3%"), (1, 16, "6.3%"), (2, 3, "66.7%"), (4, 4, "100.0%"), (0, 7, "0.0%"),
     (3, 0, "—"), (7, 4, "175.0%")],
)  # fmt: skip
def test_percent_rounds_half_up_to_one_decimal(part, whole, shown):
    assert percent(part, whole) == shown
