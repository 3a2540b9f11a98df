"""`jingjin doctor` against real parts: SQLite and PostgreSQL, an aiosmtpd server, rules files."""

import pytest
from deadline_fixtures import RecordingHandler, free_port, smtp_server

from config.settings import PROJECT_ROOT
from model.db import make_engine
from model.migrate import head_revision
from tests.cli_env import configured, configured_engine, run

HEAD = head_revision(make_engine("sqlite://"))


@pytest.fixture
def quiet_env(monkeypatch):
    """No Prefect server and no mail server unless the test starts one."""
    for name in ("PREFECT_API_URL", "JINGJIN_HOME", "JINGJIN_SECRET_KEY", "JINGJIN_RULES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JINGJIN_SMTP_HOST", "127.0.0.1")
    port = free_port()
    monkeypatch.setenv("JINGJIN_SMTP_PORT", str(port))
    return port


def _line(output: str, start: str) -> str:
    """The one line whose text (after its mark) begins with `start`."""
    [line] = [line for line in output.splitlines() if line[2:].startswith(start)]
    return line


def test_a_ready_installation_passes_every_check(engine, monkeypatch, quiet_env):
    monkeypatch.setenv("JINGJIN_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("JINGJIN_SECRET_KEY", "k" * 48)
    handler = RecordingHandler()
    with smtp_server(handler, quiet_env), configured_engine(monkeypatch, engine) as runner:
        result = run(runner, "doctor")
    assert result.exit_code == 0, result.output
    assert _line(result.output, "資料庫 ").startswith("✓") and HEAD in result.output
    assert _line(result.output, "郵件伺服器").startswith("✓")
    assert _line(result.output, f"規則檔 {PROJECT_ROOT / 'rules' / '113.toml'}").startswith("✓")
    assert _line(result.output, "JINGJIN_HOME").startswith("✓")
    assert _line(result.output, "JINGJIN_SECRET_KEY").startswith("✓")
    assert "－ Prefect" in result.output
    assert handler.received == []  # greeted only, nothing sent
    if engine.dialect.name == "postgresql":
        # The tests connect as the tables' owner: said, but not a failure.
        assert _line(result.output, "資料庫角色").startswith("⚠")
        assert "PostgreSQL roles" in result.output


def test_an_unmigrated_database_and_a_silent_mail_server_fail(monkeypatch, tmp_path, quiet_env):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}") as runner:
        result = run(runner, "doctor")
    assert result.exit_code == 1
    database = _line(result.output, "資料庫 ")
    assert database.startswith("✗") and "jingjin db upgrade" in database
    mail = _line(result.output, "郵件伺服器")
    assert mail.startswith("✗") and "JINGJIN_SMTP_HOST" in mail
    assert "Traceback" not in result.output


def test_an_unreachable_database_is_one_failed_line(monkeypatch, quiet_env):
    url = "postgresql+psycopg://jingjin@127.0.0.1:1/jingjin"
    with configured(monkeypatch, "sqlite://") as runner:
        monkeypatch.setenv("JINGJIN_DATABASE_URL", url)
        from config.settings import get_settings
        from model.db import get_engine

        get_settings.cache_clear()
        get_engine.cache_clear()
        result = run(runner, "doctor")
    assert result.exit_code == 1
    assert _line(result.output, "無法使用資料庫").startswith("✗")


def test_a_broken_rules_file_fails_naming_the_key(monkeypatch, tmp_path, quiet_env):
    rules = tmp_path / "rules"
    rules.mkdir()
    good = (PROJECT_ROOT / "rules" / "113.toml").read_text(encoding="utf-8")
    (rules / "113.toml").write_text(good, encoding="utf-8")
    (rules / "114.toml").write_text("[budget\n", encoding="utf-8")
    monkeypatch.setenv("JINGJIN_RULES_DIR", str(rules))
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        run(runner, "db", "upgrade")
        result = run(runner, "doctor")
    assert result.exit_code == 1
    assert _line(result.output, f"規則檔 {rules / '113.toml'}").startswith("✓")
    assert _line(result.output, f"規則檔 {rules / '114.toml'}").startswith("✗")


def test_a_wrong_jingjin_home_a_short_key_and_a_dead_prefect_fail(monkeypatch, tmp_path, quiet_env):
    monkeypatch.setenv("JINGJIN_HOME", str(tmp_path))
    monkeypatch.setenv("JINGJIN_SECRET_KEY", "short")
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        run(runner, "db", "upgrade")
        result = run(runner, "doctor")
    assert result.exit_code == 1
    assert _line(result.output, "JINGJIN_HOME").startswith("✗")
    assert _line(result.output, "JINGJIN_SECRET_KEY 只有 5 個字元").startswith("✗")
    assert _line(result.output, "Prefect").startswith("✗")
