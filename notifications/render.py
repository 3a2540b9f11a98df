"""Mail text from templates: a template name and a context in, a `Rendered` value out.

Nothing here reads settings, the clock or the database, so every mail can be checked
by calling these functions with plain values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from vocab.display import ntd, roc_date

TEMPLATES = Path(__file__).resolve().parent / "templates"
SENDER = "數位學習精進方案管考系統"

# A supervisor's or the ministry's escalation mail lists at most this many items, the
# longest overdue first, after a summary per county; the rest are in the web UI. At
# national scale a county supervisor's step-2 mail would otherwise list ~900 items and
# a reviewer's thousands: nobody reads that far, and 20 (~120 lines of text) still shows
# what kind of items are late. An owner's own items are always listed in full: each one
# is something that person has to do.
ESCALATION_ITEMS_SHOWN = 20

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

    # Cached: both the text and the HTML template show them, for every line.
    @cached_property
    def due_text(self) -> str:
        """113/11/30, with the weekday when nobody works that day: 113/11/30（星期六）."""
        shown = roc_date(self.item.due_on)
        if self.due_on_working_day:
            return shown
        weekday = WEEKDAYS[self.item.due_on.weekday()]
        if self.item.due_on.weekday() < 5:  # a holiday or closure on a weekday
            weekday += "，放假"
        return f"{shown}（{weekday}）"

    @cached_property
    def left_text(self) -> str:
        # 0 happens only for a due date on a non-working day right after today.
        return f"剩 {self.left} 個工作天" if self.left > 0 else "今天是期限前最後一個工作天"


@dataclass(frozen=True)
class EscalationLine:
    item: ItemView
    overdue: int
    owner: str = ""


@dataclass(frozen=True)
class CountySummary:
    """A county's items in one escalation mail: how many, of which kind, how late."""

    county: str
    count: int
    kinds: tuple[tuple[str, int], ...]  # (kind title, items), the most frequent first
    overdue_min: int
    overdue_max: int
    amount: int | None  # the sum over the items that have an amount, None if none has
    url: str = ""  # the county's overdue page, when the county's id is known

    @property
    def kinds_text(self) -> str:
        return "、".join(f"{kind} {n} 件" for kind, n in self.kinds)

    @property
    def overdue_text(self) -> str:
        if self.overdue_min == self.overdue_max:
            return f"{self.overdue_min} 個工作天"
        return f"{self.overdue_min} 至 {self.overdue_max} 個工作天"


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


def overdue_list_url(base_url: str, county_id: int | None = None) -> str:
    """One county's overdue items (/overdue?county=…), or without a county the web's
    list in the reader's scope ("我的工作", 逾期未完成)."""
    if county_id is not None:
        return f"{base_url.rstrip('/')}/overdue?county={county_id}"
    return f"{base_url.rstrip('/')}/"


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
    reader: Reader,
    lines: list[EscalationLine],
    *,
    step: int,
    target: str,
    sender: str = SENDER,
    list_url: str = "",
) -> Rendered:
    """One mail for all the items reaching escalation step `step` for one reader today.

    Beyond ESCALATION_ITEMS_SHOWN items, a reader other than the owner gets a summary
    per county, the longest overdue items (ties in the order given) and `list_url`.
    """
    listing = EscalationList.of(lines, cut=target != "owner")
    return render_escalation_list(
        reader, listing, step=step, target=target, sender=sender, list_url=list_url
    )


def render_escalation_list(
    reader: Reader,
    listing: EscalationList,
    *,
    step: int,
    target: str,
    sender: str = SENDER,
    list_url: str = "",
) -> Rendered:
    return render(
        "escalation", reader, sender, listing=listing, list_url=list_url, step=step,
        step_text=STEP_TEXT[target],
    )  # fmt: skip


@dataclass(frozen=True)
class EscalationList:
    """A reader's escalated items: `total` of them, the ones listed, and when that is not
    all of them a summary per county. The jobs build it from SQL summaries at national
    scale (flows/jobs/milestones.py) without loading every item."""

    total: int
    shown: list[EscalationLine]
    summaries: list[CountySummary]
    places: str  # 新竹縣, or 新竹縣等 when the items are in several counties

    @property
    def cut(self) -> bool:
        return self.total > len(self.shown)

    @classmethod
    def of(cls, lines: list[EscalationLine], *, cut: bool = True) -> EscalationList:
        if not cut or len(lines) <= ESCALATION_ITEMS_SHOWN:
            return cls(len(lines), lines, [], _places(lines))
        shown = sorted(lines, key=lambda line: -line.overdue)[:ESCALATION_ITEMS_SHOWN]
        return cls(len(lines), shown, county_summaries(lines), _places(lines))


def county_summaries(lines: list[EscalationLine]) -> list[CountySummary]:
    """Per county, the most items first; amounts are summed as exact integers."""
    by_county: dict[str, list[EscalationLine]] = {}
    for line in lines:
        by_county.setdefault(line.item.county, []).append(line)
    summaries = []
    for county, mine in by_county.items():
        kinds = Counter(line.item.kind_title for line in mine)
        amounts = [line.item.amount for line in mine if line.item.amount is not None]
        overdue = [line.overdue for line in mine]
        summaries.append(CountySummary(
            county, len(mine), tuple(kinds.most_common()), min(overdue), max(overdue),
            sum(amounts) if amounts else None,
        ))  # fmt: skip
    return sorted(summaries, key=lambda s: -s.count)


def _places(lines: list[ReminderLine] | list[EscalationLine]) -> str:
    return places_text(line.item.county for line in lines)


def places_text(counties: Iterable[str]) -> str:
    """新竹縣, or 新竹縣等 when the items are in several counties (given in item order)."""
    distinct = list(dict.fromkeys(counties))
    return distinct[0] + ("等" if len(distinct) > 1 else "") if distinct else ""


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
    escalations: EscalationList | list[EscalationLine],
    findings: list[FindingView],
    sender: str = SENDER,
    list_url: str = "",
    events: list = (),
) -> Rendered:
    """Escalations are cut to a summary and the longest overdue as in a ministry mail;
    `events` are the notifications/events.py EventViews the reader chose to get here."""
    if not isinstance(escalations, EscalationList):
        escalations = EscalationList.of(escalations)
    return render(
        "digest", reader, sender, as_of=as_of, since=since, listing=escalations,
        findings=findings, list_url=list_url, events=list(events),
    )  # fmt: skip
