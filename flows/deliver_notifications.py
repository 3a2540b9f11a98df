"""Deployment `deliver-notifications`: drain the outbox over SMTP every 5 minutes."""

from datetime import timedelta

from prefect import flow, get_run_logger, task

from flows.run_log import into_run_log
from model.db import get_engine
from notifications.smtp import GIVE_UP_AFTER, deliver

GIVE_UP_HOURS = int(GIVE_UP_AFTER.total_seconds()) // 3600


@task(retries=2, retry_delay_seconds=[5, 30])
def deliver_batch(batch_size: int, give_up_after_hours: int = GIVE_UP_HOURS) -> dict[str, int]:
    with into_run_log():  # "taken over by another deliverer" belongs in the run's log
        outcome = deliver(
            get_engine(), batch_size=batch_size, give_up_after=timedelta(hours=give_up_after_hours)
        )
    return {
        "sent": len(outcome.sent),
        "retrying": len(outcome.retrying),
        "failed": len(outcome.failed),
    }


@flow(name="deliver-notifications")
def deliver_notifications(
    batch_size: int = 200, max_batches: int = 10, give_up_after_hours: int = GIVE_UP_HOURS
) -> dict[str, int]:
    """Send queued mail batch by batch until a batch comes back short; a message the
    server has not accepted within `give_up_after_hours` of being queued is given up."""
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    for _ in range(max_batches):
        counts = deliver_batch(batch_size, give_up_after_hours)
        for key, n in counts.items():
            totals[key] += n
        if sum(counts.values()) < batch_size:
            break
    get_run_logger().info(
        "寄送：成功 %d 封、稍後重試 %d 封、放棄 %d 封",
        totals["sent"], totals["retrying"], totals["failed"],
    )  # fmt: skip
    return totals
