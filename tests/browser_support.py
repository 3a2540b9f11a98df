"""Shared by the browser tests: a live uvicorn server and Debian's Chromium."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, select
from web_support import PASSWORD, fast_hash, make_app

from demo.generate import generate
from model.db import make_engine
from model.migrate import upgrade
from model.tables import User

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"

STORY_END = date(2024, 11, 20)  # the demo's year is told up to this day

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it is listening or has stopped trying."""

    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()

    def serve_until_stopped(self) -> None:
        try:
            self.run()
        finally:
            self.ready.set()


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve the app on a free loopback port; yield its base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    live = _Server(config)
    thread = threading.Thread(target=live.serve_until_stopped, daemon=True)
    thread.start()
    live.ready.wait()  # set once listening, or once the server gave up
    if not live.started:
        pytest.fail("uvicorn did not start", pytrace=False)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        live.should_exit = True
        thread.join(timeout=10)


@contextmanager
def demo_site(folder: Path) -> Iterator[tuple[str, Engine]]:
    """The demo data set (新竹縣, its year told through the lifecycles) on a live server."""
    engine = make_engine(f"sqlite:///{folder / 'jingjin.db'}")
    upgrade(engine)
    with Session(engine) as session:
        generate(session)
        for user in session.exec(select(User).where(User.synthetic)):
            user.password_hash = fast_hash(PASSWORD)
        session.commit()
    app = make_app(engine)
    app.state.today = lambda: STORY_END
    try:
        with live_server(app) as base:
            yield base, engine
    finally:
        engine.dispose()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
