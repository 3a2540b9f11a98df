"""Shared helpers for the deadline, sweep and delivery tests: demo data and an SMTP server."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from config.settings import Settings
from demo.generate import generate
from flows.jobs import run
from model.db import session_scope
from model.tables import BudgetLine, County, Milestone, Notification, Plan, User
from states.values import BudgetItem
from vocab.milestone_kinds import PURCHASE_DISBURSEMENT

DEMO_COUNTY = "新竹縣"


def seed_demo(engine: Engine) -> None:
    with session_scope(engine) as session:
        generate(session, year=113, county_name=DEMO_COUNTY, story=False)


def disbursement_milestone(session: Session) -> Milestone:
    return session.exec(
        select(Milestone).where(Milestone.kind == PURCHASE_DISBURSEMENT).order_by(Milestone.id)
    ).first()


def add_milestones(
    engine: Engine, due_on: date, owner: str, n: int = 1, title: str = "測試事項"
) -> list[int]:
    """`n` open milestones of the demo county's plan, due `due_on`, owned by `owner`."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.username == owner)).one()
        plan = session.exec(
            select(Plan).join(County, County.id == Plan.county_id).where(County.name == DEMO_COUNTY)
        ).one()
        rows = [
            Milestone(county_id=plan.county_id, year=113, kind="meeting.working",
                      title=f"{title}{i + 1}", subject_type="plan", subject_id=plan.id,
                      owner_id=user.id, due_on=due_on)
            for i in range(n)
        ]  # fmt: skip
        session.add_all(rows)
        session.flush()
        return [m.id for m in rows]


def blank_explanation(engine: Engine, county: str = DEMO_COUNTY) -> None:
    """Leave the county's teacher-training line, which differs from its estimate,
    without an explanation: a finding the sweep mails (plan.unexplained_difference)."""
    with session_scope(engine) as session:
        line = session.exec(
            select(BudgetLine)
            .join(Plan, Plan.id == BudgetLine.plan_id)
            .join(County, County.id == Plan.county_id)
            .where(County.name == county, BudgetLine.item == BudgetItem.teacher_training)
        ).one()
        assert line.recurrent + line.capital != line.estimate
        line.explanation = "  "


def queued_to(engine: Engine, username: str) -> list[Notification]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Notification)
                .join(User, User.id == Notification.recipient_id)
                .where(User.username == username)
                .order_by(Notification.id)
            )
        )


def notification_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Notification)).one()


def replay(
    engine: Engine, first: date, last: date, jobs=(run.sweep, run.remind, run.escalate)
) -> dict[date, int]:
    """Run the jobs (sweep, remind, escalate) for every day; return the mails queued per day."""
    queued: dict[date, int] = {}
    day = first
    while day <= last:
        queued[day] = sum(len(job(engine, day).queued) for job in jobs)
        day += timedelta(days=1)
    return queued


# ------------------------------------------------------------------ SMTP
def free_port() -> int:
    # aiosmtpd's Controller cannot take port 0: it connects to its own port to check.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)


@dataclass
class RecordingHandler:
    """Keeps what it accepts; refuses listed recipients; can hold one DATA reply."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address → SMTP reply
    hold_after: int | None = None  # keep the reply to message hold_after+1 waiting
    hold_seconds: float = 20.0
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(list(envelope.rcpt_tos), envelope.content))
        if self.hold_after is not None and len(self.received) == self.hold_after + 1:
            self.arrived.set()
            await asyncio.sleep(self.hold_seconds)
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


@contextmanager
def smtp_server(handler: RecordingHandler, port: int) -> Iterator[Controller]:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def mail_settings(port: int) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="jingjin@moe.example")
