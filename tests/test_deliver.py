"""Delivery against a real SMTP server (aiosmtpd), including a killed deliverer."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from deadline_fixtures import RecordingHandler, free_port, mail_settings, smtp_server
from sqlalchemy import update
from sqlmodel import Session, select

from config.clock import now
from config.settings import PROJECT_ROOT
from model.db import session_scope
from model.tables import Notification
from notifications.outbox import Outgoing, enqueue
from notifications.render import ItemView, Reader, render_reminder
from notifications.smtp import GIVE_UP_AFTER, LEASE, deliver

ITEM = ItemView(
    county="新竹縣", title="113年度「Hiteach」授權採購 數位內容及教學軟體經費請撥",
    kind_title="數位內容及教學軟體經費請撥", due_on=date(2024, 11, 30),
    url="http://127.0.0.1:8000/items/purchase/3", amount=150_000,
)  # fmt: skip


def _queue(engine, addresses: list[str]) -> None:
    with session_scope(engine) as session:
        mails = [
            Outgoing(f"test:{i}:{to}", None, to,
                     render_reminder(Reader(f"收件人{i}", "您是此項目的承辦人"), ITEM, 1),
                     "您是此項目的承辦人")
            for i, to in enumerate(addresses)
        ]  # fmt: skip
        assert len(enqueue(session, mails, domain="moe.example")) == len(addresses)


def _rows(engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def _later(minutes: int):
    return now() + timedelta(minutes=minutes)


def test_deliver_sends_readable_zh_tw_mail(sqlite_engine):
    _queue(sqlite_engine, ["staff1@hsq.example"])
    handler, port = RecordingHandler(), free_port()
    with smtp_server(handler, port):
        outcome = deliver(sqlite_engine, settings=mail_settings(port))
    assert len(outcome.sent) == 1
    [got] = handler.received
    msg, row = got.message, _rows(sqlite_engine)[0]
    assert got.rcpt_tos == ["staff1@hsq.example"]
    assert msg["Subject"] == row.subject
    assert msg["Subject"].startswith("【提醒】113年度「Hiteach」授權採購")
    assert msg["Message-ID"] == row.message_id and row.message_id.endswith("@moe.example>")
    assert msg["From"].addresses[0].display_name == "數位學習精進方案管考系統"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert "113/11/30" in part and "新臺幣 150,000 元" in part
        assert "http://127.0.0.1:8000/items/purchase/3" in part
        assert "您是此項目的承辦人" in part
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 1, True)


def test_deliver_keeps_mail_queued_while_the_server_is_down(sqlite_engine):
    _queue(sqlite_engine, [f"u{i}@hsq.example" for i in range(3)])
    port = free_port()
    down = deliver(sqlite_engine, settings=mail_settings(port))
    assert (len(down.sent), len(down.retrying)) == (0, 3)
    for row in _rows(sqlite_engine):
        # Nobody refused the message: an unreachable server costs no attempt.
        assert (row.status, row.attempts) == ("queued", 0)
        assert "SMTPConnectError" in row.last_error
    handler = RecordingHandler()
    with smtp_server(handler, port):
        assert deliver(sqlite_engine, settings=mail_settings(port)).sent == []  # not yet due
        up = deliver(sqlite_engine, settings=mail_settings(port), now=_later(10))
    assert len(up.sent) == 3 and len(handler.received) == 3
    assert {r.status for r in _rows(sqlite_engine)} == {"sent"}


def test_deliver_after_a_long_outage_sends_everything(sqlite_engine):
    _queue(sqlite_engine, [f"u{i}@hsq.example" for i in range(3)])
    port = free_port()
    for minutes in range(0, 48 * 60, 30):  # two days down, a run every half hour
        down = deliver(sqlite_engine, settings=mail_settings(port), now=_later(minutes))
        assert down.failed == []
    assert {(r.status, r.attempts) for r in _rows(sqlite_engine)} == {("queued", 0)}
    handler = RecordingHandler()
    with smtp_server(handler, port):
        up = deliver(sqlite_engine, settings=mail_settings(port), now=_later(48 * 60 + 5))
    assert len(up.sent) == 3 and len(handler.received) == 3
    assert {(r.status, r.attempts) for r in _rows(sqlite_engine)} == {("sent", 1)}


def test_deliver_retries_4xx_until_too_old_and_gives_up_on_5xx_with_the_reason(sqlite_engine):
    _queue(sqlite_engine, ["ok@hsq.example", "busy@hsq.example", "gone@hsq.example"])
    handler, port = RecordingHandler(), free_port()
    handler.refuse = {"busy@hsq.example": "451 4.3.0 try again later",
                      "gone@hsq.example": "550 5.1.1 no such user"}  # fmt: skip
    with smtp_server(handler, port):
        first = deliver(sqlite_engine, settings=mail_settings(port))
        runs = [deliver(sqlite_engine, settings=mail_settings(port), now=_later(m))
                for m in range(70, 24 * 60, 70)]  # fmt: skip
        too_old = GIVE_UP_AFTER.total_seconds() // 60 + 70
        last = deliver(sqlite_engine, settings=mail_settings(port), now=_later(int(too_old)))
    assert [r.to_address for r in first.sent] == ["ok@hsq.example"]
    assert [r.to_address for r in first.failed] == ["gone@hsq.example"]
    assert all([r.to_address for r in run.retrying] == ["busy@hsq.example"] for run in runs)
    assert [r.to_address for r in last.failed] == ["busy@hsq.example"]
    by_to = {r.to_address: r for r in _rows(sqlite_engine)}
    assert "550" in by_to["gone@hsq.example"].last_error
    busy = by_to["busy@hsq.example"]
    assert (busy.status, busy.attempts) == ("failed", len(runs) + 2)
    assert "451" in busy.last_error and "放棄" in busy.last_error


def _child_env(engine, port: int) -> dict[str, str]:
    """What a child process needs to reach the test's database (and its schema)."""
    env = {**os.environ, "JINGJIN_DATABASE_URL": engine.url.render_as_string(False),
           "JINGJIN_SMTP_HOST": "127.0.0.1", "JINGJIN_SMTP_PORT": str(port)}  # fmt: skip
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        env["PGOPTIONS"] = f"-csearch_path={schema}"  # read by libpq, under psycopg
    return env


