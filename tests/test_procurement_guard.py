"""The procurement guards as pure functions: plain values in, a sentence or None out."""

from datetime import date

import pytest

from rules import load_rules
from states.evidence import ProcurementRecord
from states.purchase import PurchaseContext, justification, procurement_method

RULES = load_rules(113)
METHODS = ("small_purchase", "three_quotes", "open", "selective", "restricted")
# 政府採購法 as SPEC.md (corrected) reads it: the band is the 採購金額's.
ALLOWED_AT = {
    150_000: set(METHODS),
    150_001: set(METHODS) - {"small_purchase"},
    1_499_999: set(METHODS) - {"small_purchase"},
    1_500_000: {"open", "selective", "restricted"},
}


def ctx(method: str, procurement_amount: int, award: int | None = None, **change):
    record = ProcurementRecord(
        method=method,
        awarded_on=date(2024, 6, 1),
        procurement_amount=procurement_amount,
        amount=procurement_amount if award is None else award,
        vendor="示範廠商",
        justification=change.pop("justification", ""),
    )
    facts = dict(
        rules=RULES,
        today=date(2024, 7, 1),
        evidence=record,
        product=None,
        plan_approved=True,
        content_line=10_000_000,
        contracted_elsewhere=0,
        contract_amount=0,
    )
    return PurchaseContext(**(facts | change))


@pytest.mark.parametrize(
    ("amount", "method", "allowed"),
    [(a, m, m in ok) for a, ok in ALLOWED_AT.items() for m in METHODS],
)
def test_procurement_method_guard_at_band_edges(amount, method, allowed):
    message = procurement_method(ctx(method, amount))
    assert (message is None) is allowed
    if not allowed:
        assert f"採購金額 {amount:,} 元" in message


@pytest.mark.parametrize("award", [0, 149_000, 1_400_000, 2_000_000])
def test_procurement_method_guard_ignores_award_amount(award):
    # Budgeted at 公告金額: 公開取得報價 is refused whatever the award came to.
    assert procurement_method(ctx("three_quotes", 1_500_000, award)) is not None
    assert procurement_method(ctx("open", 1_500_000, award)) is None
    # Budgeted under it: an award above 公告金額 does not move the band (and is no refusal).
    assert procurement_method(ctx("three_quotes", 1_499_999, award)) is None


def test_procurement_method_guard_uses_county_cap():
    capped = RULES.procurement.model_copy(update={"county_small_purchase_max": {"臺北市": 100_000}})
    rules = RULES.model_copy(update={"procurement": capped})
    assert procurement_method(ctx("small_purchase", 100_000, rules=rules, county="臺北市")) is None
    refused = procurement_method(ctx("small_purchase", 100_001, rules=rules, county="臺北市"))
    assert refused is not None and "100,000 元" in refused
    assert procurement_method(ctx("small_purchase", 150_000, rules=rules, county="新竹縣")) is None


@pytest.mark.parametrize("amount", list(ALLOWED_AT))
@pytest.mark.parametrize("method", METHODS)
def test_justification_guard_asks_reason_for_selective_and_restricted(amount, method):
    needs = method in {"selective", "restricted"}
    message = justification(ctx(method, amount))
    assert (message is not None) is needs
    if needs:
        assert "第 20 條" in message if method == "selective" else "第 22 條" in message
    assert justification(ctx(method, amount, justification="第 22 條第 1 項第 2 款")) is None


def test_contract_form_names_both_amounts_in_words():
    from web.evidence_form import FIELD_LABELS, field_specs

    labels = {spec.name: spec.label for spec in field_specs(ProcurementRecord)}
    assert labels["procurement_amount"] == "採購金額（元）"
    assert labels["amount"] == "契約金額（元）"
    assert all(not label.isascii() for label in labels.values())
    assert ProcurementRecord.model_fields["procurement_amount"].description
    # Recorded evidence is shown with the same words on the item's history.
    assert FIELD_LABELS["procurement_amount"] == "採購金額（元）"
