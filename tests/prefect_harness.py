"""One Prefect test server for the whole run, started only by tests marked `prefect`.

Import `prefect_harness` into a test module and mark its tests with
`@pytest.mark.prefect` and `@pytest.mark.usefixtures("prefect_harness")`.
"""

import logging
import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("prefect-home")
    # Set before Prefect reads its settings; a fresh results directory keeps a new
    # harness from reusing a cached result of an earlier run.
    wanted = {
        "PREFECT_HOME": str(home),
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    logging.getLogger("prefect").setLevel(logging.WARNING)
    try:
        # Without heartbeats a sync flow run takes ~0.1 s instead of ~1.1 s.
        with (
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
            prefect_test_harness(),
        ):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