def test_deliver_after_a_kill_sends_the_rest_and_repeats_at_most_the_one_in_flight(engine):
    addresses = [f"u{i}@hsq.example" for i in range(10)]
    _queue(engine, addresses)
    handler, port = RecordingHandler(hold_after=4), free_port()
    env = _child_env(engine, port)
    with smtp_server(handler, port):
        child = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import app; app()", "deliver"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        handler.arrived.wait(30)  # the outcome below says whether the fifth one arrived
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        in_flight = handler.received[4].message["Message-ID"]
        assert [r.status for r in _rows(engine)].count("sent") == 4
        handler.hold_after = None
        rerun = deliver(engine, settings=mail_settings(port), now=now() + LEASE)
    assert len(rerun.sent) == 6
    ids = handler.message_ids()
    assert sorted(set(ids)) == sorted(r.message_id for r in _rows(engine))
    assert [i for i in set(ids) if ids.count(i) > 1] == [in_flight]
    assert {r.status for r in _rows(engine)} == {"sent"}


def test_deliver_from_two_workers_at_once_sends_each_message_once(engine):
    _queue(engine, [f"u{i}@hsq.example" for i in range(60)])
    handler, port = RecordingHandler(), free_port()
    start = threading.Barrier(2)
    totals: list[int] = []

    def worker() -> None:
        start.wait()
        sent = 0
        while batch := deliver(engine, settings=mail_settings(port), batch_size=7).sent:
            sent += len(batch)
        totals.append(sent)

    with smtp_server(handler, port):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    ids = handler.message_ids()
    assert len(ids) == len(set(ids)) == 60 and sum(totals) == 60


