"""Per-school targets: 數位學習工作坊(一)(二) trained teachers (伍、三、(三)2.(2)) and
learning devices (貳、二). Pure: plain numbers in, integer arithmetic only.

A county meets either target only when every one of its schools does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rules.budget import BP, ceil_ratio, floor_ratio
from rules.schema import YearRules

WORKSHOP_PARTS = (1, 2)  # 數位學習工作坊(一) and (二): a teacher counts after both
PART_LABELS = {1: "數位學習工作坊(一)", 2: "數位學習工作坊(二)"}


@dataclass(frozen=True)
class WorkshopStanding:
    """One school: 編制 teachers, trained up to 112 (baseline) and trained in the year."""

    school_id: int
    code: str
    name: str
    staff: int  # 112年編制教師數
    baseline: int  # 111–112 cumulative, as imported
    trained: int  # distinct teachers of the school who completed (一) and (二) this year
    required: int

    @property
    def counted(self) -> int:
        # Never above 編制: teachers trained in 111 may since have left and been replaced.
        return min(self.staff, self.baseline + self.trained)

    @property
    def met(self) -> bool:
        return self.counted >= self.required

    @property
    def short(self) -> int:
        return max(0, self.required - self.counted)


def workshop_required(staff: int, rules: YearRules) -> int:
    """「每校…累計培訓教師數須達編制教師總數 100%」, rounded up."""
    return ceil_ratio(staff, rules.targets.workshop_teachers_bp, BP)


def workshop_standing(
    school_id: int, code: str, name: str, staff: int, baseline: int, trained: int,
    rules: YearRules,
) -> WorkshopStanding:  # fmt: skip
    return WorkshopStanding(school_id, code, name, staff, baseline, trained,
                            workshop_required(staff, rules))  # fmt: skip


@dataclass(frozen=True)
class DeviceStanding:
    """One school's devices on hand against what 貳、二 asks of it."""

    school_id: int
    code: str
    name: str
    remote: bool
    have: int  # remote: devices; otherwise class sets
    need: int
    imported: bool  # the school's devices were imported at all
    standard: str = ""  # the rule in words, e.g. 非偏遠：每 6 班 1 班載具

    @property
    def met(self) -> bool:
        return self.have >= self.need

    @property
    def short(self) -> int:
        return max(0, self.need - self.have)

    @property
    def unit(self) -> str:
        return "臺" if self.remote else "班"


def devices_needed(remote: bool, classes: int, teachers: int, students: int,
                   rules: YearRules) -> int:  # fmt: skip
    """偏遠: one device per person; otherwise one class set per 6 classes (rounded by
    the rules file's reading)."""
    d = rules.targets.devices
    if remote:
        persons = students + (teachers if d.remote_includes_teachers else 0)
        return persons * d.remote_devices_per_person
    ratio = ceil_ratio if d.class_set_rounding == "ceil" else floor_ratio
    return ratio(classes, 1, d.classes_per_class_set)


def device_standard(remote: bool, rules: YearRules) -> str:
    d = rules.targets.devices
    if remote:
        who = "師生" if d.remote_includes_teachers else "學生"
        return f"偏遠：{who}每 {d.remote_devices_per_person} 人至少 1 臺"
    rest = "未滿部分亦配 1 班" if d.class_set_rounding == "ceil" else "未滿部分不計"
    return f"非偏遠：每 {d.classes_per_class_set} 班 1 班載具（{rest}）"


def device_standing(
    school_id: int, code: str, name: str, remote: bool, classes: int, teachers: int,
    students: int, devices: int | None, class_sets: int | None, rules: YearRules,
) -> DeviceStanding:  # fmt: skip
    have = devices if remote else class_sets
    return DeviceStanding(school_id, code, name, remote, have or 0,
                          devices_needed(remote, classes, teachers, students, rules),
                          have is not None, device_standard(remote, rules))  # fmt: skip


def all_met(schools: Iterable[WorkshopStanding | DeviceStanding]) -> bool:
    """The county meets the target only when every school does (none: nothing to meet)."""
    return all(school.met for school in schools)
