"""The ministry's estimate (陸、二): every band edge, cap and rounding boundary."""

import pytest

from rules import (
    InputError,
    SchoolFacts,
    admin_staff,
    administration_fee,
    counseling_staff,
    estimate,
    it_staff,
    load_rules,
    nhi_premium,
    office_operations,
    substitute_teaching,
)
from rules.budget import ITEM_KEYS, school_companion, teacher_training


@pytest.fixture(scope="module")
def r113():
    return load_rules(113)


def _schools(n: int, level: str = "國小") -> list[SchoolFacts]:
    return [SchoolFacts(level, False, 6, 10, 100) for _ in range(n)]


# ------------------------------------------------------------------ 1a admin staff
@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, 0),
        (1, 650000),
        (60, 650000),
        (61, 1300000),
        (180, 1300000),
        (181, 1950000),
        (2000, 1950000),
    ],
)
def test_admin_staff_at_band_edges(r113, n, expected):
    assert admin_staff(n, r113) == expected


# ------------------------------------------------------------------ 1b counseling staff
@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), (1, 750000), (50, 750000), (51, 1500000), (100, 1500000), (101, 2250000)],
)
def test_counseling_staff_rounds_up_per_50_schools(r113, n, expected):
    assert counseling_staff(n, r113) == expected


# ------------------------------------------------------------------ 1c IT staff
@pytest.mark.parametrize(
    ("n", "persons"),
    [(50, 1), (51, 2), (200, 4), (201, 5), (250, 5), (251, 5), (1000, 5)],
)
def test_it_staff_caps_at_five_persons(r113, n, persons):
    assert it_staff(n, r113) == 750000 * persons


# ------------------------------------------------------------------ 2 substitute teaching
def test_nhi_premium_rounds_exact_half_up(r113):
    # 5000 × 211 / 10000 = 105.5 exactly → 106
    assert nhi_premium(5000, r113) == 106


def test_nhi_premium_rounds_below_half_down(r113):
    # 5900 × 211 / 10000 = 124.49 → 124
    assert nhi_premium(5900, r113) == 124


def test_nhi_premium_is_exact_on_round_base(r113):
    assert nhi_premium(100000, r113) == 2110
    assert nhi_premium(0, r113) == 0


@pytest.mark.parametrize(("level", "rate"), [("國小", 336), ("國中", 378), ("高中", 420)])
def test_substitute_teaching_uses_level_rate(r113, level, rate):
    base = 100 * rate
    assert substitute_teaching(_schools(1, level), 100, r113) == base + nhi_premium(base, r113)


def test_substitute_teaching_rounds_premium_on_item_total(r113):
    # Two 國小 × 3 periods: base 2016; 2016 × 0.0211 = 42.5376 → 43.
    # Rounding each school (1008 → 21.2688 → 21) would give only 42.
    assert substitute_teaching(_schools(2), 3, r113) == 2016 + 43


# ------------------------------------------------------------------ 3, 4a, 4b
def test_teacher_training_charges_per_session(r113):
    assert teacher_training(0, r113) == 0
    assert teacher_training(7, r113) == 210000


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, 600000),
        (20, 600000),
        (21, 625000),
        (395, 9975000),
        (396, 10000000),
        (397, 10000000),
        (5000, 10000000),
    ],
)
def test_office_operations_at_base_and_cap(r113, n, expected):
    assert office_operations(n, r113) == expected


def test_school_companion_adds_outside_office_cap(r113):
    est = estimate(_schools(400), r113, companion_schools=10)
    assert est.items["office_operations"] == 10000000
    assert est.items["school_companion"] == 200000


def _within_cap(rules):
    companion = rules.budget.school_companion.model_copy(update={"within_office_cap": True})
    budget = rules.budget.model_copy(update={"school_companion": companion})
    return rules.model_copy(update={"budget": budget})


@pytest.mark.parametrize(
    ("n", "office", "companion"),
    [(20, 600000, 200000), (395, 9975000, 25000), (396, 10000000, 0), (400, 10000000, 0)],
)
def test_school_companion_shares_office_cap_when_rules_say_within(r113, n, office, companion):
    est = estimate(_schools(n), _within_cap(r113), companion_schools=10)
    assert (est.items["office_operations"], est.items["school_companion"]) == (office, companion)


def test_school_companion_refuses_negative_office(r113):
    with pytest.raises(InputError) as exc:
        school_companion(1, r113, office=-1)
    assert exc.value.where == "office"


