"""Plan targets (伍; 附件 陸): exact integer ceilings, sampling only over 國小 + 國中."""

import pytest

from rules import SchoolFacts, load_rules, senior_high_sampled_schools, targets


@pytest.fixture(scope="module")
def r113():
    return load_rules(113)


def _schools(n: int, level: str = "國小", remote: bool = False, teachers: int = 10):
    return [SchoolFacts(level, remote, 6, teachers, 100) for _ in range(n)]


@pytest.mark.parametrize(("n", "expected"), [(0, 0), (1, 1), (20, 1), (21, 2), (40, 2), (41, 3)])
def test_targets_round_five_percent_up(r113, n, expected):
    t = targets(_schools(n), r113)
    assert t["key_schools"] == expected
    assert t["self_learning_open_lessons"] == expected


@pytest.mark.parametrize(("n", "expected"), [(1, 1), (100, 17), (101, 18)])
def test_targets_round_sampling_up(r113, n, expected):
    assert targets(_schools(n), r113)["sampled_schools"] == expected


def test_targets_sample_only_elementary_and_junior_high(r113):
    schools = _schools(50, "國小") + _schools(50, "國中") + _schools(60, "高中")
    t = targets(schools, r113)
    assert t["sampled_schools"] == 17  # 17 % of 100, not of 160
    assert t["key_schools"] == 8  # ceil(5 % × 160)


def test_targets_sample_nothing_without_elementary_or_junior_high(r113):
    assert targets(_schools(30, "高中"), r113)["sampled_schools"] == 0


@pytest.mark.parametrize(("teachers", "expected"), [(100, 10), (101, 11), (109, 11), (110, 11)])
def test_targets_round_literacy_teachers_up(r113, teachers, expected):
    schools = [SchoolFacts("國小", False, 6, teachers, 100)]
    assert targets(schools, r113)["literacy_teachers"] == expected


def test_targets_count_fixed_minimums(r113):
    t = targets(_schools(3), r113)
    assert t["moe_team_meetings"] == 4
    assert t["parent_sessions"] == 1
    assert t["working_meetings"] == 12
    assert t["guideline_workshops"] == 1
    assert t["open_lessons"] == 3


def test_targets_split_remote_and_non_remote(r113):
    schools = _schools(3, remote=True) + _schools(4, remote=False, teachers=7)
    t = targets(schools, r113)
    assert t["remote_one_device_schools"] == 3
    assert t["non_remote_class_set_schools"] == 4
    assert t["workshop_teachers"] == 3 * 10 + 4 * 7


def test_targets_return_exact_keys_as_ints(r113):
    t = targets(_schools(5), r113)
    assert set(t) == {
        "key_schools",
        "self_learning_open_lessons",
        "open_lessons",
        "sampled_schools",
        "literacy_teachers",
        "workshop_teachers",
        "moe_team_meetings",
        "parent_sessions",
        "working_meetings",
        "guideline_workshops",
        "remote_one_device_schools",
        "non_remote_class_set_schools",
    }
    assert all(type(v) is int for v in t.values())


@pytest.mark.parametrize(("n", "expected"), [(0, 0), (1, 1), (6, 1), (7, 2), (12, 2), (13, 3)])
def test_senior_high_sampling_rounds_one_sixth_up(r113, n, expected):
    assert senior_high_sampled_schools(n, r113) == expected
