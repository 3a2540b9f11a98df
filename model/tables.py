"""The stored tables. Money is whole NT$ in integers; dates are ISO dates; times are
timezone-aware (sqlmodel stores them as UTC and they are shown in Asia/Taipei)."""

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from config.clock import now
from states.activity import SPECS, ActivityKind
from states.values import (
    BudgetChangeState,
    BudgetItem,
    ItemType,
    PlanState,
    PurchaseState,
    ReimbursementState,
    Role,
)


# Enum columns are plain strings guarded by these CHECK constraints, so that adding a
# state later is a constraint change rather than a PostgreSQL ALTER TYPE.
def _one_of(column: str, enum: type, name: str) -> CheckConstraint:
    values = ", ".join(f"'{v.value}'" for v in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name)


def _json(nullable: bool = False) -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=nullable))


class Versioned(SQLModel):
    """Optimistic locking: a competing commit on a stale row raises StaleDataError."""

    version: int | None = Field(default=None, nullable=False)

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


class County(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=8)
    name: str = Field(unique=True, max_length=16)
    email: str | None = None


class ProgrammeYear(SQLModel, table=True):
    __tablename__: ClassVar[str] = "programme_year"

    year: int = Field(primary_key=True)
    rules_toml: str = Field(sa_column=Column(Text, nullable=False))
    rules_sha256: str = Field(max_length=64)
    loaded_at: datetime = Field(default_factory=now)
    # 6 數位內容: the ministry's per-head amount for the year when the rules file has none
    # (the 113 plan publishes none); set by the ministry admin, never by a county.
    per_head_rate: int | None = Field(default=None)


class PerHeadRateChange(SQLModel, table=True):
    """Who set a year's per-head amount, when, and from what: every setting is kept."""

    __tablename__: ClassVar[str] = "per_head_rate_change"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="programme_year.year", index=True)
    previous: int | None = None  # None: the rules file's amount applied until then
    amount: int
    actor_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=now)


