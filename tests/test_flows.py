"""The Prefect flows against the test harness, and prefect.yaml against the code."""

from datetime import date

import pytest
import yaml
from deadline_fixtures import RecordingHandler, free_port, seed_demo, smtp_server
from prefect_harness import prefect_harness  # noqa: F401  (the session fixture)
from sqlmodel import Session, func, select

from config.settings import PROJECT_ROOT, get_settings
from model.alerts import REMINDER, MilestoneAlert
from model.db import get_engine
from model.tables import Finding, Milestone, Notification

DEPLOYMENTS = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def configured_db(sqlite_engine, monkeypatch):
    """Point the settings (and so the flows) at a migrated SQLite file with demo data."""
    seed_demo(sqlite_engine)
    monkeypatch.setenv("JINGJIN_DATABASE_URL", sqlite_engine.url.render_as_string())
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield sqlite_engine
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.mark.parametrize("item", DEPLOYMENTS["deployments"], ids=lambda d: d["name"])
def test_deployment_entrypoint_names_its_flow(item):
    from prefect import Flow

    from flows.serve import load_entrypoint

    flow = load_entrypoint(item["entrypoint"])
    assert isinstance(flow, Flow) and flow.name == item["name"]
    assert (PROJECT_ROOT / item["entrypoint"].partition(":")[0]).is_file()
    assert item["work_pool"]["name"] == "jingjin" and item["description"].strip()
    assert [s["timezone"] for s in item["schedules"]] == ["Asia/Taipei"]
    assert set(item.get("parameters", {})) <= set(flow.parameters.properties)


def test_deployments_from_yaml_builds_taipei_cron_schedules():
    from flows.serve import deployments_from_yaml

    built = {d.name: d for d in deployments_from_yaml()}
    assert set(built) == {d["name"] for d in DEPLOYMENTS["deployments"]}
    schedule = built["send-reminders"].schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("30 8 * * *", "Asia/Taipei")


@pytest.mark.parametrize("name", ["send-reminders", "escalate-overdue", "daily-digest"])
def test_deadline_deployment_runs_every_day_for_makeup_saturdays(name):
    # 補班 Saturdays (2024-02-17, 2025-02-08) are working days: the jobs themselves skip
    # the days off, so the schedule must not.
    [item] = [d for d in DEPLOYMENTS["deployments"] if d["name"] == name]
    [schedule] = item["schedules"]
    assert schedule["cron"].split()[2:] == ["*", "*", "*"]


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_flows_queue_then_deliver_the_day_s_mail(configured_db, monkeypatch):
    from flows.compliance_sweep import compliance_sweep
    from flows.deliver_notifications import deliver_notifications
    from flows.escalate_overdue import escalate_overdue
    from flows.send_reminders import send_reminders

    swept = compliance_sweep(as_of=date(2024, 11, 29))
    reminded = send_reminders(as_of=date(2024, 11, 29))
    escalated = escalate_overdue(as_of=date(2024, 11, 29))
    # The six purchases' disbursement and November's working meeting, both due Sat 11/30:
    # one mail to each of their owners.
    assert reminded["提醒（前 1 個工作天）"] == 7
    with Session(configured_db) as session:
        owners = session.exec(
            select(func.count(func.distinct(Milestone.owner_id)))
            .join(MilestoneAlert, MilestoneAlert.milestone_id == Milestone.id)
            .where(MilestoneAlert.kind == REMINDER, MilestoneAlert.fired_on == date(2024, 11, 29))
        ).one()
    assert reminded["queued"] == owners > 0
    assert escalated["queued"] > 0 and swept["新發現"] > 0
    with Session(configured_db) as session:
        queued = session.exec(select(func.count()).select_from(Notification)).one()
        assert session.exec(select(func.count()).select_from(Finding)).one() == swept["新發現"]
    handler, port = RecordingHandler(), free_port()
    monkeypatch.setenv("JINGJIN_SMTP_PORT", str(port))
    get_settings.cache_clear()
    with smtp_server(handler, port):
        totals = deliver_notifications(batch_size=50)
    assert totals == {"sent": queued, "retrying": 0, "failed": 0}
    assert len(handler.received) == queued


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_send_reminders_flow_on_a_holiday_queues_nothing(configured_db):
    from flows.send_reminders import send_reminders

    result = send_reminders(as_of=date(2024, 10, 10))
    assert result["queued"] == 0 and "非工作日" in result["summary"]
