"""The kinds of dated obligation a county carries (SPEC.md, Deadlines), with their titles.

Milestone.kind stores the value; reminders, escalation and the sweep read these names, so
a new kind is added here once rather than spelled out in each of them.
"""

from enum import StrEnum


class MilestoneKind(StrEnum):
    working_meeting = "meeting.working"
    moe_team_meeting = "meeting.moe_team"
    parent_session = "parent_session"
    open_lesson = "open_lesson"
    purchase_disbursement = "purchase.disbursement"
    literacy_training = "training.literacy"
    workshop = "training.workshop"
    guideline_workshop = "training.guideline"
    companion_visit = "companion_visit"
    outcome_sampling = "outcome_sampling"
    settlement_due = "settlement.due"
    plan_submission = "plan.submit"
    progress_report = "report.progress"
    results_report = "report.results"

    @property
    def title(self) -> str:  # type: ignore[override]  # a kind's zh-TW title, not str.title()
        return MILESTONE_TITLES[self]


MILESTONE_TITLES = {
    MilestoneKind.working_meeting: "推動辦公室工作會議",
    MilestoneKind.moe_team_meeting: "教育部輔導團隊參與會議",
    MilestoneKind.parent_session: "家長宣講",
    MilestoneKind.open_lesson: "數位學習模式公開觀議課",
    MilestoneKind.purchase_disbursement: "數位內容及教學軟體經費請撥",
    MilestoneKind.literacy_training: "數位素養教師培訓",
    MilestoneKind.workshop: "數位學習工作坊",
    MilestoneKind.guideline_workshop: "數位教學指引(2.0)培力工作坊",
    MilestoneKind.companion_visit: "入校入班陪伴（推動辦公室陪同）",
    MilestoneKind.outcome_sampling: "學習成效抽樣調查",
    MilestoneKind.settlement_due: "經費結報",
    MilestoneKind.plan_submission: "實施計畫提報",
    MilestoneKind.progress_report: "計畫管考資料提交",
    MilestoneKind.results_report: "執行成果資料提交",
}

# Plain-string aliases for callers that compare with Milestone.kind directly.
WORKING_MEETING = MilestoneKind.working_meeting.value
MOE_TEAM_MEETING = MilestoneKind.moe_team_meeting.value
PARENT_SESSION = MilestoneKind.parent_session.value
OPEN_LESSON = MilestoneKind.open_lesson.value
PURCHASE_DISBURSEMENT = MilestoneKind.purchase_disbursement.value
LITERACY_TRAINING = MilestoneKind.literacy_training.value
WORKSHOP = MilestoneKind.workshop.value
GUIDELINE_WORKSHOP = MilestoneKind.guideline_workshop.value
COMPANION_VISIT = MilestoneKind.companion_visit.value
OUTCOME_SAMPLING = MilestoneKind.outcome_sampling.value
SETTLEMENT_DUE = MilestoneKind.settlement_due.value
PLAN_SUBMISSION = MilestoneKind.plan_submission.value
PROGRESS_REPORT = MilestoneKind.progress_report.value
RESULTS_REPORT = MilestoneKind.results_report.value
