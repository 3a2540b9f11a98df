"""Per-school targets: 數位學習工作坊(一)(二) trained teachers against 編制 (伍、三、(三)2.(2))
and learning devices against 貳、二 — the arithmetic, the attendance, the imports, and
the schools short in the results document and the sweep, on SQLite and PostgreSQL."""

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select

from demo.generate import generate
from flows.jobs import run
from forms.render import render
from imports.school_target_lists import import_devices, import_workshop_baseline
from imports.tabular import ImportRejected
from model.db import session_scope
from model.tables import (
    County,
    Finding,
    School,
    SchoolDevices,
    User,
    WorkshopAttendance,
    WorkshopBaseline,
)
from rules import load_rules
from rules.school_targets import all_met, device_standing, devices_needed, workshop_standing
from states.errors import TransitionRefused
from states.workshop import parse_attendees
from tests.cli_env import configured
from tests.cli_env import run as jingjin
from workflow.activities import record_activity
from workflow.school_targets import device_standings, workshop_standings
from workflow.targets_progress import progress

RULES = load_rules(113)
TODAY = date(2024, 10, 1)
COUNTY = "新竹縣"
OTHER_COUNTY_CODE = "014601"  # a 新北市 code; the demo loads only 新竹縣
NATIONAL_CODE = "013601"  # not in any county's 附錄 list (國立 schools are not)


def _rules_with(**devices):
    d = RULES.targets.devices.model_copy(update=devices)
    return RULES.model_copy(update={"targets": RULES.targets.model_copy(update={"devices": d})})


# ------------------------------------------------------------------ pure arithmetic
@pytest.mark.parametrize(
    "classes, sets",
    [(0, 0), (1, 1), (5, 1), (6, 1), (7, 2), (12, 2), (13, 3), (18, 3), (19, 4)],
)
def test_non_remote_school_needs_one_class_set_per_six_classes_rounded_up(classes, sets):
    assert devices_needed(False, classes, 30, 500, RULES) == sets


def test_floor_reading_of_the_class_sets_is_a_rules_file_choice():
    floor = _rules_with(class_set_rounding="floor")
    assert [devices_needed(False, c, 0, 0, floor) for c in (5, 6, 12, 13, 17, 18)] == [
        0, 1, 2, 2, 2, 3,
    ]  # fmt: skip


def test_remote_school_needs_one_device_per_teacher_and_student():
    assert devices_needed(True, 6, 9, 41, RULES) == 50
    assert devices_needed(True, 6, 9, 41, _rules_with(remote_includes_teachers=False)) == 41


@pytest.mark.parametrize(
    "remote, classes, devices, sets, met",
    [
        (True, 6, 50, 0, True),  # devices = teachers + students
        (True, 6, 49, 0, False),  # one fewer
        (True, 6, None, None, False),  # nothing imported
        (False, 12, 0, 2, True),
        (False, 13, 0, 2, False),
        (False, 13, 0, 3, True),
        (False, 13, 500, 0, False),  # single devices do not make a class set
    ],
)
def test_device_standing_at_the_boundaries(remote, classes, devices, sets, met):
    standing = device_standing(1, "049001", "甲校", remote, classes, 9, 41, devices, sets, RULES)
    assert standing.met is met
    assert standing.short == (0 if met else standing.need - standing.have)


@pytest.mark.parametrize(
    "staff, baseline, trained, counted, met, short",
    [
        (20, 15, 5, 20, True, 0),  # exactly 100 %
        (20, 15, 4, 19, False, 1),  # one short
        (20, 20, 3, 20, True, 0),  # never above 編制
        (0, 0, 0, 0, True, 0),
    ],
)
def test_workshop_standing_counts_baseline_plus_year_capped_at_staff(
    staff, baseline, trained, counted, met, short
):
    s = workshop_standing(1, "049001", "甲校", staff, baseline, trained, RULES)
    assert (s.counted, s.met, s.short) == (counted, met, short)


def test_county_meets_only_when_every_school_does():
    met = workshop_standing(1, "049001", "甲", 10, 10, 0, RULES)
    short = workshop_standing(2, "049002", "乙", 10, 9, 0, RULES)
    assert all_met([met, met]) and not all_met([met, short])


