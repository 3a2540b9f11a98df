"""Every evidence field carries its zh-TW label and help, and a malformed one is refused
with that label in a zh-TW sentence, wherever the evidence comes from."""

import re
from typing import get_args

import pytest
from pydantic import BaseModel

from states.purchase import STEPS as PURCHASE_STEPS
from states.reimbursement import STEPS as REIMBURSEMENT_STEPS
from states.steps import parse_evidence
from workflow.lifecycles import LIFECYCLES

CJK = re.compile(r"[\u4e00-\u9fff]")


def _models():
    seen = {}
    for lifecycle in LIFECYCLES.values():
        for step in lifecycle.steps.values():
            stack = [step.evidence] if step.evidence else []
            while stack:
                model = stack.pop()
                seen[model.__name__] = model
                for info in model.model_fields.values():
                    stack += [a for a in _models_in(info.annotation) if a.__name__ not in seen]
    return sorted(seen.values(), key=lambda m: m.__name__)


def _models_in(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_evidence_field_has_a_zh_tw_label_and_help(model):
    for name, info in model.model_fields.items():
        assert info.title and CJK.search(info.title), (model.__name__, name)
        assert info.description and CJK.search(info.description), (model.__name__, name)


@pytest.mark.parametrize(
    ("step", "raw", "field", "sentence"),
    [
        (PURCHASE_STEPS["decide"], {"held_on": "2024-05-20", "attendees": []}, "minutes",
         "請填寫「會議紀錄摘要」。"),
        (PURCHASE_STEPS["decide"], {"held_on": "113/13/01"}, "held_on",
         "「會議日期」：「113/13/01」沒有這一天"),
        (PURCHASE_STEPS["decide"],
         {"held_on": "2024-05-20", "minutes": "x", "attendees": [{"name": "王", "role": "boss"}]},
         "attendees.0.role", "「與會人員」第 1 列「身分」須為下列之一：教師、"),
        (PURCHASE_STEPS["verify_product"], {"product_serial": "1", "amount": 1},
         "product_serial", "「產品序號（選購名單）」的格式不正確：教育部選購名單上的產品序號"),
        (REIMBURSEMENT_STEPS["submit_settlement"],
         {"spending": {"it_staff": {"recurrent": "many"}}, "report_ref": "r"},
         "spending.it_staff.recurrent", "「經常門實支（元）」須為不含小數的整數。"),
    ],
)  # fmt: skip
def test_malformed_evidence_refused_in_words_naming_the_field(step, raw, field, sentence):
    parsed, refusals = parse_evidence(step, raw)
    assert parsed is None
    found = {r.field: r.message for r in refusals}
    assert sentence in found[field]
    assert all(r.rule_id == "evidence.format" for r in refusals)
    # Each field once, even where pydantic tried several types (an int or a float).
    assert len(found) == len(refusals)


def test_roc_day_in_evidence_is_read_as_that_day():
    parsed, refusals = parse_evidence(
        PURCHASE_STEPS["request_disbursement"], {"requested_on": "113/12/05", "amount": 5}
    )
    assert refusals == [] and parsed.requested_on.isoformat() == "2024-12-05"
