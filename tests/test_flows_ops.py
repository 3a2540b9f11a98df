"""Running the flows beyond one machine: JINGJIN_HOME, dead workers, logs on the server."""

import logging
import subprocess
import sys

import pytest
import yaml
from prefect_harness import prefect_harness  # noqa: F401  (the session fixture)

from config.settings import PROJECT_ROOT
from flows.home import entrypoint_files, home_problem

SPEC = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def test_deploying_checks_jingjin_home_before_anything_else():
    [step] = SPEC["build"]
    assert step["prefect.deployments.steps.run_shell_script"]["script"] == "python -m flows.home"
    assert SPEC["pull"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == (
        "{{ $JINGJIN_HOME }}"
    )


@pytest.mark.parametrize("home", [None, "", "  "])
def test_a_missing_jingjin_home_stops_the_deploy_with_one_line(home, tmp_path):
    env = {"PATH": "/usr/bin:/bin"}
    if home is not None:
        env["JINGJIN_HOME"] = home
    done = subprocess.run(
        [sys.executable, "-m", "flows.home"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("JINGJIN_HOME 未設定")
    assert len(done.stderr.strip().splitlines()) == 1


def test_jingjin_home_must_hold_every_entrypoint(tmp_path):
    files = entrypoint_files()
    assert "flows/deliver_notifications.py" in files and len(files) == len(SPEC["deployments"])
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "send_reminders.py").write_text("")
    problem = home_problem(str(tmp_path), files)
    assert "flows/compliance_sweep.py" in problem and "flows/send_reminders.py" not in problem
    assert "不是目錄" in home_problem(str(tmp_path / "nowhere"), files)
    assert home_problem(str(PROJECT_ROOT), files) is None


def test_a_frequent_deployment_drops_a_run_that_collides():
    deliver = next(d for d in SPEC["deployments"] if d["name"] == "deliver-notifications")
    assert deliver["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_dead_worker_automation_is_installed_once_and_crashes_silent_runs():
    from prefect.automations import Automation

    from flows.automations import NAME, install

    first, created = install()
    again, created_again = install()
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    found = Automation.read(name=NAME)
    trigger = found.trigger
    assert trigger.posture.value == "Proactive"
    assert trigger.after == {"prefect.flow-run.heartbeat"}
    assert "prefect.flow-run.Completed" in trigger.expect
    assert trigger.within.total_seconds() == 180
    [action] = found.actions
    assert action.type == "change-flow-run-state" and action.state.value == "CRASHED"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_notification_warnings_reach_the_flow_run_log():
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.context import get_run_context
    from prefect.logging.handlers import APILogHandler

    from flows.run_log import into_run_log

    @flow
    def taken_over() -> str:
        with into_run_log():
            logging.getLogger("notifications.smtp").warning("通知 %s 已由另一個寄送程序接手", 7)
        return str(get_run_context().flow_run.id)

    run_id = taken_over()
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=50
        )
    assert any("通知 7 已由另一個寄送程序接手" in log.message for log in logs)
    # Outside a run nothing is forwarded and nothing is left attached.
    assert not logging.getLogger("notifications").handlers


def test_installing_the_automation_needs_a_prefect_server(monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(app, ["flows", "automations"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output.startswith("PREFECT_API_URL 未設定")


def test_every_deployment_beats_often_enough_for_the_automation():
    from flows.automations import HEARTBEAT_SECONDS, UNRESPONSIVE_AFTER

    for deployment in SPEC["deployments"]:
        env = deployment["work_pool"]["job_variables"]["env"]
        assert int(env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"]) == HEARTBEAT_SECONDS
    assert UNRESPONSIVE_AFTER.total_seconds() >= 3 * HEARTBEAT_SECONDS
