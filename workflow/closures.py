"""Office closures (停班) entered by hand: nationwide by the ministry admin, a county's by
its supervisor (or the ministry admin). The jobs read them per county (flows/jobs/context.py)."""

from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from model.tables import Closure, County, User
from states.errors import Refusal, TransitionRefused
from states.steps import Step, county_refusals, role_refusals
from states.values import Role
from workflow.service import actor_of

ADD_NATIONWIDE = Step("add_closure", "登錄全國停班日", frozenset({Role.ministry_admin}))
ADD_COUNTY = Step(
    "add_closure", "登錄縣市停班日", frozenset({Role.ministry_admin, Role.county_supervisor})
)


def add_closure(
    session: Session, user: User, day: date, county_id: int | None, reason: str
) -> Closure:
    """Record a closure; county_id None is nationwide. Refusals name the rule."""
    actor = actor_of(user)
    step = ADD_NATIONWIDE if county_id is None else ADD_COUNTY
    refusals = role_refusals(step, actor)
    if county_id is not None and not refusals:
        refusals += county_refusals(actor, county_id)
    reason = (reason or "").strip()
    if not reason:
        refusals.append(Refusal("closure.reason", "請填寫停班原因（例如：颱風停班）。"))
    elif len(reason) > 200:
        refusals.append(Refusal("closure.reason", "停班原因請在 200 字以內。"))
    if county_id is not None and session.get(County, county_id) is None:
        refusals.append(Refusal("closure.county", f"沒有這個縣市（#{county_id}）。"))
    if not refusals and _exists(session, day, county_id):
        where = "全國" if county_id is None else session.get(County, county_id).name
        refusals.append(Refusal("closure.duplicate", f"{where}在這一天已登錄停班。"))
    if refusals:
        raise TransitionRefused(refusals)
    row = Closure(day=day, county_id=county_id, reason=reason, entered_by=user.id)
    session.add(row)
    session.flush()
    return row


def _exists(session: Session, day: date, county_id: int | None) -> bool:
    same = col(Closure.county_id).is_(None) if county_id is None else Closure.county_id == county_id
    return session.exec(select(Closure.id).where(Closure.day == day, same)).first() is not None


def visible_closures(session: Session, user: User) -> list[tuple[Closure, str, User | None]]:
    """The closures a person may see, latest day first, with the place and who entered it:
    a county's people see the nationwide ones and their own county's, nobody else's."""
    query = (
        select(Closure, County.name, User)
        .outerjoin(County, County.id == Closure.county_id)
        .outerjoin(User, User.id == Closure.entered_by)
    )
    if Role(user.role).is_county:
        query = query.where(
            or_(col(Closure.county_id).is_(None), Closure.county_id == user.county_id)
        )
    rows = session.exec(query.order_by(col(Closure.day).desc(), Closure.id))
    return [(closure, county or "全國", who) for closure, county, who in rows]
