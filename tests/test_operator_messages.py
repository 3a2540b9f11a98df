"""An operator's mistakes in the installation: one zh-TW line naming the setting, exit 2."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from deadline_fixtures import RecordingHandler, free_port, smtp_server
from sqlalchemy import text
from test_deliver import _queue, _rows

from config.clock import now
from config.settings import PROJECT_ROOT, get_settings
from model.db import get_engine, make_engine
from notifications.smtp import LEASE, claim
from tests.cli_env import configured, configured_engine, run


@contextmanager
def misconfigured(monkeypatch, **env: str) -> Iterator:
    """Settings from `env` only; nothing is opened, so nothing needs closing."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        from typer.testing import CliRunner

        yield CliRunner()
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()


def _one_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://jingjin@127.0.0.1:1/jingjin", "無法使用資料庫"),
        ("postgresql+psycopg://jingjin@127.0.0.1:99999/jingjin", "連接埠 99999"),
        ("postgresql+psycopg://jingjin@127.0.0.1:port/jingjin", "格式不正確"),
        ("mysql://jingjin@127.0.0.1/jingjin", "資料庫種類「mysql」不支援"),
        ("postgresql+asyncpg://jingjin@127.0.0.1/jingjin", "驅動程式"),
        ("not a url", "格式不正確"),
    ],
)
@pytest.mark.parametrize("command", [["findings"], ["db", "upgrade"], ["deliver"]])
def test_a_wrong_database_url_is_one_line_naming_the_setting(monkeypatch, url, says, command):
    with misconfigured(monkeypatch, JINGJIN_DATABASE_URL=url) as runner:
        result = run(runner, *command)
    assert result.exit_code == 2
    line = _one_line(result)
    assert "JINGJIN_DATABASE_URL" in line and says in line


def test_a_password_in_the_database_url_is_not_shown(monkeypatch):
    url = "postgresql+psycopg://jingjin:hunter2secret@127.0.0.1:1/jingjin"
    with misconfigured(monkeypatch, JINGJIN_DATABASE_URL=url) as runner:
        result = run(runner, "findings")
    assert result.exit_code == 2
    assert "hunter2secret" not in result.output


def test_a_short_secret_key_stops_the_web_service_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("JINGJIN_SECRET_KEY", "too-short")
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        assert run(runner, "db", "upgrade").exit_code == 0
        result = run(runner, "web", "--port", str(free_port()))
    assert result.exit_code == 2
    line = _one_line(result)
    assert "JINGJIN_SECRET_KEY 至少需要 32 個字元（目前 9 個）" in line


def test_a_setting_read_while_importing_is_reported_by_the_console_script(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "JINGJIN_SMTP_PORT": "twenty-five",
           "JINGJIN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", "from cli.entry import main; main()", "findings"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "設定有誤：JINGJIN_SMTP_PORT：「twenty-five」不是整數"


def test_db_upgrade_says_what_it_did(monkeypatch, tmp_path):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        first = run(runner, "db", "upgrade")
        again = run(runner, "db", "upgrade")
    head = make_engine("sqlite://")  # any engine names the code's head
    from model.migrate import head_revision

    assert f"資料庫已從 (未建立) 更新到 {head_revision(head)}" in first.output
    assert f"資料庫已是最新版本 {head_revision(head)}，不需更新" in again.output
    assert "已是最新" not in first.output


def test_a_database_newer_than_the_code_asks_for_new_code(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with configured(monkeypatch, url) as runner:
        run(runner, "db", "upgrade")
        with get_engine().begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9001'"))
        for command in (["findings"], ["db", "upgrade"]):
            result = run(runner, *command)
            assert result.exit_code == 2
            line = _one_line(result)
            assert "資料庫版本比程式新" in line and "請更新程式" in line
            assert "請先執行：jingjin db upgrade" not in line


def test_deliver_fails_when_no_mail_got_through(engine, monkeypatch):
    _queue(engine, ["a@hsq.example", "b@hsq.example"])
    monkeypatch.setenv("JINGJIN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JINGJIN_SMTP_PORT", str(free_port()))  # nobody listens
    with configured_engine(monkeypatch, engine) as runner:
        result = run(runner, "deliver")
    assert result.exit_code == 1
    assert "成功 0 封、稍後重試 2 封" in result.output


def test_deliver_refused_for_good_exits_one(engine, monkeypatch):
    _queue(engine, ["gone@hsq.example"])
    port = free_port()
    monkeypatch.setenv("JINGJIN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JINGJIN_SMTP_PORT", str(port))
    handler = RecordingHandler(refuse={"gone@hsq.example": "550 no such user"})
    with smtp_server(handler, port), configured_engine(monkeypatch, engine) as runner:
        result = run(runner, "deliver")
    assert result.exit_code == 1
    assert "放棄 1 封" in result.output
    assert [r.status for r in _rows(engine)] == ["failed"]


def test_deliver_reports_mail_held_by_another_deliverer(engine, monkeypatch):
    _queue(engine, [f"u{i}@hsq.example" for i in range(5)])
    claim(engine, 3, now(), LEASE)  # another worker holds three
    port = free_port()
    monkeypatch.setenv("JINGJIN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JINGJIN_SMTP_PORT", str(port))
    with smtp_server(RecordingHandler(), port), configured_engine(monkeypatch, engine) as runner:
        result = run(runner, "deliver")
    assert result.exit_code == 0, result.output
    assert "成功 2 封" in result.output
    assert "另有 3 封正由另一個寄送程序處理中" in result.output


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999"])
def test_an_integer_too_large_is_refused_in_zh_tw(monkeypatch, tmp_path, number):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        result = run(runner, "rules", "per-head", "113", number, "--as", "admin")
    assert result.exit_code == 2
    # The error box wraps long lines: read it without its frame.
    flat = "".join(result.output.replace("│", "").split())
    assert f"「{number}」超出可接受的範圍（最大2,147,483,647）" in flat
    assert "Traceback" not in result.output


def test_an_item_id_too_large_is_refused_before_the_database(monkeypatch, tmp_path):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        run(runner, "db", "upgrade")
        result = run(runner, "purchase", "show", "12345678901234567890", "--as", "admin")
    assert result.exit_code == 2
    assert "超出可接受的範圍" in result.output
