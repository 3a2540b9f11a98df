"""Who may see what: enforced where rows are read and written, not only in templates.

County people see their own county only; the ministry and the auditor see every county;
the auditor changes nothing. Another county's item answers 404, as if it did not exist,
so a changed URL tells nothing.
"""

from fastapi import HTTPException
from sqlmodel import Session

from model.tables import User
from states.errors import UnknownItem
from states.steps import reaches_county
from states.values import ItemType, Role
from workflow.lifecycles import LIFECYCLES
from workflow.service import Lifecycle, actor_of, load_visible

MINISTRY_ROLES = frozenset({Role.ministry_reviewer, Role.ministry_admin})
READ_ALL_ROLES = MINISTRY_ROLES | {Role.auditor}


def role_of(user: User) -> Role:
    return Role(user.role)


def sees_all(user: User) -> bool:
    return role_of(user) in READ_ALL_ROLES


def may_write(user: User) -> bool:
    return role_of(user) != Role.auditor


def require_writer(user: User) -> None:
    if not may_write(user):
        raise HTTPException(403, "稽核人員僅能檢視，不能變更資料。")


def require_ministry_view(user: User) -> None:
    if not sees_all(user):
        raise HTTPException(403, "此頁僅供教育部與稽核人員檢視。")


def scope_county(user: User) -> int | None:
    """None means every county."""
    return None if sees_all(user) else user.county_id


def lifecycle_for(item_type: str) -> Lifecycle:
    try:
        return LIFECYCLES[ItemType(item_type)]
    except (ValueError, KeyError):
        raise HTTPException(404, "沒有這種項目。") from None


def may_see_county(user: User, county_id: int | None) -> bool:
    return reaches_county(actor_of(user), county_id)


def visible_item(session: Session, user: User, lifecycle: Lifecycle, item_id: int):
    try:
        return load_visible(session, lifecycle, item_id, user)
    except UnknownItem:
        raise HTTPException(404, f"找不到{lifecycle.label} #{item_id}。") from None


def require_role(user: User, roles, message: str) -> None:
    """Deny by default: the auditor never writes, and only the named roles may act."""
    require_writer(user)
    if role_of(user) not in roles:
        raise HTTPException(403, message)
