"""Our packages log with `logging` (they do not import Prefect); inside a flow run their
warnings belong in the run's log on the Prefect server, where the operator looks."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_run_logger

# The packages a flow calls into whose records an operator must see.
FORWARDED = ("notifications", "flows.jobs", "model")


class _ToRunLogger(logging.Handler):
    def __init__(self, run_logger: logging.LoggerAdapter) -> None:
        super().__init__()
        self.run_logger = run_logger

    def emit(self, record: logging.LogRecord) -> None:
        self.run_logger.log(record.levelno, "%s", record.getMessage())


@contextmanager
def into_run_log(*names: str, level: int = logging.INFO) -> Iterator[None]:
    """Forward records of the loggers `names` (default FORWARDED) to the current run's log."""
    handler = _ToRunLogger(get_run_logger())
    handler.setLevel(level)
    loggers = [logging.getLogger(name) for name in names or FORWARDED]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