def test_parse_attendees_reads_pasted_sheets_and_names_each_bad_line():
    text = "049001\t王小明\n\n049001, 李 大同\n049002　陳一\n49001 林二\n049003\n049001 王小明"
    attendees, problems = parse_attendees(text)
    assert [(a.line, a.school_code, a.teacher) for a in attendees] == [
        (1, "049001", "王小明"), (3, "049001", "李大同"), (4, "049002", "陳一"),
    ]  # fmt: skip
    assert [p.split("「")[0] for p in problems] == ["第 5 行", "第 6 行", "第 7 行"]
    assert "6 位數字" in problems[0] and "姓名" in problems[1] and "第 1 行重複" in problems[2]


# ------------------------------------------------------------------ attendance on both databases
@pytest.fixture
def demo(session) -> Session:
    generate(session, story=False)
    return session


def _staff(session: Session) -> User:
    return session.exec(select(User).where(User.username == "hsq.staff1")).one()


def _schools(session: Session) -> list[School]:
    county_id = _staff(session).county_id
    return list(
        session.exec(select(School).where(School.county_id == county_id).order_by(School.seq))
    )


def _workshop(session: Session, parts, *lines: str, held_on=date(2024, 5, 1)):
    return record_activity(
        session, _staff(session), "training.workshop", year=113, held_on=held_on,
        evidence_ref="簽到表", parts=parts, attendees="\n".join(lines), today=TODAY,
    )  # fmt: skip


def _trained(session: Session) -> dict[str, int]:
    standings = workshop_standings(session, _staff(session).county_id, RULES)
    return {s.code: s.trained for s in standings if s.trained}


def test_a_teacher_counts_once_and_only_after_both_parts(demo):
    a, b = _schools(demo)[:2]
    _workshop(demo, [1], f"{a.code} 王小明", f"{a.code} 李大同", f"{b.code} 陳一")
    _workshop(demo, [1], f"{a.code} 李大同", held_on=date(2024, 5, 2))  # (一) twice
    assert _trained(demo) == {}
    _workshop(demo, [2], f"{a.code} 王 小明", held_on=date(2024, 6, 1))  # spacing aside
    _workshop(demo, [2], f"{a.code} 王小明", held_on=date(2024, 6, 2))  # (二) again
    assert _trained(demo) == {a.code: 1}
    _workshop(demo, [1, 2], f"{b.code} 林二", held_on=date(2024, 6, 3))  # both in one day
    assert _trained(demo) == {a.code: 1, b.code: 1}


def test_attendees_outside_the_county_list_are_kept_but_not_counted(demo):
    a = _schools(demo)[0]
    sheet = (f"{a.code} 王小明", f"{NATIONAL_CODE} 國立教師", f"{OTHER_COUNTY_CODE} 他縣教師")
    recorded = _workshop(demo, [1, 2], *sheet)
    assert recorded.outsiders == 2
    assert (recorded.activity.teachers, recorded.activity.participants) == (1, 3)
    rows = demo.exec(select(WorkshopAttendance.school_code, WorkshopAttendance.school_id)).all()
    assert len(rows) == 6  # every attendee at both parts
    assert {code for code, school_id in rows if school_id is None} == {
        NATIONAL_CODE, OTHER_COUNTY_CODE
    }  # fmt: skip
    assert _trained(demo) == {a.code: 1}


def test_a_workshop_without_parts_or_with_bad_lines_is_refused_and_nothing_stored(demo):
    a = _schools(demo)[0]
    for parts, lines in (([], [f"{a.code} 王小明"]), ([1], ["王小明"]), ([3], [f"{a.code} 王"]),
                         ([1], [])):  # fmt: skip
        with pytest.raises(TransitionRefused) as caught:
            _workshop(demo, parts, *lines)
        assert caught.value.rule_ids == ["activity.workshop_attendees"]
    assert demo.exec(select(func.count()).select_from(WorkshopAttendance)).one() == 0