class School(SQLModel, table=True):
    """One row of the 附錄 school list of a year."""

    __table_args__ = (
        UniqueConstraint("year", "code", name="uq_school_year_code"),
        CheckConstraint(
            "classes >= 0 AND teachers >= 0 AND students >= 0", name="ck_school_counts"
        ),
        CheckConstraint("level IN ('國小', '國中', '高中')", name="ck_school_level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="programme_year.year", index=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    seq: int
    level: str = Field(max_length=4)
    code: str = Field(max_length=6)
    district: str = Field(max_length=16)
    establishment: str = Field(max_length=4)
    affiliation: str = Field(max_length=8)
    area: str = Field(max_length=8)
    indigenous: bool = False
    name: str = Field(max_length=64)
    classes: int
    teachers: int
    students: int
    synthetic: bool = False

    @property
    def remote(self) -> bool:
        return self.area == "偏遠"


class User(SQLModel, table=True):
    __table_args__ = (
        _one_of("role", Role, "ck_user_role"),
        CheckConstraint(
            "(role IN ('county_staff', 'county_supervisor')) = (county_id IS NOT NULL)",
            name="ck_user_county_role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    display_name: str = Field(max_length=64)
    email: str = Field(max_length=254)
    role: Role = Field(sa_type=String(24))
    county_id: int | None = Field(default=None, foreign_key="county.id", index=True)
    password_hash: str | None = None
    daily_digest: bool = False
    active: bool = True
    synthetic: bool = False
    # Raised by sign-out, a new password and a lockout: every cookie signed with an older
    # value stops working at once (web.deps.current_user compares them).
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Plan(Versioned, table=True):
    """縣市實施計畫: one per county and year."""

    __table_args__ = (
        UniqueConstraint("county_id", "year", name="uq_plan_county_year"),
        _one_of("status", PlanState, "ck_plan_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    year: int = Field(foreign_key="programme_year.year")
    status: PlanState = Field(default=PlanState.draft, sa_type=String(32), index=True)
    # 壹…柒 of the 附件 outline, keyed by section; the 附錄 comes from the school table.
    sections: dict = _json()
    # County-chosen quantities behind the estimate (workshops, companion schools, …).
    inputs: dict = _json()
    # The county's own target numbers (量化指標), checked against the year's minimums.
    targets: dict = _json()
    letter_no: str | None = Field(default=None, max_length=64)
    submitted_on: date | None = None
    approved_on: date | None = None
    synthetic: bool = False
    created_at: datetime = Field(default_factory=now)


class BudgetLine(SQLModel, table=True):
    """One line of the 經費申請表: the request split into 經常門 and 資本門."""

    __tablename__: ClassVar[str] = "budget_line"
    __table_args__ = (
        UniqueConstraint("plan_id", "item", name="uq_budget_line_plan_item"),
        _one_of("item", BudgetItem, "ck_budget_line_item"),
        CheckConstraint(
            "estimate >= 0 AND recurrent >= 0 AND capital >= 0", name="ck_budget_line_money"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    item: BudgetItem = Field(sa_type=String(32))
    estimate: int = 0
    recurrent: int = 0
    capital: int = 0
    explanation: str = ""
    # Person-months and monthly rate for the part-time PI lines (陸、二、(一)1.(5)E–F).
    person_months: int = 0
    monthly_rate: int = 0

    @property
    def requested(self) -> int:
        return self.recurrent + self.capital


class BudgetChange(Versioned, table=True):
    """流用/變更 after approval: its own request that the ministry decides (陸、二、(五))."""

    __tablename__: ClassVar[str] = "budget_change"
    __table_args__ = (_one_of("status", BudgetChangeState, "ck_budget_change_status"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    # The plan's county and year, copied so that access and rules read it like any item.
    county_id: int = Field(foreign_key="county.id", index=True)
    year: int = Field(foreign_key="programme_year.year")
    status: BudgetChangeState = Field(default=BudgetChangeState.requested, sa_type=String(16))
    # {item: {"recurrent": int, "capital": int}} as proposed.
    lines: dict = _json()
    # The lines as they stood before the ministry approved the change.
    previous: dict = _json()
    reason: str = ""
    letter_no: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=now)


class Product(SQLModel, table=True):
    """One entry of the year's 「校園數位內容與教學軟體選購名單」."""

    __table_args__ = (
        UniqueConstraint("year", "serial", name="uq_product_year_serial"),
        CheckConstraint("reference_price >= 0", name="ck_product_price"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="programme_year.year", index=True)
    serial: str = Field(max_length=9)  # NNNNN-NNN
    name: str = Field(max_length=128)
    vendor: str = Field(max_length=128)
    group: str = Field(max_length=16)
    reference_price: int
    needs_data_clause: bool = False
    synthetic: bool = False


class Purchase(Versioned, table=True):
    """數位內容及教學軟體購置 (伍、三、(六))."""

    __table_args__ = (
        _one_of("status", PurchaseState, "ck_purchase_status"),
        CheckConstraint("amount >= 0", name="ck_purchase_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    year: int = Field(foreign_key="programme_year.year")
    plan_id: int | None = Field(default=None, foreign_key="plan.id")
    title: str = Field(max_length=200)
    status: PurchaseState = Field(
        default=PurchaseState.needs_collected, sa_type=String(32), index=True
    )
    product_id: int | None = Field(default=None, foreign_key="product.id")
    amount: int = 0
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    # The evidence each step recorded: meeting, clause text, procurement, request, usage.
    evidence: dict = _json()
    award_date: date | None = None
    # 採購金額: fixed before tendering, it decides the procurement method; `amount` is the award.
    procurement_amount: int | None = None
    disbursement_requested_on: date | None = None
    letter_no: str | None = Field(default=None, max_length=64)
    synthetic: bool = False
    created_at: datetime = Field(default_factory=now)


class Reimbursement(Versioned, table=True):
    """經費請撥、核撥與結報 of a plan."""

    __table_args__ = (
        UniqueConstraint("plan_id", name="uq_reimbursement_plan"),
        _one_of("status", ReimbursementState, "ck_reimbursement_status"),
        CheckConstraint(
            "approved_amount >= 0 AND subsidy >= 0 AND disbursed >= 0 AND spent >= 0",
            name="ck_reimbursement_money",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    year: int = Field(foreign_key="programme_year.year")
    plan_id: int = Field(foreign_key="plan.id", index=True)
    status: ReimbursementState = Field(
        default=ReimbursementState.requested, sa_type=String(32), index=True
    )
    approved_amount: int = 0  # A
    subsidy: int = 0  # B
    disbursed: int = 0  # C
    spent: int = 0  # E
    # Tranches, per-item actual spending (經常門/資本門), settlement figures.
    evidence: dict = _json()
    letter_no: str | None = Field(default=None, max_length=64)
    synthetic: bool = False
    created_at: datetime = Field(default_factory=now)


class Milestone(SQLModel, table=True):
    """A dated obligation with an owner: reminded before, escalated after."""

    __table_args__ = (
        UniqueConstraint(
            "kind", "subject_type", "subject_id", "school_id", name="uq_milestone_subject"
        ),
        Index("ix_milestone_open_due", "done_on", "due_on"),
        Index("ix_milestone_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    year: int = Field(foreign_key="programme_year.year")
    kind: str = Field(max_length=48)
    title: str = Field(max_length=200)
    subject_type: str = Field(max_length=24)
    subject_id: int
    school_id: int | None = Field(default=None, foreign_key="school.id")
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    due_on: date
    done_on: date | None = None
    evidence: dict = _json()
    synthetic: bool = False


class TransitionLog(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE (see the migrations)."""

    __tablename__: ClassVar[str] = "transition_log"
    __table_args__ = (
        _one_of("item_type", ItemType, "ck_transition_log_item_type"),
        Index("ix_transition_log_item", "item_type", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_type: ItemType = Field(sa_type=String(16))
    item_id: int
    event: str = Field(max_length=48)
    from_state: str = Field(max_length=32)
    to_state: str = Field(max_length=32)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor_role: str = Field(max_length=24)
    at: datetime = Field(default_factory=now)
    reason: str = ""
    evidence: dict = _json()
    letter_no: str | None = Field(default=None, max_length=64)
    # The hash chain (model/audit.py): the row before's hash, and this row's.
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)


class Finding(SQLModel, table=True):
    """A compliance finding: one row per rule and subject, kept after it is resolved."""

    __table_args__ = (
        UniqueConstraint("rule_id", "subject_type", "subject_id", name="uq_finding_subject"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=64, index=True)
    county_id: int | None = Field(default=None, foreign_key="county.id", index=True)
    subject_type: str = Field(max_length=24)
    subject_id: int
    message: str
    first_seen: date
    # No last_seen: the sweep resolves a finding by set difference the day its subject no
    # longer breaks the rule, so an open finding is one seen by the latest sweep.
    resolved_on: date | None = None
    acknowledged_by: int | None = Field(default=None, foreign_key="user.id")


class Notification(SQLModel, table=True):
    """The outbox: a mail is composed once, stored, then delivered until accepted."""

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_notification_status"),
        Index("ix_notification_pending", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)
    recipient_id: int | None = Field(default=None, foreign_key="user.id")
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str = Field(max_length=200)
    reason: str = ""
    status: str = Field(default="queued", max_length=8)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=now)
    last_error: str = ""
    created_at: datetime = Field(default_factory=now)
    sent_at: datetime | None = None
    # The message exactly as sent, serialized once when queued, so that no send repeats
    # that work and every retry is the same bytes. Null on rows queued before revision
    # 0008: the deliverer composes those when it sends them.
    mime: bytes | None = None


class Closure(SQLModel, table=True):
    """An office closure entered by hand (e.g. a typhoon day, 停班); county NULL = nationwide."""

    __table_args__ = (UniqueConstraint("day", "county_id", name="uq_closure_day_county"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    county_id: int | None = Field(default=None, foreign_key="county.id")
    reason: str = Field(max_length=200)
    # Who entered it and when; null on closures entered before revision 0014.
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    entered_at: datetime | None = Field(default_factory=now)


class ReportingDateChange(SQLModel, table=True):
    """A reporting date the ministry announced (「另行公布」): every setting is kept, the
    latest one per year and kind applies; none means the rules file's date, if any."""

    __tablename__: ClassVar[str] = "reporting_date_change"
    __table_args__ = (Index("ix_reporting_date_change_year_kind", "year", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="programme_year.year")
    kind: str = Field(max_length=48)  # a MilestoneKind value, e.g. report.progress
    previous: date | None = None  # None: no date (or only the rules file's) until then
    due_on: date
    actor_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=now)


# ------------------------------------------------------------------ activities and per-school figures
_KINDS = ", ".join(f"'{k.value}'" for k in ActivityKind)
_PER_SCHOOL = ", ".join(f"'{k.value}'" for k, spec in SPECS.items() if spec.per_school)


class Activity(SQLModel, table=True):
    """One activity as held: its date, school, counts and evidence (伍、三; 附件 陸、一)."""

    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="ck_activity_kind"),
        CheckConstraint(
            "teachers >= 0 AND hours >= 0 AND participants >= 0 AND days >= 0 AND classes >= 0",
            name="ck_activity_counts",
        ),
        # A per-school activity without its school could never close that school's milestone.
        CheckConstraint(
            f"kind NOT IN ({_PER_SCHOOL}) OR school_id IS NOT NULL", name="ck_activity_school"
        ),
        Index("ix_activity_county_year_kind", "county_id", "year", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")
    year: int = Field(foreign_key="programme_year.year")
    kind: str = Field(max_length=32)
    held_on: date
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    semester: str | None = Field(default=None, max_length=8)  # 113-1: companion visits only
    teachers: int = 0  # trained teachers (workshops, literacy training)
    hours: int = 0  # hours per teacher (literacy training: only ≥ 3 h counts)
    participants: int = 0  # 人次 of meetings, sessions and workshops
    days: int = 0  # 入校入班 days
    classes: int = 0  # sampled classes
    moe_team: bool = False  # 輔導團隊主持人/協同主持人 attended the working meeting
    self_learning_festival: bool = False  # an open lesson of 自主學習節
    office_accompanied: bool = False  # office staff went along on the companion visit
    # Free text or a URL (sign-in sheet, minutes); the hash of an uploaded file, when any.
    evidence_ref: str = Field(max_length=500)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=now)
    synthetic: bool = False


class WorkshopAttendance(SQLModel, table=True):
    """One teacher at one part of one workshop session, as on its sign-in sheet."""

    __tablename__ = "workshop_attendance"
    __table_args__ = (
        UniqueConstraint(
            "activity_id", "part", "school_code", "teacher", name="uq_workshop_attendance"
        ),
        CheckConstraint("part IN (1, 2)", name="ck_workshop_attendance_part"),
        Index("ix_workshop_attendance_year_school", "year", "school_id", "teacher"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    year: int = Field(foreign_key="programme_year.year")
    part: int  # 1 = 數位學習工作坊(一), 2 = (二)
    school_code: str = Field(max_length=6)
    # None: the code is not one of the county's schools of the year (國立, another
    # county): kept as attended, never counted (伍、三、(三)2.(1) opens them to 國立 teachers).
    school_id: int | None = Field(default=None, foreign_key="school.id")
    teacher: str = Field(max_length=32)


class WorkshopBaseline(SQLModel, table=True):
    """A school's teachers who completed (一) and (二) in the years before (111–112)."""

    __tablename__ = "workshop_baseline"
    __table_args__ = (CheckConstraint("teachers >= 0", name="ck_workshop_baseline_teachers"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", unique=True)
    teachers: int


class SchoolDevices(SQLModel, table=True):
    """A school's learning devices on hand (貳、二): single devices and class sets."""

    __tablename__ = "school_devices"
    __table_args__ = (
        CheckConstraint("devices >= 0 AND class_sets >= 0", name="ck_school_devices_counts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", unique=True)
    devices: int
    class_sets: int
