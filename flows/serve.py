"""Everything on one machine: a Prefect server, the scheduled deployments and a mail sink.

`run_embedded()` is what `jingjin demo` calls to show the schedules running for real.
Prefect's serve() needs a real server with its scheduler (a temporary server runs none),
so the server is started as its own process, as in production.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from ipaddress import ip_address
from pathlib import Path

import httpx
import yaml
from aiosmtpd.controller import Controller

from config.clock import now
from config.settings import PROJECT_ROOT, Settings, get_settings

PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"
SERVER_PORT = 4200
STARTUP_SECONDS = 90


class MailSink:
    """An aiosmtpd handler that keeps each accepted message as an .eml file."""

    def __init__(self, directory: Path, echo=print) -> None:
        self.directory, self.echo = directory, echo
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        stamp = now().strftime("%Y%m%d-%H%M%S-%f")  # the demo's pinned day, if any
        path = self.directory / f"{stamp}.eml"
        path.write_bytes(envelope.content)
        msg: EmailMessage = message_from_bytes(envelope.content, policy=policy.default)
        self.echo(f"[郵件] {', '.join(envelope.rcpt_tos)}：{msg['Subject']} → {path.name}")
        return "250 OK"


def server_environment(settings: Settings, port: int = SERVER_PORT) -> dict[str, str]:
    """Prefect settings for the local server and for the processes that talk to it."""
    home = settings.data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }


def _wait_healthy(url: str, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"Prefect server exited with status {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.5)
    raise TimeoutError(f"Prefect server at {url} was not healthy after {seconds:.0f} s")


@contextmanager
def prefect_server(settings: Settings, port: int = SERVER_PORT) -> Iterator[dict[str, str]]:
    """`prefect server start` as a child process (SQLite under PREFECT_HOME)."""
    env = {**os.environ, **server_environment(settings, port)}
    log = (settings.data_dir / "prefect" / "server.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_healthy(env["PREFECT_API_URL"], server, STARTUP_SECONDS)
        yield server_environment(settings, port)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextmanager
def mail_sink(settings: Settings) -> Iterator[Controller | None]:
    """A local SMTP server on smtp_host:smtp_port, only when that is this machine."""
    if not _is_loopback(settings.smtp_host):
        yield None
        return
    handler = MailSink(settings.data_dir / "mail")
    controller = Controller(handler, hostname=settings.smtp_host, port=settings.smtp_port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:  # a host name: somebody else's mail server
        return False


def deployments_from_yaml(path: Path = PREFECT_YAML) -> list:
    """Every deployment of prefect.yaml as a RunnerDeployment with its Asia/Taipei crons."""
    from prefect.schedules import Cron

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    built = []
    for item in spec["deployments"]:
        flow = load_entrypoint(item["entrypoint"])
        schedules = [Cron(s["cron"], timezone=s["timezone"]) for s in item.get("schedules", [])]
        built.append(
            flow.to_deployment(
                name=item["name"], schedules=schedules, parameters=item.get("parameters"),
                description=item.get("description"), tags=item.get("tags"),
                _sync=True,  # even when the caller's thread already runs an event loop
            )
        )  # fmt: skip
    return built


def load_entrypoint(entrypoint: str):
    """`flows/send_reminders.py:send_reminders` → the flow object."""
    file, _, name = entrypoint.partition(":")
    module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def run_embedded(port: int = SERVER_PORT, settings: Settings | None = None) -> None:
    """Start the local Prefect server and mail sink, then serve every deployment of
    prefect.yaml on its schedule until interrupted (Ctrl-C); everything started here
    is stopped on the way out.

    - Prefect server: `prefect server start` on 127.0.0.1:`port`, its SQLite database
      and logs under `{data_dir}/prefect` (server.log), analytics off.
    - Mail sink: when `smtp_host` is a loopback address, an SMTP server on
      `smtp_host:smtp_port` that writes each message to `{data_dir}/mail/*.eml` and
      prints one line per message.
    - The flows run in this process's serve() loop, each run in a subprocess, against
      the database in JINGJIN_DATABASE_URL (or the embedded SQLite file).
    Blocks; raises TimeoutError when the server is not healthy within 90 s.
    """
    settings = settings or get_settings()
    with prefect_server(settings, port) as env, mail_sink(settings):
        os.environ.update(env)  # the served runs' subprocesses inherit the API URL
        from prefect import serve
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}):
            print(f"Prefect 伺服器：http://127.0.0.1:{port}（按 Ctrl-C 結束）")
            serve(*deployments_from_yaml(), limit=4)
