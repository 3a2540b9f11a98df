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

from flows.jobs import run
from model.db import session_scope
from model.demo import generate
from model.milestone_kinds import PURCHASE_DISBURSEMENT
from model.settings import Settings
from model.tables import Milestone, Notification

DEMO_COUNTY = "新竹縣"


def seed_demo(engine: Engine) -> None:
    with session_scope(engine) as session:
        generate(session, year=113, county_name=DEMO_COUNTY, story=False)


def disbursement_milestone(session: Session) -> Milestone:
    return session.exec(
        select(Milestone).where(Milestone.kind == PURCHASE_DISBURSEMENT).order_by(Milestone.id)
    ).first()


def notification_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Notification)).one()


def replay(engine: Engine, first: date, last: date) -> dict[date, int]:
    """Run sweep, remind and escalate for every day; return the mails queued per day."""
    queued: dict[date, int] = {}
    day = first
    while day <= last:
        queued[day] = sum(
            len(job(engine, day).queued) for job in (run.sweep, run.remind, run.escalate)
        )
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
