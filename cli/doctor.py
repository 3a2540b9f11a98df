"""`jingjin doctor`: is this installation ready? One zh-TW line per check.

Nothing is changed and no mail is sent: the database is read, the SMTP server is only
greeted (EHLO, and the login when one is configured), Prefect's /health is asked.
"""

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass

import typer

OK, BAD, WARN, SKIP = "✓", "✗", "⚠", "－"


@dataclass(frozen=True)
class Check:
    mark: str
    text: str


def check_settings() -> Check:
    from config.settings import get_settings

    get_settings()
    return Check(OK, "設定：JINGJIN_* 設定皆可讀取")


def check_database() -> list[Check]:
    from sqlalchemy import text

    from model.db import get_engine
    from model.migrate import head_revision, require_migrated
    from rules.errors import JingjinError

    engine = get_engine()
    where = engine.url.render_as_string(hide_password=True)
    try:
        require_migrated(engine)
    except JingjinError as error:  # not migrated, or newer than this program
        return [Check(BAD, f"資料庫 {where}：{error}")]
    checks = [Check(OK, f"資料庫 {where}：可連線，已更新到最新版本 {head_revision(engine)}")]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            role, owned = conn.execute(
                text(
                    "SELECT current_user, count(*) FILTER (WHERE tableowner = current_user)"
                    " FROM pg_tables WHERE schemaname = current_schema()"
                )
            ).one()
        if owned:
            checks.append(
                Check(
                    WARN,
                    f"資料庫角色 {role} 擁有 {owned} 個資料表：建議平時以不擁有資料表的角色連線，"
                    "遷移另以擁有者角色執行（見 README「PostgreSQL roles」）",
                )
            )
    return checks


def check_smtp() -> Check:
    import aiosmtplib

    from config.settings import get_settings

    settings = get_settings()
    where = f"{settings.smtp_host}:{settings.smtp_port}"

    async def greet() -> None:
        smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host, port=settings.smtp_port, use_tls=settings.smtp_tls,
            start_tls=settings.smtp_starttls, timeout=10,
        )  # fmt: skip
        await smtp.connect()  # greets with EHLO (and STARTTLS when configured)
        try:
            if settings.smtp_username:
                await smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        finally:
            await smtp.quit()

    try:
        asyncio.run(greet())
    except (aiosmtplib.SMTPException, OSError) as error:
        return Check(
            BAD,
            f"郵件伺服器 {where}：無法連線或登入（{error}）；"
            "請檢查 JINGJIN_SMTP_HOST、JINGJIN_SMTP_PORT 與帳號密碼",
        )
    return Check(OK, f"郵件伺服器 {where}：可連線（未寄出任何信件）")


def check_prefect() -> Check:
    import httpx

    url = os.environ.get("PREFECT_API_URL", "").strip()
    if not url:
        return Check(SKIP, "Prefect：未設定 PREFECT_API_URL，略過（排程伺服器與工作主機需要設定）")
    auth = os.environ.get("PREFECT_API_AUTH_STRING", "")
    basic = tuple(auth.split(":", 1)) if ":" in auth else None
    try:
        answer = httpx.get(url.rstrip("/") + "/health", auth=basic, timeout=10)
        answer.raise_for_status()
    except httpx.HTTPError as error:
        return Check(BAD, f"Prefect {url}：無法連線（{error}）；請檢查 PREFECT_API_URL 與伺服器")
    return Check(OK, f"Prefect {url}：伺服器正常")


def check_rules() -> list[Check]:
    from rules import available_years
    from rules.errors import RulesFileError
    from rules.schema import load_rules_file, rules_path

    years = available_years()
    if not years:
        return [
            Check(
                BAD, "規則檔：找不到任何年度的規則檔（rules/<年度>.toml）；請檢查 JINGJIN_RULES_DIR"
            )
        ]
    checks = []
    for year in years:
        path = rules_path(year)
        try:
            load_rules_file(path)
        except RulesFileError as error:
            checks.append(Check(BAD, f"規則檔 {path}：{error}"))
        else:
            checks.append(Check(OK, f"規則檔 {path}：格式與規則皆正確"))
    return checks


def check_home() -> Check:
    from flows.home import entrypoint_files, home_problem

    home = os.environ.get("JINGJIN_HOME")
    if not home:
        return Check(
            WARN, "JINGJIN_HOME 未設定：執行 prefect deploy 前必須設定（見 flows/README.md）"
        )
    problem = home_problem(home, entrypoint_files())
    return Check(BAD, problem) if problem else Check(OK, f"JINGJIN_HOME {home}：含所有排程的程式")


def check_secret_key() -> Check:
    from config.settings import get_settings
    from web.config import MIN_SECRET_CHARS

    key = get_settings().secret_key.get_secret_value().strip()
    if not key:
        return Check(
            WARN, "JINGJIN_SECRET_KEY 未設定：網頁服務會在資料目錄產生隨機金鑰（僅適合示範）"
        )
    if len(key) < MIN_SECRET_CHARS:
        return Check(
            BAD, f"JINGJIN_SECRET_KEY 只有 {len(key)} 個字元，至少需要 {MIN_SECRET_CHARS} 個"
        )
    return Check(OK, "JINGJIN_SECRET_KEY：長度足夠")


def _run(check: Callable[[], Check | list[Check]], name: str) -> list[Check]:
    """A check that fails outright becomes one ✗ line saying why."""
    from cli.operator import operator_message
    from rules.errors import JingjinError

    try:
        found = check()
    except JingjinError as error:
        text = str(error)
        return [Check(BAD, text if text.startswith(name) else f"{name}：{text}")]
    except Exception as error:
        message = operator_message(error)
        if message is None:
            raise
        return [Check(BAD, message)]
    return found if isinstance(found, list) else [found]


CHECKS: list[tuple[str, Callable[[], Check | list[Check]]]] = [
    ("設定", check_settings),
    ("資料庫", check_database),
    ("郵件伺服器", check_smtp),
    ("Prefect", check_prefect),
    ("規則檔", check_rules),
    ("JINGJIN_HOME", check_home),
    ("JINGJIN_SECRET_KEY", check_secret_key),
]


def doctor_command() -> None:
    """檢查安裝是否就緒：資料庫、郵件伺服器、Prefect、規則檔、JINGJIN_HOME、網頁金鑰。"""
    results: list[Check] = []
    for name, check in CHECKS:
        results.extend(_run(check, name))
        if name == "設定" and results[-1].mark == BAD:
            break  # every other check reads the settings
    for result in results:
        typer.echo(f"{result.mark} {result.text}")
    if any(result.mark == BAD for result in results):
        raise typer.Exit(1)