# ------------------------------------------------------------------ imports
def _csv(path: Path, header, rows, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def _baseline(session: Session, tmp_path: Path, values: dict[str, int], **kw) -> None:
    rows = [[code, str(n)] for code, n in values.items()]
    path = _csv(tmp_path / "baseline.csv", ["學校代碼", "累計培訓教師數"], rows, **kw)
    import_workshop_baseline(session, path, 113)


def test_baseline_plus_this_year_is_cumulative_and_the_county_meets_when_all_do(demo, tmp_path):
    schools = _schools(demo)
    a, b = schools[:2]
    full = {s.code: s.teachers for s in schools}
    _baseline(demo, tmp_path, {**full, a.code: a.teachers - 1, b.code: b.teachers - 2})
    county_id = _staff(demo).county_id
    _workshop(demo, [1, 2], f"{a.code} 王小明", f"{b.code} 陳一")
    standings = {s.code: s for s in workshop_standings(demo, county_id, RULES)}
    assert standings[a.code].met and standings[a.code].counted == a.teachers  # exactly 100 %
    assert not standings[b.code].met and standings[b.code].short == 1  # one short
    assert not all_met(standings.values())
    total = sum(full.values())
    assert progress(demo, county_id, 113)["workshop_teachers"].achieved == total - 1
    _workshop(demo, [1, 2], f"{b.code} 林二", held_on=date(2024, 5, 2))
    assert all_met(workshop_standings(demo, county_id, RULES))
    assert progress(demo, county_id, 113)["workshop_teachers"].achieved == total


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp950"])
def test_baseline_import_reads_each_encoding_and_xlsx_and_twice_changes_nothing(
    demo, tmp_path, encoding
):
    a, b = _schools(demo)[:2]
    path = _csv(tmp_path / "b.csv", ["學校代碼", "111-112年累計培訓教師數"],
                [[a.code, "3"], [b.code, "0"]], encoding)  # fmt: skip
    first = import_workshop_baseline(demo, path, 113)
    assert (first.inserted, first.by_county) == (2, {COUNTY: 2})
    book = Workbook()
    book.active.append(["學校代碼", "累計培訓教師數"])
    book.active.append([a.code, 3])
    book.active.append([b.code, 0])
    book.save(tmp_path / "b.xlsx")
    again = import_workshop_baseline(demo, tmp_path / "b.xlsx", 113)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    stored = demo.exec(select(WorkshopBaseline.teachers).order_by(WorkshopBaseline.id)).all()
    assert stored == [3, 0]


def test_a_bad_baseline_file_stores_nothing_and_lists_every_bad_row(demo, tmp_path):
    a, b, c = _schools(demo)[:3]
    rows = [
        [a.code, "5"],  # row 2: fine
        ["49001", "1"],  # row 3: Excel dropped the zero
        [NATIONAL_CODE, "1"],  # row 4: not in the list (國立)
        [b.code, "2.5"],  # row 5
        [c.code, str(c.teachers + 1)],  # row 6: above 編制
        [a.code, "5"],  # row 7: repeats row 2
    ]
    path = _csv(tmp_path / "bad.csv", ["學校代碼", "累計培訓教師數"], rows)
    with pytest.raises(ImportRejected) as caught:
        import_workshop_baseline(demo, path, 113)
    assert caught.value.rows == [3, 4, 5, 6, 7]
    text = str(caught.value)
    assert "未匯入任何資料" in text and "國立學校" in text and "編制教師數" in text
    assert "與第 2 列重複" in text
    assert demo.exec(select(func.count()).select_from(WorkshopBaseline)).one() == 0


def _devices(session, tmp_path, rows, name="devices.csv"):
    path = _csv(tmp_path / name, ["學校代碼", "學習載具數", "班級載具套數"], rows)
    return import_devices(session, path, 113)


def test_devices_import_and_each_schools_standing(demo, tmp_path):
    schools = _schools(demo)
    remote = next(s for s in schools if s.remote)
    other = next(s for s in schools if not s.remote and s.classes % 6)
    persons = remote.teachers + remote.students
    need = -(-other.classes // 6)
    _devices(demo, tmp_path, [[remote.code, str(persons), ""], [other.code, "", str(need - 1)]])
    county_id = _staff(demo).county_id
    by_code = {s.code: s for s in device_standings(demo, county_id, RULES)}
    assert by_code[remote.code].met and by_code[remote.code].have == persons
    assert not by_code[other.code].met and by_code[other.code].short == 1
    got = progress(demo, county_id, 113)
    assert got["remote_one_device_schools"].achieved == 1
    assert got["non_remote_class_set_schools"].achieved == 0
    _devices(demo, tmp_path, [[remote.code, str(persons - 1), "0"]], "again.csv")
    assert not {s.code: s for s in device_standings(demo, county_id, RULES)}[remote.code].met


def test_devices_import_requires_the_column_that_measures_the_school(demo, tmp_path):
    schools = _schools(demo)
    remote = next(s for s in schools if s.remote)
    other = next(s for s in schools if not s.remote)
    with pytest.raises(ImportRejected) as caught:
        _devices(demo, tmp_path, [[remote.code, "", "3"], [other.code, "40", ""], [other.code, "-1", "1"]])  # fmt: skip
    assert caught.value.rows == [2, 3, 4]
    assert demo.exec(select(func.count()).select_from(SchoolDevices)).one() == 0


# ------------------------------------------------------------------ results document and sweep
def test_results_document_lists_the_schools_short(demo, tmp_path):
    schools = _schools(demo)
    a, b = schools[:2]
    _baseline(demo, tmp_path, {**{s.code: s.teachers for s in schools}, b.code: b.teachers - 1})
    rows = [[s.code, str(s.teachers + s.students), "0"] if s.remote
            else [s.code, "0", str(-(-s.classes // 6))] for s in schools[1:]]  # fmt: skip
    _devices(demo, tmp_path, rows)
    html = render(demo, "results", COUNTY, 113, "html", draft=True).decode()
    short = html.split("未達編制教師總數之學校")[1]
    assert b.name in short.split("學習載具未達配發標準之學校")[0]
    assert a.name not in short.split("學習載具未達配發標準之學校")[0]
    devices = html.split("學習載具未達配發標準之學校")[1]
    assert a.name in devices and "尚未匯入載具數" in devices and b.name not in devices


def _short_findings(engine, rule_id: str) -> list[Finding]:
    with Session(engine) as session:
        return list(session.exec(select(Finding).where(Finding.rule_id == rule_id)))


def test_sweep_files_one_finding_per_county_listing_its_schools_short(engine, tmp_path):
    with session_scope(engine) as session:
        generate(session, year=113, county_name=COUNTY, story=False)
        schools = _schools(session)
        short = schools[:2]
        _baseline(session, tmp_path, {s.code: s.teachers for s in schools[2:]})
        county_id = session.exec(select(County.id).where(County.name == COUNTY)).one()
    run.sweep(engine, date(2024, 12, 31))  # the year's targets fall due after 12-31
    assert _short_findings(engine, "workshop.schools_short") == []
    run.sweep(engine, date(2025, 1, 2))
    (finding,) = _short_findings(engine, "workshop.schools_short")
    assert (finding.subject_type, finding.subject_id) == ("county", county_id)
    assert all(s.name in finding.message for s in short)
    assert "尚有 2 校" in finding.message and schools[2].name not in finding.message
    (devices,) = _short_findings(engine, "devices.schools_short")
    assert f"尚有 {len(schools):,} 校" in devices.message  # nothing imported yet
    with session_scope(engine) as session:
        _baseline(session, tmp_path, {s.code: s.teachers for s in short})
    run.sweep(engine, date(2025, 1, 3))
    (finding,) = _short_findings(engine, "workshop.schools_short")
    assert finding.resolved_on == date(2025, 1, 3)


# ------------------------------------------------------------------ the commands
REAL_LIST = Path("/work/shared/data/schools-113-elementary.csv")


def test_import_commands_report_by_county_and_refuse_bad_rows(monkeypatch, tmp_path):
    with REAL_LIST.open(encoding="utf-8", newline="") as f:
        first, second = list(csv.reader(f))[1:3]  # (code, 編制) at columns 2 and 11
    good = _csv(tmp_path / "b.csv", ["學校代碼", "累計培訓教師數"],
                [[first[2], first[11]], [second[2], "0"]])  # fmt: skip
    bad = _csv(tmp_path / "d.csv", ["學校代碼", "學習載具數", "班級載具套數"],
               [[first[2], "10", "x"], ["999999", "1", "1"]])  # fmt: skip
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'jj.db'}") as runner:
        assert jingjin(runner, "db", "upgrade").exit_code == 0
        assert jingjin(runner, "schools", "import", str(REAL_LIST)).exit_code == 0
        ok = jingjin(runner, "workshops", "import-baseline", str(good), "--year", "113")
        again = jingjin(runner, "workshops", "import-baseline", str(good), "--year", "113")
        refused = jingjin(runner, "devices", "import", str(bad), "--year", "113")
    assert ok.exit_code == 0, ok.output
    assert "新增 2 筆" in ok.output and "新北市　2 校" in ok.output
    assert "新增 0 筆、更新 0 筆、未變更 2 筆" in again.output
    assert refused.exit_code == 2
    assert (
        "第 2 列 班級載具套數「x」" in refused.output
        and "第 3 列 學校代碼「999999」" in refused.output
    )
