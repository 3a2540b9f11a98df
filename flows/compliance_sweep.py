"""Deployment `compliance-sweep`: every rule for every county, daily at 07:00."""

from datetime import date

from prefect import flow, get_run_logger, task

from flows.jobs import run


@task(retries=2, retry_delay_seconds=[10, 60])
def sweep_database(as_of: date | None) -> dict[str, int | str]:
    report = run.sweep(as_of=as_of)
    return {"summary": report.summary(), "queued": len(report.queued), **report.counts}


@flow(name="compliance-sweep")
def compliance_sweep(as_of: date | None = None) -> dict[str, int | str]:
    """Re-check every compliance rule; record, update and resolve findings; mail new ones."""
    result = sweep_database(as_of)
    get_run_logger().info("查核：%s", result["summary"])
    return result
