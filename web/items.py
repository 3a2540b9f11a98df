"""What the pages show about any item, built over the lifecycle registry so new kinds
(plans, reimbursements, budget changes) appear without new page code."""

import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from html import escape

from sqlmodel import Session, col, func, select

from model.accounts import Handover
from model.files import EvidenceFile
from model.tables import County, Plan, TransitionLog, User
from states.values import Role
from web.listing import PAGE_SIZE as LIST_PAGE_SIZE
from workflow.service import Lifecycle, history

FONT = "Noto Sans CJK TC"


def item_title(lifecycle: Lifecycle, row) -> str:
    title = getattr(row, "title", None)
    return f"{lifecycle.item_name(row.id)} {title}" if title else lifecycle.item_name(row.id)


PAGE_SIZE = LIST_PAGE_SIZE


def _in_scope(query, table, county_id: int | None):
    if county_id is None:
        return query
    if hasattr(table, "county_id"):
        return query.where(table.county_id == county_id)
    return query.join(Plan, Plan.id == table.plan_id).where(Plan.county_id == county_id)


def _with_states(query, table, states: Iterable[str] | None):
    return query if states is None else query.where(col(table.status).in_(list(states)))


def items_in_scope(
    session: Session,
    lifecycle: Lifecycle,
    county_id: int | None,
    *,
    states: Iterable[str] | None = None,
    where: Sequence = (),
    order: Sequence = (),
    extra: Sequence = (),
    outer: Sequence = (),
    offset: int = 0,
    limit: int | None = PAGE_SIZE,
) -> list:
    """One page of the items in scope (limit=None: all of them), oldest first unless
    `order` says otherwise; `where` adds the list's filters (web.listing), `extra` columns
    come back beside each row as tuples, from the (subquery, on-clause) pairs in `outer`
    joined as LEFT OUTER JOINs."""
    table = lifecycle.table
    query = select(table, *extra)
    for target, on in outer:
        query = query.outerjoin(target, on)
    query = _with_states(_in_scope(query, table, county_id), table, states)
    query = query.where(*where).order_by(*(order or [table.id])).offset(offset)
    return list(session.exec(query if limit is None else query.limit(limit)))


def count_in_scope(
    session: Session,
    lifecycle: Lifecycle,
    county_id: int | None,
    states: Iterable[str] | None,
    where: Sequence = (),
) -> int:
    table = lifecycle.table
    query = _in_scope(select(func.count()).select_from(table), table, county_id)
    return int(session.exec(_with_states(query, table, states).where(*where)).one())


def status_counts(session: Session, lifecycle: Lifecycle, county_id: int | None) -> Counter:
    """Items per state, counted by the database: no page limit applies."""
    table = lifecycle.table
    query = _in_scope(select(table.status, func.count()), table, county_id)
    return Counter(
        {str(status): int(n) for status, n in session.exec(query.group_by(table.status))}
    )


@dataclass(frozen=True)
class Page:
    """Which slice of a long list is shown: pages say so rather than silently stop."""

    number: int  # 1-based
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def note(self) -> str:
        return f"第 {self.first:,}–{self.last:,} 筆，共 {self.total:,} 筆"


def page_of(number: int, total: int, size: int = PAGE_SIZE) -> Page:
    """A page number from the URL, kept within the pages that exist."""
    last = max(1, -(-total // size))
    return Page(min(max(number, 1), last), size, total)


def holder_id(session: Session, item_type: str, row) -> int | None:
    """Whoever the item was last handed to, else its owner (for lists: listing.holder_expr)."""
    last = session.exec(
        select(Handover)
        .where(Handover.item_type == item_type, Handover.item_id == row.id)
        .order_by(col(Handover.id).desc())
    ).first()
    return last.to_user_id if last else getattr(row, "owner_id", None)


def county_names(session: Session) -> dict[int, str]:
    return {c.id: c.name for c in session.exec(select(County))}


@dataclass
class HistoryEntry:
    at: datetime
    kind: str  # transition | handover | file
    who: str
    what: str
    reason: str = ""
    letter_no: str | None = None
    evidence: dict = field(default_factory=dict)
    files: list[EvidenceFile] = field(default_factory=list)


def _names(session: Session, ids: set[int | None]) -> dict[int, User]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted)))}


