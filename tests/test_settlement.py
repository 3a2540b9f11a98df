"""The 收支結算表 arithmetic, the tranche bands and the 資本門 test: pure, no database.

Every expected figure below is worked out by hand in the comment beside it.
"""

from fractions import Fraction

import pytest

from rules import InputError, load_rules
from rules.settlement import (
    is_capital,
    round_half_up,
    statement,
    statement_from_dict,
    tranche_limit,
)

RULES = load_rules(113)


# ------------------------------------------------------------------ statement, full subsidy
def test_statement_under_spend_returns_the_unspent_money():
    # A = B = C = 1,000,000; E = 950,000 → F = 50,000; D = 1; G = 50,000 − 0.
    s = statement(1_000_000, 1_000_000, 1_000_000, 950_000)
    assert (s.D, s.F, s.G, s.to_return, s.owed_to_county) == (1, 50_000, 50_000, 50_000, 0)


def test_statement_exact_spend_returns_nothing():
    # E = A → F = 0; all disbursed → G = 0.
    s = statement(1_000_000, 1_000_000, 1_000_000, 1_000_000)
    assert (s.F, s.G, s.to_return, s.owed_to_county) == (0, 0, 0, 0)


def test_statement_disbursed_below_subsidy_nets_the_missing_tranche():
    # C = 980,000: G = 50,000 − (1,000,000 − 980,000) = 30,000.
    s = statement(1_000_000, 1_000_000, 980_000, 950_000)
    assert s.G == 30_000


def test_statement_disbursed_below_spending_means_ministry_owes_county():
    # C = 700,000, E = 950,000: G = 50,000 − 300,000 = −250,000: nothing to return,
    # the ministry owes the county 250,000.
    s = statement(1_000_000, 1_000_000, 700_000, 950_000)
    assert (s.G, s.to_return, s.owed_to_county) == (-250_000, 0, 250_000)


# ------------------------------------------------------------------ statement, partial subsidy
def test_statement_partial_subsidy_keeps_d_as_exact_fraction():
    s = statement(1_000_000, 750_000, 750_000, 800_000)
    # D = 3/4; F = 200,000; G = 150,000 − 0.
    assert isinstance(s.D, Fraction)
    assert (s.D.numerator, s.D.denominator) == (3, 4)
    assert s.G == 150_000


def test_statement_partial_subsidy_rounds_a_half_up_not_to_even():
    # D = 3/4, F = 6 → 4.5 → 5 (Python's round() would give 4).
    assert statement(1_000_000, 750_000, 750_000, 999_994).G == 5
    # F = 2 → 1.5 → 2.
    assert statement(1_000_000, 750_000, 750_000, 999_998).G == 2


def test_statement_partial_subsidy_rounds_negative_half_away_from_zero():
    # D = 3/4, F = 2 → 1.5; B − C = 3 → G = −1.5 → −2: owed 2 元 to the county.
    s = statement(1_000_000, 750_000, 749_997, 999_998)
    assert (s.G, s.to_return, s.owed_to_county) == (-2, 0, 2)


def test_statement_exact_where_float_would_round_down():
    # D = 7/10, F = 45 → 31.5 exactly → 32; in floats 45 × 0.7 = 31.499999999999996.
    assert statement(1_000_000, 700_000, 700_000, 999_955).G == 32


def test_statement_rounds_only_at_the_end():
    # D = 1/3, F = 2 → 2/3; B − C = 0 → G = 0.67 → 1.
    assert statement(300_000, 100_000, 100_000, 299_998).G == 1


def test_statement_as_dict_holds_no_float_and_round_trips():
    s = statement(1_000_000, 750_000, 749_997, 999_998)
    stored = s.as_dict()
    assert stored["D"] == {"numerator": 3, "denominator": 4}
    assert not any(isinstance(v, float) for v in stored.values())
    assert statement_from_dict(stored) == s


@pytest.mark.parametrize(
    "args",
    [(0, 0, 0, 0), (100, 100, -1, 0), (100, 100, 100, 1.5), (100, True, 100, 0)],
    ids=["zero_plan", "negative", "fraction", "bool"],
)
def test_statement_bad_amount_refused(args):
    with pytest.raises(InputError):
        statement(*args)


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(3, 2, 2), (5, 2, 3), (-3, 2, -2), (4999, 10000, 0), (-4999, 10000, 0), (7, 1, 7)],
)
def test_round_half_up_ties_go_away_from_zero(num, den, expected):
    assert round_half_up(Fraction(num, den)) == expected


# ------------------------------------------------------------------ tranches
@pytest.mark.parametrize(
    ("plan", "first_max"),
    [
        (1_499_999, 1_499_999),  # under 1.5M: up to 100 %
        (1_500_000, 450_000),  # 30 %
        (9_999_999, 2_999_999),  # 30 % of 9,999,999 = 2,999,999.7, never rounded up
        (10_000_000, 3_000_000),  # 30 %
    ],
)
def test_tranche_limit_first_tranche_at_band_boundary(plan, first_max):
    assert tranche_limit(plan, 0, first_max, RULES) is None
    assert tranche_limit(plan, 0, first_max + 1, RULES) is not None


def test_tranche_limit_first_tranche_message_names_the_cap():
    message = tranche_limit(1_500_000, 0, 450_001, RULES)
    assert "30 %" in message and "450,000" in message and "450,001" in message


def test_tranche_limit_below_ten_million_later_tranche_may_reach_subsidy():
    assert tranche_limit(9_999_999, 2_999_999, 7_000_000, RULES) is None
    assert "超過核定補助金額" in tranche_limit(9_999_999, 2_999_999, 7_000_001, RULES)


def test_tranche_limit_ten_million_holds_back_five_percent():
    # Before the final accounts at most 95 % of 10,000,000 = 9,500,000.
    assert tranche_limit(10_000_000, 3_000_000, 6_500_000, RULES) is None
    message = tranche_limit(10_000_000, 3_000_000, 6_500_001, RULES)
    assert "5 %" in message and "9,500,000" in message


def test_tranche_limit_final_tranche_releases_holdback_but_not_beyond_subsidy():
    assert tranche_limit(10_000_000, 9_500_000, 500_000, RULES, final=True) is None
    assert tranche_limit(10_000_000, 9_500_000, 500_001, RULES, final=True) is not None


def test_tranche_limit_zero_request_refused():
    assert tranche_limit(1_000_000, 0, 0, RULES) == "撥款金額須大於 0 元。"


def test_tranche_limit_percentages_apply_to_subsidy_when_given():
    # Plan 2,000,000 in the 30 % band; B = 1,500,000 → first tranche ≤ 450,000.
    assert tranche_limit(2_000_000, 0, 450_000, RULES, subsidy=1_500_000) is None
    assert tranche_limit(2_000_000, 0, 450_001, RULES, subsidy=1_500_000) is not None


def test_tranche_limit_bad_amount_refused():
    with pytest.raises(InputError):
        tranche_limit(1_000_000, 0, -5, RULES)


# ------------------------------------------------------------------ 資本門
@pytest.mark.parametrize(
    ("life", "cost", "expected"),
    [(2, 10_000, True), (1, 10_000, False), (2, 9_999, False), (5, 250_000, True)],
)
def test_is_capital_needs_both_life_and_cost(life, cost, expected):
    assert is_capital(life, cost, RULES) is expected


def test_is_capital_software_counts_when_rules_include_it():
    assert is_capital(2, 10_000, RULES, software=True) is True
    no_software = RULES.model_copy(
        update={"capital": RULES.capital.model_copy(update={"includes_software": False})}
    )
    assert is_capital(2, 10_000, no_software, software=True) is False
