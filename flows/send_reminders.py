"""Deployment `send-reminders`: reminders before due dates, on working days at 08:30."""

from datetime import date

from prefect import flow, get_run_logger, task

from flows.jobs import run


@task(retries=2, retry_delay_seconds=[10, 60])
def queue_reminders(as_of: date | None) -> dict[str, int | str]:
    report = run.remind(as_of=as_of)
    return {"summary": report.summary(), "queued": len(report.queued), **report.counts}


@flow(name="send-reminders")
def send_reminders(as_of: date | None = None) -> dict[str, int | str]:
    """Queue a reminder to each owner whose milestone is due in a configured offset."""
    result = queue_reminders(as_of)
    get_run_logger().info("提醒：%s", result["summary"])
    return result
