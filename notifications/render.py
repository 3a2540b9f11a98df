"""Mail text from templates: a template name and a context in, a `Rendered` value out.

Nothing here reads settings, the clock or the database, so every mail can be checked
by calling these functions with plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forms.display import ntd, roc_date

TEMPLATES = Path(__file__).resolve().parent / "templates"
SENDER = "數位學習精進方案管考系統"

# What an escalation step asks of its reader, by the rules' `to` of the step.
STEP_TEXT = {
    "owner": "請儘速辦理，完成後於系統登錄完成日期。",
    "county_supervisor": "承辦人已收到逾期通知，事項仍未完成，請督導辦理。",
    "ministry": "縣市承辦人與縣市主管均已收到逾期通知，事項仍未完成，請協助追蹤。",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class ItemView:
    """A milestone as a reader sees it."""

    county: str
    title: str
    kind_title: str
    due_on: date
    url: str
    amount: int | None = None


@dataclass(frozen=True)
class EscalationLine:
    item: ItemView
    overdue: int


@dataclass(frozen=True)
class FindingView:
    rule_id: str
    rule_title: str
    county: str
    message: str
    url: str
    amount: int | None = None


@dataclass(frozen=True)
class Reader:
    """Who a mail is for and why: the sentence is shown in every mail."""

    name: str
    why: str


def item_url(base_url: str, subject_type: str, subject_id: int) -> str:
    return f"{base_url.rstrip('/')}/items/{subject_type}/{subject_id}"


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["roc"] = roc_date
    env.filters["roc_long"] = lambda d: roc_date(d, long=True)
    env.filters["ntd"] = ntd
    return env


def render(name: str, reader: Reader, sender: str = SENDER, **context) -> Rendered:
    """`name`.subject.j2, `name`.txt.j2 and `name`.html.j2 with one shared context."""
    env = _env()
    ctx = {"name": reader.name, "why": reader.why, "sender": sender, **context}
    subject = " ".join(env.get_template(f"{name}.subject.j2").render(ctx).split())
    ctx["subject"] = subject
    text = env.get_template(f"{name}.txt.j2").render(ctx)
    html = env.get_template(f"{name}.html.j2").render(ctx)
    return Rendered(subject=subject, text=text, html=html)


def render_reminder(reader: Reader, item: ItemView, offset: int, sender: str = SENDER) -> Rendered:
    return render("reminder", reader, sender, item=item, offset=offset)


def render_escalation(
    reader: Reader,
    item: ItemView,
    *,
    step: int,
    target: str,
    overdue: int,
    owner: str,
    sender: str = SENDER,
) -> Rendered:
    return render(
        "escalation", reader, sender, item=item, step=step, overdue=overdue, owner=owner,
        step_text=STEP_TEXT[target],
    )  # fmt: skip


def render_finding(
    reader: Reader, finding: FindingView, as_of: date, sender: str = SENDER
) -> Rendered:
    return render(
        "finding", reader, sender, as_of=as_of, rule_id=finding.rule_id, rule_title=finding.rule_title,
        county=finding.county, message=finding.message, url=finding.url, amount=finding.amount,
    )  # fmt: skip


def render_digest(
    reader: Reader,
    *,
    as_of: date,
    since: date,
    escalations: list[EscalationLine],
    findings: list[FindingView],
    sender: str = SENDER,
) -> Rendered:
    return render(
        "digest",
        reader,
        sender,
        as_of=as_of,
        since=since,
        escalations=escalations,
        findings=findings,
    )
