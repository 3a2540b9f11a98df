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


WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


@dataclass(frozen=True)
class ReminderLine:
    """One item of a reminder: `left` working days after today up to the due date."""

    item: ItemView
    left: int
    due_on_working_day: bool = True

    @property
    def due_text(self) -> str:
        """113/11/30, with the weekday when nobody works that day: 113/11/30（星期六）."""
        shown = roc_date(self.item.due_on)
        if self.due_on_working_day:
            return shown
        weekday = WEEKDAYS[self.item.due_on.weekday()]
        if self.item.due_on.weekday() < 5:  # a holiday or closure on a weekday
            weekday += "，放假"
        return f"{shown}（{weekday}）"

    @property
    def left_text(self) -> str:
        # 0 happens only for a due date on a non-working day right after today.
        return f"剩 {self.left} 個工作天" if self.left > 0 else "今天是期限前最後一個工作天"


@dataclass(frozen=True)
class EscalationLine:
    item: ItemView
    overdue: int
    owner: str = ""


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
    """One item due in `offset` working days (a due date on a working day)."""
    return render_reminders(reader, [ReminderLine(item, offset)], sender)


def render_reminders(reader: Reader, lines: list[ReminderLine], sender: str = SENDER) -> Rendered:
    """One mail for all of a reader's reminders of the day."""
    return render("reminder", reader, sender, lines=lines, places=_places(lines))


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
    lines = [EscalationLine(item, overdue, owner)]
    return render_escalations(reader, lines, step=step, target=target, sender=sender)


def render_escalations(
    reader: Reader, lines: list[EscalationLine], *, step: int, target: str, sender: str = SENDER
) -> Rendered:
    """One mail for all the items reaching escalation step `step` for one reader today."""
    return render(
        "escalation", reader, sender, lines=lines, step=step, step_text=STEP_TEXT[target],
        places=_places(lines),
    )  # fmt: skip


def _places(lines: list[ReminderLine] | list[EscalationLine]) -> str:
    """新竹縣, or 新竹縣等 when the items are in several counties."""
    counties = list(dict.fromkeys(line.item.county for line in lines))
    return counties[0] + ("等" if len(counties) > 1 else "") if counties else ""


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
