"""The 收支結算表 and the tranche rules of the 核撥結報作業要點: pure, exact integer money.

The ratio D = B / A is kept as an exact Fraction; only G, the amount to return, is
rounded, once, at the very end, so no intermediate step can lose or invent a 元.

>>> s = statement(1_000_000, 1_000_000, 1_000_000, 950_000)
>>> (s.F, s.G, s.to_return, s.owed_to_county)
(50000, 50000, 50000, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rules.errors import InputError
from rules.schema import YearRules

BP = 10000  # basis points in a whole


def money(value: int) -> str:
    # The same 12,345 as vocab.display.amount; rules stay free of the forms package.
    return f"{value:,}"


def _whole(where: str, value: object) -> int:
    # bool is an int subclass; True 元 would be nonsense, so refuse it too.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(where, f"須為整數（元），收到 {value!r}")
    if value < 0:
        raise InputError(where, f"不可為負數，收到 {value}")
    return value


def round_half_up(value: Fraction) -> int:
    """四捨五入 to whole 元; a tie rounds away from zero, so −1.5 becomes −2 as 1.5 becomes 2.

    Symmetric so that what the county owes and what it is owed round the same way.
    """
    magnitude = (2 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


@dataclass(frozen=True)
class Statement:
    """收支結算表: A approved plan amount, B approved subsidy, C disbursed, D = B / A,
    E actual spending, F = A − E (unspent), G = F × D − (B − C), the amount to return.

    A negative G means the county received less than the ministry's share of what it
    spent: the ministry owes the county −G. That is reported (owed_to_county), never
    stored as a negative return: to_return is then 0.
    """

    A: int
    B: int
    C: int
    D: Fraction
    E: int
    F: int
    G: int

    @property
    def to_return(self) -> int:
        return max(self.G, 0)

    @property
    def owed_to_county(self) -> int:
        return max(-self.G, 0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe: D as its exact numerator and denominator, never a float."""
        return {
            "A": self.A,
            "B": self.B,
            "C": self.C,
            "D": {"numerator": self.D.numerator, "denominator": self.D.denominator},
            "E": self.E,
            "F": self.F,
            "G": self.G,
            "to_return": self.to_return,
            "owed_to_county": self.owed_to_county,
        }


def statement(A: int, B: int, C: int, E: int) -> Statement:
    """The 收支結算表 from whole-元 amounts.

    >>> statement(1_000_000, 750_000, 750_000, 999_994).G  # F × D = 6 × 3/4 = 4.5
    5
    """
    A, B, C, E = (_whole(k, v) for k, v in (("A", A), ("B", B), ("C", C), ("E", E)))
    if A == 0:
        raise InputError("A", "核定計畫金額為 0，無法計算補助比率 D = B / A")
    D = Fraction(B, A)
    F = A - E
    G = round_half_up(F * D - (B - C))
    return Statement(A=A, B=B, C=C, D=D, E=E, F=F, G=G)


def statement_from_dict(data: dict[str, Any]) -> Statement:
    """The inverse of Statement.as_dict, for figures read back from storage."""
    d = data["D"]
    return Statement(
        A=data["A"],
        B=data["B"],
        C=data["C"],
        D=Fraction(d["numerator"], d["denominator"]),
        E=data["E"],
        F=data["F"],
        G=data["G"],
    )


# ------------------------------------------------------------------ tranches (point 8-1)
def _share(value: int, bp: int) -> int:
    """The largest whole 元 not above value × bp / 10000: a cap is never rounded up."""
    return value * bp // BP


def tranche_limit(
    plan_amount: int,
    already_disbursed: int,
    requested: int,
    rules: YearRules,
    final: bool = False,
    *,
    subsidy: int | None = None,
) -> str | None:
    """None when the ministry may disburse `requested` now, else why not (zh-TW).

    The band is chosen by the plan amount; its percentages apply to the subsidy (B),
    which under full subsidy equals the plan amount. `final` is the tranche paid after
    the final accounts, the only one that may reach into the held-back share.
    Comparisons are exact (requested × 10000 against B × bp), never rounded.
    """
    plan_amount = _whole("plan_amount", plan_amount)
    already = _whole("already_disbursed", already_disbursed)
    requested = _whole("requested", requested)
    subsidy = plan_amount if subsidy is None else _whole("subsidy", subsidy)
    if requested == 0:
        return "撥款金額須大於 0 元。"
    total = already + requested
    if total > subsidy:
        return (
            f"累計撥款 {money(total)} 元（已撥 {money(already)} 元＋本次 {money(requested)} 元）"
            f"超過核定補助金額 {money(subsidy)} 元。"
        )
    band = rules.disbursement.band_for(plan_amount)
    if already == 0 and requested * BP > subsidy * band.first_tranche_max_bp:
        return (
            f"計畫金額 {money(plan_amount)} 元，第一期撥款至多為補助金額的 "
            f"{_percent(band.first_tranche_max_bp)}（{money(_share(subsidy, band.first_tranche_max_bp))} 元），"
            f"本次 {money(requested)} 元超過上限。"
        )
    keep_bp = BP - band.holdback_min_bp
    if not final and band.holdback_min_bp and total * BP > subsidy * keep_bp:
        return (
            f"計畫金額 {money(plan_amount)} 元，須保留至少 {_percent(band.holdback_min_bp)} "
            f"補助款待結報後撥付：結報前累計撥款至多 {money(_share(subsidy, keep_bp))} 元，"
            f"本次撥款後將達 {money(total)} 元。"
        )
    return None


def _percent(bp: int) -> str:
    whole, rest = divmod(bp, 100)
    return f"{whole} %" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + " %"


# ------------------------------------------------------------------ 資本門
def is_capital(
    life_years: int, unit_cost: int, rules: YearRules, *, software: bool = False
) -> bool:
    """資本門 when the thing lasts at least min_life_years and costs at least min_unit_cost.

    Software counts like any other thing when the year's rules include it; otherwise
    software is always 經常門.
    """
    life_years = _whole("life_years", life_years)
    unit_cost = _whole("unit_cost", unit_cost)
    cap = rules.capital
    if software and not cap.includes_software:
        return False
    return life_years >= cap.min_life_years and unit_cost >= cap.min_unit_cost
