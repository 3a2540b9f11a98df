"""rules/113.toml: every number sourced, validated, and broken copies named by key."""

import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from rules import RulesFileError, available_years, load_rules, load_rules_file
from rules.errors import JingjinError
from rules.schema import RULES_DIR, add_months

SOURCE = RULES_DIR / "113.toml"


def _broken(tmp_path: Path, old: str, new: str, name: str = "113.toml") -> Path:
    text = SOURCE.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _error(path: Path) -> RulesFileError:
    with pytest.raises(RulesFileError) as exc:
        load_rules_file(path)
    return exc.value


# ------------------------------------------------------------------ the real file
def test_load_rules_reads_113_numbers():
    r = load_rules(113)
    assert r.period.start == date(2024, 1, 1)
    assert r.period.end == date(2025, 1, 31)
    assert r.budget.admin_staff.per_person == 650000
    assert [(b.min_schools, b.max_schools, b.persons) for b in r.budget.admin_staff.bands] == [
        (1, 60, 1),
        (61, 180, 2),
        (181, None, 3),
    ]
    assert r.budget.counseling_staff.schools_per_person == 50
    assert r.budget.counseling_staff.rounding == "ceil"
    assert r.budget.it_staff.max_persons == 5
    assert (r.budget.part_time_pi.min_monthly, r.budget.part_time_pi.max_monthly) == (5000, 8000)
    assert (r.budget.part_time_co_pi.min_monthly, r.budget.part_time_co_pi.max_monthly) == (
        4000,
        6000,
    )
    assert r.budget.substitute_teaching.rates == {"國小": 336, "國中": 378, "高中": 420}
    assert r.budget.substitute_teaching.nhi_premium_bp == 211
    assert r.budget.digital_content.per_head == 0
    assert r.budget.administration.cap == 600000


def test_load_rules_reads_software_and_deadlines():
    r = load_rules(113)
    assert r.software.approved_list_name == "校園數位內容與教學軟體選購名單"
    assert len(r.software.data_clause_products) == 6
    assert "Loilonote" in r.software.data_clause_products
    assert r.software.data_clause_text == (
        "配合介接教育體系身分認證服務及授權將資料或學習數據傳送至教育大數據指定之系統"
    )
    assert r.software.meeting.min_attendees_by_role == {
        "teacher": 1,
        "school_admin": 1,
        "office_member": 1,
    }
    assert r.software.disbursement_deadline.date == date(2024, 11, 30)
    assert r.software.disbursement_deadline.roll_to_working_day is False
    assert r.settlement.date == date(2025, 3, 31)
    assert r.settlement.roll_to_working_day is True
    assert r.reminders.offsets_working_days == (14, 7, 3, 1)
    assert [(s.to, s.after_working_days) for s in r.reminders.escalation] == [
        ("owner", 0),
        ("county_supervisor", 3),
        ("ministry", 5),
    ]


METHODS = ("small_purchase", "three_quotes", "open", "selective", "restricted")
ALLOWED_AT = {
    150000: set(METHODS),  # 小額採購 (≤ 公告金額十分之一): any method
    150001: set(METHODS) - {"small_purchase"},  # 公開取得 報價, 公開, 選擇性, 限制性
    1499999: set(METHODS) - {"small_purchase"},
    1500000: {"open", "selective", "restricted"},  # 公告金額: 公開 the rule (§19)
}


@pytest.mark.parametrize(
    ("amount", "method", "allowed"),
    [(a, m, m in ok) for a, ok in ALLOWED_AT.items() for m in METHODS],
)
def test_procurement_method_allowed_at_thresholds(amount, method, allowed):
    assert load_rules(113).procurement.method_allowed(amount, method) is allowed


def test_procurement_reason_required_for_selective_and_restricted_only():
    procurement = load_rules(113).procurement
    assert {m for m in METHODS if procurement.needs_reason(m)} == {"selective", "restricted"}


def test_procurement_county_cap_lowers_small_purchase_only_for_that_county(tmp_path):
    path = _broken(
        tmp_path,
        "county_small_purchase_max = {}",
        'county_small_purchase_max = { "臺北市" = 100000 }',
    )
    procurement = load_rules_file(path).procurement
    assert procurement.method_allowed(100000, "small_purchase", "臺北市")
    assert not procurement.method_allowed(100001, "small_purchase", "臺北市")
    assert procurement.method_allowed(100001, "three_quotes", "臺北市")
    assert procurement.method_allowed(150000, "small_purchase", "新竹縣")


