"""The server-side automation that frees a dead worker's runs (`jingjin flows automations`).

A flow run sends a heartbeat every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (60, set by
prefect.yaml for every run). When a worker machine dies its run would stay "Running" and
keep the deployment's concurrency slot; this automation marks a run Crashed once no
heartbeat and no final state has come for UNRESPONSIVE_AFTER, which ends the run and
gives its slot back. Prefect's own recipe: docs.prefect.io/v3/advanced/detect-zombie-flows.
"""

from datetime import timedelta

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

NAME = "jingjin：工作主機失聯的排程標記為 Crashed"
HEARTBEAT_SECONDS = 60
# Three heartbeats missed: a busy worker is not mistaken for a dead one.
UNRESPONSIVE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)
FINAL = ("Completed", "Failed", "Cancelled", "Crashed")


def crash_unresponsive_runs() -> Automation:
    return Automation(
        name=NAME,
        description="流程執行超過 3 分鐘沒有心跳（工作主機當機或斷線）時標記為 Crashed，釋放並行額度。",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{s}" for s in FINAL)},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=UNRESPONSIVE_AFTER,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"超過 {int(UNRESPONSIVE_AFTER.total_seconds())} 秒未收到心跳，"
                "工作主機可能已停止運作",
            )
        ],
    )


def install() -> tuple[Automation, bool]:
    """Create the automation on the server in PREFECT_API_URL, or bring it up to date;
    True when it was created."""
    wanted = crash_unresponsive_runs()
    try:
        found = Automation.read(name=NAME)
    except ValueError:  # Prefect's "automation not found"
        return wanted.create(), True
    wanted.id = found.id
    wanted.update()
    return wanted, False
