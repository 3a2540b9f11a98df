"""Shared by the web and browser tests: a demo database and signed-in test clients."""

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from demo.generate import generate
from model.db import make_engine
from model.migrate import upgrade
from model.tables import County, Plan, Purchase, User
from states.values import PlanState
from web.app import create_app
from web.config import WebSettings

PASSWORD = "demo-pass-113"
TODAY = date(2024, 6, 3)
HOME, OTHER = "新竹縣", "新竹市"
SETTINGS = WebSettings(secret_key="test-secret-key-" + "x" * 32)


# The tests sign in many times: a cheap argon2 hash keeps that quick. Verifying reads the
# cost from the hash itself, so the application's code path is the same.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def fast_hash(password: str) -> str:
    return _FAST_HASHER.hash(password)


def seed(engine: Engine, approve_plan: bool = True) -> None:
    """Two counties of demo data; 新竹縣's plan approved so purchases can be contracted."""
    with Session(engine) as session:
        generate(session, county_name=HOME, story=False)
        generate(session, county_name=OTHER, story=False)
        for user in session.exec(select(User).where(User.synthetic)):
            user.password_hash = fast_hash(PASSWORD)
        if approve_plan:
            plan = plan_of(session, HOME)
            plan.status = PlanState.approved
            session.add(plan)
        session.commit()


def make_app(engine: Engine):
    app = create_app(engine, SETTINGS)
    app.state.today = lambda: TODAY
    return app


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def seeded_app(engine: Engine):
    seed(engine)
    return make_app(engine)


def seeded_sqlite_file(tmp_path_factory) -> Path:
    """One migrated, seeded SQLite file for a module; each test copies it (fast)."""
    path = tmp_path_factory.mktemp("web") / "seeded.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed(engine)
    engine.dispose()
    return path


def app_on_copy(seeded_file: Path, tmp_path: Path) -> Iterator:
    copy = tmp_path / "jingjin.db"
    shutil.copyfile(seeded_file, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield make_app(engine)
    engine.dispose()


def client_for(app, username: str | None) -> TestClient:
    client = TestClient(app)
    if username:
        assert sign_in(client, username).status_code == 303
    return client


def post(client: TestClient, url: str, data: dict, files=None, page: str = "/"):
    token = csrf_of(client.get(page).text)
    return client.post(url, data={**data, "csrf_token": token}, files=files, follow_redirects=False)


def county_id(session: Session, name: str) -> int:
    return session.exec(select(County.id).where(County.name == name)).one()


def plan_of(session: Session, county: str) -> Plan:
    return session.exec(select(Plan).where(Plan.county_id == county_id(session, county))).one()


def purchases_of(session: Session, county: str) -> list[Purchase]:
    query = select(Purchase).where(Purchase.county_id == county_id(session, county))
    return list(session.exec(query.order_by(Purchase.id)))


def user_named(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def step_forms(session: Session, purchase: Purchase) -> list[tuple[str, dict[str, str]]]:
    """Form fields that carry a purchase through every state with good evidence."""
    from model.tables import Product
    from rules import load_rules

    rules = load_rules(purchase.year)
    product = session.get(Product, purchase.product_id)
    amount = str(purchase.amount)
    method = rules.procurement.allowed_methods(purchase.amount)[0]
    attendees = {"teacher": "王老師", "school_admin": "林主任", "office_member": "陳承辦"}
    meeting = {"ev.held_on": "2024-05-20", "ev.minutes": "決議採購本產品授權", "ev.public": "on"}
    for i, (role, name) in enumerate(attendees.items()):
        meeting |= {f"ev.attendees.{i}.name": name, f"ev.attendees.{i}.role": role}
    return [
        ("decide", meeting),
        ("verify_product", {"ev.product_serial": product.serial, "ev.amount": amount,
                            "ev.hardware_amount": "0"}),
        ("verify_clause", {"ev.document": "contract",
                           "ev.text": "本契約廠商應" + rules.software.data_clause_text + "。"}),
        ("contract", {"ev.method": method, "ev.awarded_on": "2024-05-28", "ev.amount": amount,
                      "ev.procurement_amount": amount, "ev.vendor": product.vendor}),
        ("request_disbursement", {"ev.requested_on": "2024-06-01", "ev.amount": amount}),
        ("record_usage", {"ev.cumulative_users": "320", "ev.cumulative_hours": "1200",
                          "ev.notes": "學生使用踴躍"}),
    ]  # fmt: skip