def _who(users: dict[int, User], user_id: int | None, role: str | None = None) -> str:
    user = users.get(user_id) if user_id else None
    name = user.display_name if user else "（系統）"
    label = Role(role).label if role in Role.__members__ else ""
    return f"{name}（{label}）" if label else name


def item_files(session: Session, item_type: str, item_id: int) -> list[EvidenceFile]:
    return list(
        session.exec(
            select(EvidenceFile)
            .where(EvidenceFile.item_type == item_type, EvidenceFile.item_id == item_id)
            .order_by(EvidenceFile.id)
        )
    )


def full_history(session: Session, lifecycle: Lifecycle, row) -> list[HistoryEntry]:
    """Transitions, hand-overs and files in time order; a file sent with a step sits on it."""
    logs: list[TransitionLog] = history(session, lifecycle, row.id)
    handovers = list(
        session.exec(
            select(Handover).where(
                Handover.item_type == lifecycle.item_type, Handover.item_id == row.id
            )
        )
    )
    files = item_files(session, lifecycle.item_type, row.id)
    ids = {x.actor_id for x in logs} | {f.uploaded_by for f in files}
    ids |= {h.by_user_id for h in handovers} | {h.to_user_id for h in handovers}
    users = _names(session, ids)
    entries = [_transition_entry(lifecycle, log, users, files) for log in logs]
    entries += [
        HistoryEntry(h.at, "handover", _who(users, h.by_user_id), _handed(users, h), h.note)
        for h in handovers
    ]
    entries += [
        HistoryEntry(f.uploaded_at, "file", _who(users, f.uploaded_by), "上傳證明文件", files=[f])
        for f in files
        if f.transition_id is None
    ]
    return sorted(entries, key=lambda e: _sort_key(e.at))


def _sort_key(moment: datetime) -> float:
    return moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=None).timestamp()


def _handed(users: dict[int, User], h: Handover) -> str:
    return f"交辦給 {_who(users, h.to_user_id)}"


def _transition_entry(lifecycle, log: TransitionLog, users, files) -> HistoryEntry:
    if log.event == "create":
        what = f"建立（{_label(lifecycle, log.to_state)}）"
    else:
        step = lifecycle.steps.get(log.event)
        title = step.title if step else log.event
        what = f"{title}：{_label(lifecycle, log.from_state)} → {_label(lifecycle, log.to_state)}"
    return HistoryEntry(
        at=log.at,
        kind="transition",
        who=_who(users, log.actor_id, log.actor_role),
        what=what,
        reason=log.reason,
        letter_no=log.letter_no,
        evidence=log.evidence or {},
        files=[f for f in files if f.transition_id == log.id],
    )


def _label(lifecycle: Lifecycle, state: str) -> str:
    try:
        return lifecycle.state_label(state)
    except KeyError:
        return state


# ------------------------------------------------------------------ state diagram
def diagram_dot(lifecycle: Lifecycle, current: str) -> str:
    machine = lifecycle.machine
    lines = [
        "digraph G {",
        "rankdir=LR; bgcolor=transparent;",
        f'node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=11, '
        'fillcolor=white, color="#555555"];',
        f'edge [fontname="{FONT}", fontsize=9, color="#777777"];',
    ]
    for state in machine.states:
        extra = ', fillcolor="#ffd54f", penwidth=3, color="#b26a00"' if state.id == current else ""
        final = ", peripheries=2" if state.final else ""
        lines.append(f'"{state.id}" [label="{_dot(state.name)}"{extra}{final}];')
    for state in machine.states:
        for transition in state.transitions:
            for event in transition.events:
                step = lifecycle.steps.get(str(event))
                label = step.title if step else str(event)
                lines.append(
                    f'"{transition.source.id}" -> "{transition.target.id}" [label="{_dot(label)}"];'
                )
    lines.append("}")
    return "\n".join(lines)


def _dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


@lru_cache(maxsize=256)
def _svg(dot_source: str) -> str:
    try:
        done = subprocess.run(
            ["dot", "-Tsvg"], input=dot_source.encode(), capture_output=True, timeout=20, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    text = done.stdout.decode()
    return text[text.find("<svg") :]  # inline: without the XML prolog and DOCTYPE


def diagram_svg(lifecycle: Lifecycle, current: str) -> str:
    """Inline SVG of the lifecycle with the current state marked; '' without graphviz."""
    svg = _svg(diagram_dot(lifecycle, current))
    return svg or f"<p>目前狀態：{escape(lifecycle.state_label(current))}</p>"
