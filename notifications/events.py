"""Mail for the events a person waits on: which events, who reads them, what they say.

Plain functions of plain values: the database side (notifications/event_mail.py) fetches
the people and the figures, these decide who gets what and render it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from notifications.recipients import OWNER_WHY, supervisor_why
from notifications.render import SENDER, Reader, Rendered, render
from vocab.display import roc_date, roc_datetime

MINISTRY = "ministry"  # the county's assigned reviewers, the admins when none
COUNTY = "county"  # the county's supervisors and the item's holder (its staff when none)
HOLDER = "holder"  # the person an item was just handed to


@dataclass(frozen=True)
class EventKind:
    title: str  # what happened, as the subject says it
    audience: str


# (item type, event) → what the mail says happened and to whom it goes.
EVENTS: dict[tuple[str, str], EventKind] = {
    ("plan", "submit"): EventKind("計畫已送出，待審查", MINISTRY),
    ("plan", "resubmit"): EventKind("計畫已修正後重新送出，待審查", MINISTRY),
    ("plan", "return_plan"): EventKind("計畫已退回修正", COUNTY),
    ("plan", "approve"): EventKind("計畫已核定", COUNTY),
    ("budget_change", "approve_change"): EventKind("經費變更已核定", COUNTY),
    ("budget_change", "reject_change"): EventKind("經費變更未獲核定", COUNTY),
    ("reimbursement", "disburse"): EventKind("經費已核撥", COUNTY),
    ("reimbursement", "disburse_tranche"): EventKind("經費已核撥", COUNTY),
    ("reimbursement", "disburse_final"): EventKind("經費已核撥", COUNTY),
    ("reimbursement", "return_settlement"): EventKind("結報已退回", COUNTY),
    ("reimbursement", "settle"): EventKind("結報已核定", COUNTY),
}
HANDOVER = EventKind("項目已交辦給您", HOLDER)


def staff_why(county: str) -> str:
    return f"您是{county}的承辦人員，此項目尚未指定承辦人"


HANDED_WHY = "此項目已交辦給您"


@dataclass(frozen=True)
class EventView:
    """One event as its readers see it."""

    kind: EventKind
    item: str  # 新竹縣 縣市實施計畫 #3
    county: str
    actor: str  # 王專員（教育部承辦）
    at: datetime
    url: str
    facts: tuple[tuple[str, str], ...] = ()  # (label, value): amounts, letter numbers, …
    reason: str = ""  # the reason given (a return, a refusal), or a hand-over's note

    @property
    def when(self) -> str:
        return roc_datetime(self.at)

    @property
    def day(self) -> str:
        return roc_date(self.at)


def audience(
    kind: EventKind,
    county: str,
    *,
    actor_id: int | None,
    ministry: Sequence[tuple] = (),
    supervisors: Sequence = (),
    holder=None,
    staff: Sequence = (),
) -> list[tuple]:
    """(user, why) for every reader of the event, each once, never the one who did it.

    `ministry` is the county's reviewers (or admins) with their reason, as
    recipients.ministry() gives them; the users are anything with an `id`.
    """
    if kind.audience == MINISTRY:
        pairs = list(ministry)
    elif kind.audience == HOLDER:
        pairs = [(holder, HANDED_WHY)] if holder is not None else []
    else:
        pairs = [(u, supervisor_why(county)) for u in supervisors]
        if holder is not None:
            pairs.append((holder, OWNER_WHY))
        else:
            pairs += [(u, staff_why(county)) for u in staff]
    seen: set[int] = set()
    readers = []
    for user, why in pairs:
        if user.id != actor_id and user.id not in seen:
            seen.add(user.id)
            readers.append((user, why))
    return readers


def dedupe_key(source: str, source_id: int, user_id: int) -> str:
    """One mail per reader and logged event (source: the log or the hand-over table)."""
    return f"event:{source}:{source_id}:{user_id}"


def render_event(reader: Reader, event: EventView, sender: str = SENDER) -> Rendered:
    return render("event", reader, sender, event=event)