def test_school_companion_refuses_negative_count(r113):
    with pytest.raises(InputError) as exc:
        school_companion(-1, r113)
    assert exc.value.where == "companion_schools"


# ------------------------------------------------------------------ 7 administration fee
@pytest.mark.parametrize(
    ("business", "expected"),
    [
        (0, 0),
        (9, 0),  # 0.9 floored
        (2999999, 299999),  # 299,999.9 floored
        (3000000, 300000),  # exactly 10 %
        (3000001, 300000),  # + 0.05 floored
        (3000020, 300001),  # + 1.00
        (8999999, 599999),  # 300,000 + 299,999.95 floored
        (9000000, 600000),  # 300,000 + 300,000 = cap exactly
        (9000020, 600000),  # 600,001 capped
        (50000000, 600000),
    ],
)
def test_administration_fee_at_threshold_and_cap(r113, business, expected):
    assert administration_fee(business, r113) == expected


def test_administration_fee_refuses_negative_business(r113):
    with pytest.raises(InputError) as exc:
        administration_fee(-1, r113)
    assert exc.value.where == "business"


# ------------------------------------------------------------------ the whole estimate
MIXED = [
    SchoolFacts("國小", True, 6, 10, 60),
    SchoolFacts("國小", False, 12, 25, 300),
    SchoolFacts("國中", True, 3, 8, 40),
    SchoolFacts("國中", False, 20, 45, 600),
    SchoolFacts("高中", False, 30, 80, 900),
]


def test_estimate_matches_hand_computation_for_mixed_schools(r113):
    est = estimate(
        MIXED,
        r113,
        workshops=4,
        companion_schools=2,
        devices=100,
        mdm_fee=1200,
        periods_per_school=10,
        per_head=10,
    )
    expected = {
        "admin_staff": 650000,  # n = 5 ≤ 60 → 1 person
        "counseling_staff": 750000,  # ceil(5 / 50) = 1
        "it_staff": 750000,  # min(5, ceil(5 / 50)) = 1
        # 10 × (336 + 336 + 378 + 378 + 420) = 18,480; × 0.0211 = 389.928 → 390
        "substitute_teaching": 18870,
        "teacher_training": 120000,  # 4 × 30,000
        "office_operations": 600000,  # n ≤ 20
        "school_companion": 40000,  # 2 × 20,000
        "mdm_licences": 120000,  # 100 × 1,200
        # heads = teachers 168 + students 1,900 = 2,068; × 10
        "digital_content": 20680,
        # B = 120,000 + 600,000 + 40,000 + 120,000 + 20,680 = 900,680; 10 % = 90,068
        "administration": 90068,
    }
    assert est.items == expected
    assert est.business_total == 900680
    # 650,000 + 750,000 + 750,000 + 18,870 + 900,680 + 90,068
    assert est.total == 3159618
    assert est.schools == 5


def test_estimate_to_dict_has_exact_shape(r113):
    data = estimate(MIXED, r113).to_dict()
    assert set(data) == {"year", "schools", "items", "business_total", "total"}
    assert tuple(data["items"]) == ITEM_KEYS
    assert data["year"] == 113
    assert all(type(v) is int for v in data["items"].values())


def test_estimate_uses_rules_per_head_when_not_given(r113):
    # The 113 plan publishes no per-head amount: default 0.
    assert estimate(MIXED, r113).items["digital_content"] == 0


def test_estimate_caps_office_but_not_other_items_for_large_county(r113):
    est = estimate(_schools(397), r113)
    assert est.items["admin_staff"] == 1950000
    assert est.items["counseling_staff"] == 750000 * 8
    assert est.items["it_staff"] == 750000 * 5
    assert est.items["office_operations"] == 10000000
    assert est.items["administration"] == 600000


@pytest.mark.parametrize(
    "option",
    ["workshops", "companion_schools", "devices", "mdm_fee", "periods_per_school", "per_head"],
)
def test_estimate_refuses_negative_option(r113, option):
    with pytest.raises(InputError) as exc:
        estimate(MIXED, r113, **{option: -1})
    assert exc.value.where == option


def test_estimate_refuses_float_option(r113):
    with pytest.raises(InputError):
        estimate(MIXED, r113, workshops=1.5)


def test_school_facts_refuses_unknown_level():
    with pytest.raises(InputError) as exc:
        SchoolFacts("大學", False, 1, 1, 1)
    assert exc.value.where == "level"


def test_school_facts_refuses_negative_teachers():
    with pytest.raises(InputError) as exc:
        SchoolFacts("國小", False, 1, -1, 1)
    assert exc.value.where == "teachers"