@pytest.mark.parametrize(
    ("plan", "first_bp", "holdback_bp"),
    [(1499999, 10000, 0), (1500000, 3000, 0), (9999999, 3000, 0), (10000000, 3000, 500)],
)
def test_disbursement_band_for_plan_amount(plan, first_bp, holdback_bp):
    band = load_rules(113).disbursement.band_for(plan)
    assert (band.first_tranche_max_bp, band.holdback_min_bp) == (first_bp, holdback_bp)


def test_rules_file_cites_source_on_every_numbered_line():
    for number, line in enumerate(SOURCE.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        if re.search(r"\d", code):
            assert "#" in line, f"113.toml line {number} has no source comment: {line}"


def test_load_rules_caches_per_year_and_directory():
    assert load_rules(113) is load_rules(113)
    assert load_rules(113) is load_rules(113, RULES_DIR)


def test_year_rules_refuses_mutation():
    with pytest.raises(ValidationError):
        load_rules(113).year = 114


def test_available_years_lists_numeric_files(tmp_path):
    for name in ("113.toml", "114.toml", "notes.toml", "readme.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert available_years(tmp_path) == [113, 114]
    assert 113 in available_years()


# ------------------------------------------------------------------ broken copies
def test_load_rules_names_year_and_path_when_missing(tmp_path):
    with pytest.raises(RulesFileError) as exc:
        load_rules(999, tmp_path)
    assert "999" in str(exc.value)
    assert str(tmp_path) in str(exc.value)


def test_load_rules_refuses_year_mismatch(tmp_path):
    _broken(tmp_path, "year = 113", "year = 113", name="114.toml")
    with pytest.raises(RulesFileError) as exc:
        load_rules(114, tmp_path)
    assert exc.value.key == "year"


def test_load_rules_from_directory_reads_copy(tmp_path):
    _broken(tmp_path, "per_session = 30000", "per_session = 31000")
    assert load_rules(113, tmp_path).budget.teacher_training.per_session == 31000


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("cap = 10000000", "cap = 10000000.0", "budget.office_operations.cap"),
        ("cap = 10000000", "cap = true", "budget.office_operations.cap"),
        ("cap = 10000000", 'cap = "10000000"', "budget.office_operations.cap"),
        ("per_session = 30000", "per_session = -30000", "budget.teacher_training.per_session"),
        ('"國小" = 336', '"國小" = -336', "budget.substitute_teaching.rates.國小"),
        (
            "nhi_premium_bp = 211",
            "nhi_premium_bp = -211",
            "budget.substitute_teaching.nhi_premium_bp",
        ),
        ("cap = 10000000", "cap = 10000000\ncapp = 1", "budget.office_operations.capp"),
        ("per_school = 20000", "", "budget.school_companion.per_school"),
        ("max_monthly = 8000", "max_monthly = 4000", "budget.part_time_pi.max_monthly"),
        (
            "days_per_semester_max = 5",
            "days_per_semester_max = 2",
            "targets.companion.days_per_semester_max",
        ),
        ("min_schools = 61", "min_schools = 62", "budget.admin_staff.bands"),
        (
            "{ min_schools = 181, persons = 3 }",
            "{ min_schools = 181, max_schools = 500, persons = 3 }",
            "budget.admin_staff.bands",
        ),
        (
            "announcement_threshold = 1500000",
            "announcement_threshold = 150000",
            "procurement.announcement_threshold",
        ),
        (
            "county_small_purchase_max = {}",
            'county_small_purchase_max = { "臺北市" = 150001 }',
            "procurement.county_small_purchase_max",
        ),
        ('small = ["small_purchase",', 'small = ["restricted_justified",', "procurement.methods"),
        ("end = 2025-01-31", "end = 2023-12-31", "period.end"),
        ("start = 2024-01-01", "start = 1990-01-01", "period.start"),
        ('rounding = "ceil"', 'rounding = "round"', "budget.counseling_staff.rounding"),
        ("2024-02-17,  #", "2024-02-19,  #", "calendar.makeup_workdays"),
        ("2024-02-17,  #", "2024-02-14,  #", "calendar.makeup_workdays"),
        ("2025-12-25,", "2026-12-25,", "calendar.holidays"),
        ("[14, 7, 3, 1]", "[7, 14, 3, 1]", "reminders.offsets_working_days"),
        (
            'to = "ministry", after_working_days = 5',
            'to = "ministry", after_working_days = 2',
            "reminders.escalation",
        ),
        ("teacher = 1,", "principal = 1,", "software.meeting.min_attendees_by_role.principal"),
        ("date = 2024-11-30", "date = 2025-11-30", "software.disbursement_deadline.date"),
        ("date = 2025-03-31", "date = 2026-03-31", "settlement.date"),
        ("first_year = 2024", "first_year = 2025", "calendar.holidays"),
    ],
)
def test_load_rules_file_names_broken_key(tmp_path, old, new, key):
    error = _error(_broken(tmp_path, old, new))
    assert error.key.startswith(key), (error.key, error.problem)
    assert str(error).startswith(f"rules/113.toml: {error.key}: ")
    assert isinstance(error, JingjinError)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        # The settlement date is the plan's end plus the months: the two must agree.
        ("date = 2025-03-31", "date = 2025-03-28", "settlement.date"),
        ("months_after_plan_end = 2", "months_after_plan_end = 3", "settlement.date"),
        # One set of tranche bands per year: they must be in force when the plan starts.
        (
            "effective_from = 2024-01-01",
            "effective_from = 2024-01-02",
            "disbursement.effective_from",
        ),
    ],
)
def test_load_rules_file_refuses_disagreeing_dates(tmp_path, old, new, key):
    error = _error(_broken(tmp_path, old, new))
    assert error.key == key, (error.key, error.problem)