def test_deliver_past_its_lease_leaves_rows_taken_over_by_another(engine):
    _queue(engine, [f"u{i}@hsq.example" for i in range(3)])
    handler, port = RecordingHandler(hold_after=0, hold_seconds=2.0), free_port()
    slow: list = []
    # A deliverer trusts its lease while more than half of it is left on its own clock,
    # so the slow one's lease (one second) must run out while its first reply waits (2 s).
    short = timedelta(seconds=1)
    with smtp_server(handler, port):
        worker = threading.Thread(
            target=lambda: slow.append(deliver(engine, settings=mail_settings(port), lease=short))
        )
        worker.start()
        handler.arrived.wait(30)  # the slow deliverer's first message waits for its reply
        # Another deliverer after the slow one's lease ran out takes the whole batch over.
        other = deliver(engine, settings=mail_settings(port), now=now() + LEASE + LEASE)
        worker.join(60)
    [slow_outcome] = slow
    assert len(other.sent) == 3
    assert slow_outcome.sent == [] and len(slow_outcome.taken_over) == 3
    ids = handler.message_ids()
    in_flight = handler.received[0].message["Message-ID"]
    # Only the message in flight when the lease ran out went twice; the slow deliverer
    # sent none of the rest and overwrote nothing.
    assert len(ids) == 4 and [i for i in set(ids) if ids.count(i) > 1] == [in_flight]
    assert {(r.status, r.attempts) for r in _rows(engine)} == {("sent", 1)}


def test_deliver_sends_the_bytes_stored_when_queued_unchanged(engine):
    _queue(engine, ["staff1@hsq.example", "staff2@hsq.example"])
    stored = {r.to_address: r.mime for r in _rows(engine)}
    assert all(stored.values())
    handler, port = RecordingHandler(), free_port()
    with smtp_server(handler, port):
        assert len(deliver(engine, settings=mail_settings(port)).sent) == 2
    for got in handler.received:
        # Byte for byte what was stored, so a retry or a re-send is the very same message.
        assert got.content == stored[got.rcpt_tos[0]]


def test_deliver_composes_rows_queued_before_messages_were_stored(engine):
    _queue(engine, ["staff1@hsq.example"])
    with Session(engine) as session:  # as an older version left them
        session.execute(update(Notification).values(mime=None))
        session.commit()
    handler, port = RecordingHandler(), free_port()
    with smtp_server(handler, port):
        assert len(deliver(engine, settings=mail_settings(port)).sent) == 1
    [got], [row] = handler.received, _rows(engine)
    msg = got.message
    assert (msg["Subject"], msg["Message-ID"]) == (row.subject, row.message_id)
    assert msg["From"].addresses[0].addr_spec == "jingjin@moe.example"
    assert msg.get_body(("plain",)).get_content() == row.body_text
    assert msg.get_body(("html",)).get_content() == row.body_html
    assert (row.status, row.mime) == ("sent", None)


def test_deliver_fails_an_address_no_mail_can_carry_and_sends_the_rest(sqlite_engine):
    _queue(sqlite_engine, ["承辦人@hsq.example", "staff1@hsq.example"])
    handler, port = RecordingHandler(), free_port()
    with smtp_server(handler, port):
        outcome = deliver(sqlite_engine, settings=mail_settings(port))
    assert [r.to_address for r in outcome.sent] == ["staff1@hsq.example"]
    assert [r.to_address for r in outcome.failed] == ["承辦人@hsq.example"]
    bad = _rows(sqlite_engine)[0]
    assert bad.status == "failed" and "無法寄送到此電子郵件地址" in bad.last_error


@dataclass
class _SlowHandler(RecordingHandler):
    """Answers every message after `delay` seconds."""

    delay: float = 0.0
    first: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        self.first.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def test_deliver_renews_its_lease_on_the_whole_batch_once_half_is_gone(engine):
    _queue(engine, [f"u{i}@hsq.example" for i in range(3)])
    # Each reply takes 0.6 of a 2-second lease: without renewal the last two rows would
    # run out while the first two are sent, and another deliverer would take them.
    lease = timedelta(seconds=2)
    handler, port = _SlowHandler(delay=1.2), free_port()
    slow: list = []
    others: list = []
    with smtp_server(handler, port):
        worker = threading.Thread(
            target=lambda: slow.append(deliver(engine, settings=mail_settings(port), lease=lease))
        )
        worker.start()
        handler.first.wait(30)  # the batch is claimed
        while worker.is_alive():
            others.append(deliver(engine, settings=mail_settings(port), lease=lease))
            time.sleep(0.1)
        worker.join()
    [outcome] = slow
    assert len(outcome.sent) == 3 and outcome.taken_over == []
    assert all(other.sent == other.taken_over == [] for other in others)
    ids = handler.message_ids()
    assert len(ids) == len(set(ids)) == 3
    # The first went out under the claim's lease, each later one under a renewed one.
    tokens = [r.next_attempt_at for r in _rows(engine)]
    assert tokens[0] < tokens[1] < tokens[2]
