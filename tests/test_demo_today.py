"""`jingjin demo` tells a day inside the plan year, with passwords that stay the same."""

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from config.clock import now, today
from config.settings import get_settings
from demo.generate import DEMO_PASSWORD
from model.db import make_engine
from rules import load_rules
from tests.cli_env import configured, run
from tests.web_support import SETTINGS, sign_in
from web.app import create_app

DEMO_DAY = date(2024, 11, 25)


@pytest.fixture(autouse=True)
def _settings_read_afresh():
    """Torn down after monkeypatch has put the environment back: no pinned day is left
    in the cached settings for the next test."""
    yield
    get_settings.cache_clear()


def _card(html: str, label: str) -> int:
    found = re.search(r"<b>(\d+)</b><span>" + label, html)
    assert found, label
    return int(found.group(1))


def test_demo_pins_the_day_for_pages_and_keeps_its_passwords(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.delenv("JINGJIN_TODAY", raising=False)
    get_settings.cache_clear()
    assert today() != DEMO_DAY  # the real clock until the demo pins the day
    with configured(monkeypatch, url) as runner:
        first = run(runner, "demo", "--no-serve")
        second = run(runner, "demo", "--no-serve")
        assert first.exit_code == 0, first.output
        assert "示範的今天：113/11/25" in first.output
        # The same documented password on every run.
        assert f"密碼皆為 {DEMO_PASSWORD}" in first.output
        assert f"密碼皆為 {DEMO_PASSWORD}" in second.output
        # This process is now on the demo's day, as the web server it starts would be.
        assert today() == DEMO_DAY and now().date() == DEMO_DAY
        engine = make_engine(url)
        app = create_app(engine, SETTINGS)
        with TestClient(app) as client:
            assert sign_in(client, "hsq.staff1", DEMO_PASSWORD).status_code == 303
            work = client.get("/").text
            assert _card(work, "14 天內到期") > 0
            assert not re.search(r"逾 7\d\d 天", work)
        with TestClient(app) as client:
            assert sign_in(client, "moe.reviewer2", DEMO_PASSWORD).status_code == 303
            dashboard = client.get("/ministry").text
        deadline = load_rules(113).software.disbursement_deadline.date
        days_left = (deadline - DEMO_DAY).days
        assert f"<b>{days_left}</b><span>天：軟體經費請撥期限" in dashboard
        assert "<b>逾 " not in dashboard
        engine.dispose()
    get_settings.cache_clear()


def test_jingjin_today_and_the_option_override_the_demo_day(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("JINGJIN_TODAY", "113/12/02")
    with configured(monkeypatch, url) as runner:
        by_setting = run(runner, "demo", "--no-serve")
        assert today() == date(2024, 12, 2)
        by_option = run(runner, "demo", "--no-serve", "--today", "2024-11-29")
        assert today() == date(2024, 11, 29)
        bad = run(runner, "demo", "--no-serve", "--today", "113/13/40")
        early = run(runner, "demo", "--no-serve", "--today", "2024-10-01")
    assert "示範的今天：113/12/02" in by_setting.output
    assert "示範的今天：113/11/29" in by_option.output
    assert bad.exit_code != 0 and "113/13/40" in bad.output
    # The story's history runs to 113/11/20: a day before it would show the future.
    assert early.exit_code != 0 and "113/11/20" in early.output
    get_settings.cache_clear()


def test_without_the_setting_the_real_clock_runs(monkeypatch):
    monkeypatch.delenv("JINGJIN_TODAY", raising=False)
    get_settings.cache_clear()
    try:
        assert get_settings().today is None
        monkeypatch.setenv("JINGJIN_TODAY", "2024-11-25")
        get_settings.cache_clear()
        assert today() == DEMO_DAY
    finally:
        monkeypatch.delenv("JINGJIN_TODAY")
        get_settings.cache_clear()
