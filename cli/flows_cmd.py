"""`jingjin sweep|remind|escalate|digest|deliver`: the scheduled jobs, run at once.

They call the same functions as the Prefect flows, so no Prefect server is needed.
"""

import typer

from cli.common import fail, parse_day, reports_errors
from flows.jobs import run
from flows.jobs.report import JobReport
from model.db import get_engine
from model.migrate import require_migrated
from notifications.smtp import deliver as deliver_outbox
from notifications.smtp import waiting

AS_OF_HELP = "以哪一天為準（例如 113/11/30 或 2024-11-30），預設為今天 (Asia/Taipei)"


def _print(title: str, report: JobReport) -> None:
    typer.echo(f"{title} {report.summary()}")
    for mail in report.queued:
        typer.echo(f"  排入 {mail.to_address}：{mail.rendered.subject}")


def _job(title: str, job, as_of: str | None) -> None:
    engine = get_engine()
    require_migrated(engine)
    _print(title, job(engine, parse_day(as_of, "--as-of")))


@reports_errors
def sweep(as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """立即執行法規查核：記錄新發現、更新仍存在者、標記已改善者，並排入新發現通知。"""
    _job("查核", run.sweep, as_of)


@reports_errors
def remind(as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """立即排入到期前提醒（只在工作日）。"""
    _job("提醒", run.remind, as_of)


@reports_errors
def escalate(as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """立即排入逾期逐級通報（只在工作日，每級一次）。"""
    _job("逾期通報", run.escalate, as_of)


@reports_errors
def digest(as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """立即排入教育部承辦的每日摘要（只在工作日）。"""
    _job("每日摘要", run.digest, as_of)


@reports_errors
def deliver(batch_size: int = typer.Option(200, "--batch-size", min=1, help="每批封數")) -> None:
    """立即寄出通知佇列中到期的信件（一批）。"""
    engine = get_engine()
    require_migrated(engine)
    outcome = deliver_outbox(engine, batch_size=batch_size)
    leased, backing_off = waiting(engine)
    typer.echo(
        f"寄送：成功 {len(outcome.sent)} 封、稍後重試 {len(outcome.retrying)} 封、"
        f"放棄 {len(outcome.failed)} 封"
    )
    if outcome.taken_over or leased:
        typer.echo(
            f"另有 {len(outcome.taken_over) + leased} 封正由另一個寄送程序處理中（租約到期後"
            "若仍未寄出會再寄）"
        )
    if backing_off:
        typer.echo(f"另有 {backing_off} 封等待稍後重試")
    for row in outcome.sent:
        typer.echo(f"  已寄出 {row.to_address}：{row.subject}")
    for row in outcome.retrying:
        typer.echo(f"  稍後重試 {row.to_address}：{row.subject}（{row.last_error}）")
    for row in outcome.failed:
        typer.echo(f"  放棄 {row.to_address}：{row.subject}（{row.last_error}）")
    if outcome.failed or outcome.retrying:
        # Cron and monitoring see a run that left mail unsent.
        raise typer.Exit(1)


flows_app = typer.Typer(help="Prefect 排程的伺服器端設定", no_args_is_help=True)


@flows_app.command("automations")
def automations_command() -> None:
    """在 PREFECT_API_URL 的 Prefect 伺服器建立（或更新）自動化：工作主機失聯的執行標記為 Crashed。"""
    import os

    if not os.environ.get("PREFECT_API_URL", "").strip():
        fail(
            "PREFECT_API_URL 未設定：請設為 Prefect 伺服器的 API 位址，例如 http://prefect.internal:4200/api"
        )
    from flows.automations import UNRESPONSIVE_AFTER, install

    automation, created = install()
    verb = "已建立" if created else "已更新"
    seconds = int(UNRESPONSIVE_AFTER.total_seconds())
    typer.echo(f"{verb}自動化「{automation.name}」：流程執行 {seconds} 秒沒有心跳即標記為 Crashed")


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")
    for name, command in (
        ("sweep", sweep), ("remind", remind), ("escalate", escalate), ("digest", digest),
        ("deliver", deliver),
    ):  # fmt: skip
        app.command(name)(command)
