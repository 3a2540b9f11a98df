"""What the item commands share: finding people and counties, reading access, showing values."""

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from cli.common import fail
from model.tables import County, Product, User
from states.errors import TransitionRefused, UnknownItem
from states.steps import access_refusals, county_refusals
from states.values import ItemType, Role
from vocab.display import ntd, roc_date, roc_datetime
from workflow.service import Lifecycle, actor_of, load_item, load_visible

AS_HELP = "以哪位使用者的身分操作（帳號）"
JSON_HELP = "輸出 JSON"

FIELD_LABELS = {
    "id": "編號",
    "title": "名稱",
    "status": "狀態",
    "county_id": "縣市",
    "year": "年度",
    "plan_id": "縣市實施計畫",
    "product_id": "產品",
    "owner_id": "承辦人",
    "amount": "金額",
    "approved_amount": "核定計畫金額",
    "subsidy": "核定補助金額",
    "disbursed": "已撥付金額",
    "spent": "實支金額",
    "award_date": "決標日期",
    "procurement_amount": "採購金額",
    "disbursement_requested_on": "請撥日期",
    "submitted_on": "送出日期",
    "approved_on": "核定日期",
    "letter_no": "文號",
    "reason": "理由",
    "created_at": "建立時間",
    "version": "版本",
}
MONEY_FIELDS = frozenset(
    {"amount", "procurement_amount", "approved_amount", "subsidy", "disbursed", "spent"}
)
NOT_SHOWN = frozenset({"synthetic"})


def command_name(item_type: ItemType) -> str:
    return item_type.value.replace("_", "-")


# ------------------------------------------------------------------ people and access
def find_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise UnknownItem(f"使用者「{username}」（或帳號已停用）")
    return user


def reader(session: Session, username: str | None) -> User | None:
    return find_user(session, username) if username else None


def check_read(user: User | None, county_id: int | None) -> None:
    """A county person asking for another county's list: refused by the rule that keeps
    county people in their county; the county names are no secret."""
    if user is None:
        return
    refusals = county_refusals(actor_of(user), county_id)
    if refusals:
        raise TransitionRefused(refusals)


def readable_item(session: Session, lifecycle: Lifecycle, item_id: int, user: User | None):
    """The item for this reader: another county's id is answered as a missing one."""
    if user is None:
        return load_item(session, lifecycle, item_id)
    return load_visible(session, lifecycle, item_id, user)


def find_county(session: Session, text: str) -> County:
    key = text.strip().replace("台", "臺")
    county = session.exec(
        select(County).where((County.code == key.upper()) | (County.name == key))
    ).first()
    if county is None:
        names = "、".join(c.name for c in session.exec(select(County).order_by(County.id)))
        fail(f"找不到縣市「{text}」。可用的縣市：{names}")
    return county


# ------------------------------------------------------------------ how values look
def _named(session: Session, field: str, value: Any) -> str | None:
    """Ids people cannot read, shown as the thing they name."""
    if field == "county_id":
        county = session.get(County, value)
        return county.name if county else None
    if field == "owner_id":
        user = session.get(User, value)
        return f"{user.display_name}（{user.username}）" if user else None
    if field == "product_id":
        product = session.get(Product, value)
        return f"{product.serial} {product.name}" if product else None
    if field == "plan_id":
        return f"#{value}"
    return None


def show_value(session: Session, lifecycle: Lifecycle, field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field == "status":
        return f"{lifecycle.state_label(value)}（{value}）"
    if field.endswith("_id"):
        return _named(session, field, value) or str(value)
    if field in MONEY_FIELDS and isinstance(value, int):
        return ntd(value)
    if isinstance(value, datetime):
        return roc_datetime(value)
    if isinstance(value, date):
        return roc_date(value)
    return str(value)


def row_data(row: Any) -> dict[str, Any]:
    """The stored columns as JSON-ready values (dates in ISO, as stored)."""
    data = {}
    for column in row.__table__.columns:
        value = getattr(row, column.name)
        data[column.name] = value.isoformat() if isinstance(value, date) else value
    return data


def scalar_fields(row: Any) -> list[str]:
    # Labelled fields in the label table's order, then whatever a new table adds.
    names = [
        column.name
        for column in row.__table__.columns
        if column.name not in NOT_SHOWN and not isinstance(getattr(row, column.name), dict | list)
    ]
    order = list(FIELD_LABELS)
    return sorted(names, key=lambda n: order.index(n) if n in order else len(order))


def allowed_events(lifecycle: Lifecycle, state: str, user: User | None, county_id: int | None):
    """The events of the current state, and whether this person may take each."""
    actor = actor_of(user) if user else None
    out = []
    for event in lifecycle.events_from(state):
        step = lifecycle.steps.get(event)
        if step is None:
            continue
        allowed = actor is not None and not access_refusals(step, actor, county_id)
        roles = [r.value for r in sorted(step.roles)]
        out.append({"event": event, "title": step.title, "roles": roles, "allowed": allowed})
    return out


def role_labels(values: list[str]) -> str:
    return "、".join(Role(v).label for v in values)
