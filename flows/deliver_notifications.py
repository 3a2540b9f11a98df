"""Deployment `deliver-notifications`: drain the outbox over SMTP every 5 minutes."""

from prefect import flow, get_run_logger, task

from model.db import get_engine
from notifications.smtp import deliver


@task(retries=2, retry_delay_seconds=[5, 30])
def deliver_batch(batch_size: int) -> dict[str, int]:
    outcome = deliver(get_engine(), batch_size=batch_size)
    return {
        "sent": len(outcome.sent),
        "retrying": len(outcome.retrying),
        "failed": len(outcome.failed),
    }


@flow(name="deliver-notifications")
def deliver_notifications(batch_size: int = 200, max_batches: int = 10) -> dict[str, int]:
    """Send queued mail batch by batch until a batch comes back short."""
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    for _ in range(max_batches):
        counts = deliver_batch(batch_size)
        for key, n in counts.items():
            totals[key] += n
        if sum(counts.values()) < batch_size:
            break
    get_run_logger().info(
        "寄送：成功 %d 封、稍後重試 %d 封、放棄 %d 封",
        totals["sent"], totals["retrying"], totals["failed"],
    )  # fmt: skip
    return totals
