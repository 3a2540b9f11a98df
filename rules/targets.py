"""Minimum targets a county plan must carry (伍; 附件 陸), from its school list."""

from __future__ import annotations

from collections.abc import Sequence

from rules.budget import SchoolFacts, ceil_bp, ceil_ratio
from rules.errors import InputError
from rules.schema import YearRules


def targets(schools: Sequence[SchoolFacts], rules: YearRules) -> dict[str, int]:
    """Each target's minimum count; percentages round up so a county never falls short."""
    if any(not isinstance(school, SchoolFacts) for school in schools):
        raise InputError("schools", "每一筆須為 SchoolFacts")
    t = rules.targets
    n = len(schools)
    teachers = sum(school.teachers for school in schools)
    remote = sum(1 for school in schools if school.remote)
    sampled_pool = sum(1 for school in schools if school.level in t.sampling.levels)
    return {
        "key_schools": ceil_bp(n, t.key_schools_bp),
        "self_learning_open_lessons": ceil_bp(n, t.self_learning_open_lessons_bp),
        "open_lessons": n * t.open_lessons_per_school_min,
        "sampled_schools": ceil_bp(sampled_pool, t.sampling.schools_bp),
        "literacy_teachers": ceil_bp(teachers, t.literacy_teachers_bp),
        "workshop_teachers": ceil_bp(teachers, t.workshop_teachers_bp),
        "moe_team_meetings": t.moe_team_meetings_min,
        "parent_sessions": t.parent_sessions_min,
        "working_meetings": t.working_meetings_per_month_min * t.months_per_year,
        "guideline_workshops": t.guideline_workshops,
        "remote_one_device_schools": ceil_bp(remote, t.remote_one_device_bp),
        "non_remote_class_set_schools": ceil_bp(n - remote, t.non_remote_class_set_bp),
    }


def senior_high_sampled_schools(senior_high_schools: int, rules: YearRules) -> int:
    """高中職 short-term sampling: numerator/denominator of the schools, rounded up."""
    s = rules.targets.sampling
    return ceil_ratio(senior_high_schools, s.senior_high_numerator, s.senior_high_denominator)