def test_load_rules_file_accepts_settlement_moved_with_its_months(tmp_path):
    path = _broken(tmp_path, "months_after_plan_end = 2", "months_after_plan_end = 1")
    path.write_text(path.read_text(encoding="utf-8").replace(
        "date = 2025-03-31", "date = 2025-02-28", 1), encoding="utf-8")  # fmt: skip
    assert load_rules_file(path).settlement.date == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 2, date(2025, 3, 31)),  # month-end stays month-end
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 1, date(2024, 3, 31)),
        (date(2024, 11, 30), 2, date(2025, 1, 31)),
        (date(2025, 1, 15), 2, date(2025, 3, 15)),  # any other day keeps its number
        (date(2025, 1, 30), 1, date(2025, 2, 28)),  # … shortened in a short month
    ],
)
def test_add_months_keeps_month_end(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('timezone = "Asia/Taipei"', "facts.timezone"),
        ("accounting_year_start_month = 1", "facts.accounting_year_start_month"),
        ("hardware_allowed = false", "software.hardware_allowed"),
        ("classes_per_class_set = 6", "targets.classes_per_class_set"),
        ("senior_high_questionnaire_all = true", "targets.sampling.senior_high_questionnaire_all"),
    ],
)
def test_load_rules_file_refuses_settings_nothing_reads(tmp_path, line, key):
    # Deleted because no formula or guard read them; putting one back is an error.
    section = "[" + key.rpartition(".")[0] + "]"
    error = _error(_broken(tmp_path, f"\n{section}\n", f"\n{section}\n{line}\n"))
    assert (error.key, error.problem) == (key, "不認得的設定 (拼錯或多餘)")


def test_clock_runs_in_configured_zone(monkeypatch):
    from config import clock
    from config.settings import get_settings

    monkeypatch.setenv("JINGJIN_TIMEZONE", "UTC")
    get_settings.cache_clear()
    clock.zone.cache_clear()
    try:
        assert clock.now().tzinfo == ZoneInfo("UTC")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        clock.zone.cache_clear()
    assert clock.now().tzinfo == ZoneInfo("Asia/Taipei")


def test_settings_refuse_unknown_timezone(monkeypatch):
    from config.settings import Settings

    monkeypatch.setenv("JINGJIN_TIMEZONE", "Asia/Taipie")
    with pytest.raises(ValidationError, match="JINGJIN_TIMEZONE"):
        Settings()


def test_load_rules_file_reports_toml_syntax_error(tmp_path):
    error = _error(_broken(tmp_path, "year = 113", "year = = 113"))
    assert "113.toml" in str(error)
