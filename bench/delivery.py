"""Delivery from the outbox to a local SMTP server, beside bare aiosmtplib.

The server is aiosmtpd with a sink handler, run in its own process (so that it uses the
other core rather than the benchmark's). Each run queues 2,000 × size mails; the
project's `notifications.smtp.deliver` claims them and sends them over one connection,
marking each one sent as it goes. The reference sends the same messages, already built
(the bytes the outbox stored when they were queued), with bare aiosmtplib over one
connection and writes nothing.

    python -m bench.delivery --size 1 --db sqlite
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import aiosmtplib
from sqlalchemy import update
from sqlmodel import Session, col, select

from bench.common import BenchDB, measurement, median, run_alone, timed
from config.clock import now
from config.settings import Settings
from model.tables import Notification
from notifications.outbox import Outgoing, enqueue
from notifications.render import ItemView, Reader, render_reminder
from notifications.smtp import deliver, message_bytes

MAILS = 2000
TARGET_PER_S = 500
_SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SinkServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(self.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> SinkServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def queue_mails(db: BenchDB, n: int, tag: str, settings: Settings) -> None:
    """n realistic reminder mails, in zh-TW, rendered by the project's templates."""
    view = ItemView(county="新竹縣", title="軟體採購「合成軟體採購」完成經費請撥",
                    kind_title="數位內容及教學軟體經費請撥", due_on=now().date(),
                    url="http://127.0.0.1:8000/items/purchase/1", amount=120000)  # fmt: skip
    rendered = render_reminder(Reader("新竹縣承辦1", "您是此項目的承辦人"), view, 1, "管考系統")
    mails = [Outgoing(f"bench:{tag}:{k}", None, f"staff{k % 50}@example.org", rendered, "bench")
             for k in range(n)]  # fmt: skip
    with Session(db.engine) as session:
        # Whatever the other benchmarks queued stays out of this measurement.
        session.execute(update(Notification).where(Notification.status == "queued")
                        .values(status="failed"))  # fmt: skip
        enqueue(session, mails, domain="bench.example.org", settings=settings)
        session.commit()


def prebuilt(db: BenchDB, tag: str, settings: Settings) -> list:
    with Session(db.engine) as session:
        rows = session.exec(
            select(Notification).where(col(Notification.dedupe_key).startswith(f"bench:{tag}:"))
        ).all()
        return [(row.to_address, message_bytes(row, settings)) for row in rows]


async def bare_send(messages: list, settings: Settings) -> int:
    smtp = aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port, timeout=30)
    await smtp.connect()
    sent = 0
    for to, message in messages:
        errors, _ = await smtp.sendmail(settings.mail_from, [to], message)
        sent += not errors
    await smtp.quit()
    return sent


def run(db: BenchDB, repeat: int = 3) -> list[dict]:
    n = max(20, round(MAILS * db.size))
    with SinkServer() as server:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=server.port,
                            mail_from="jingjin@bench.example.org")  # fmt: skip

        queue_mails(db, 50, "warm", settings)
        deliver(db.engine, batch_size=50, settings=settings)
        asyncio.run(bare_send(prebuilt(db, "warm", settings), settings))
        proj_times, ref_times, all_sent = [], [], True
        for r in range(max(1, repeat)):
            queue_mails(db, n, f"p{r}", settings)
            seconds, sent = timed(
                lambda: len(deliver(db.engine, batch_size=n, settings=settings).sent)
            )
            proj_times.append(seconds)
            messages = prebuilt(db, f"p{r}", settings)
            seconds, bare_sent = timed(lambda messages=messages: asyncio.run(
                bare_send(messages, settings)))  # fmt: skip
            ref_times.append(seconds)
            all_sent = all_sent and sent == n and bare_sent == n
    project_s, reference_s = median(proj_times), median(ref_times)
    return [
        measurement(
            "delivery", db, project_s=project_s, reference_s=reference_s,
            target=f"≥ {TARGET_PER_S} msg/s over one connection",
            met=n / project_s >= TARGET_PER_S, mails=n, project_per_s=round(n / project_s),
            reference_per_s=round(n / reference_s), same_result=all_sent,
        )
    ]  # fmt: skip


if __name__ == "__main__":
    run_alone("Delivery to a local SMTP server beside bare aiosmtplib.", run)
