"""Deployment `daily-digest`: one mail per reviewer who chose the digest, at 17:30."""

from datetime import date

from prefect import flow, get_run_logger, task

from flows.jobs import run


@task(retries=2, retry_delay_seconds=[10, 60])
def queue_digests(as_of: date | None) -> dict[str, int | str]:
    report = run.digest(as_of=as_of)
    return {"summary": report.summary(), "queued": len(report.queued), **report.counts}


@flow(name="daily-digest")
def daily_digest(as_of: date | None = None) -> dict[str, int | str]:
    """Queue the day's escalations to the ministry and new findings as one digest each."""
    result = queue_digests(as_of)
    get_run_logger().info("每日摘要：%s", result["summary"])
    return result
