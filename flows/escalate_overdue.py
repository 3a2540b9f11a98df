"""Deployment `escalate-overdue`: owner → county supervisor → ministry, at 09:00."""

from datetime import date

from prefect import flow, get_run_logger, task

from flows.jobs import run


@task(retries=2, retry_delay_seconds=[10, 60])
def queue_escalations(as_of: date | None) -> dict[str, int | str]:
    report = run.escalate(as_of=as_of)
    return {"summary": report.summary(), "queued": len(report.queued), **report.counts}


@flow(name="escalate-overdue")
def escalate_overdue(as_of: date | None = None) -> dict[str, int | str]:
    """Fire each escalation step once for every overdue milestone that has reached it."""
    result = queue_escalations(as_of)
    get_run_logger().info("逾期通報：%s", result["summary"])
    return result
