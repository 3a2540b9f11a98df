"""The pages people open, over HTTP against a real server, on the national data set.

`jingjin web` runs as its own process on loopback (one worker; a second run with
`--workers 2` for the load figure) with the day pinned to 2024-11-29. Three people sign
in: a clerk of the biggest county (the one owning most of its purchases), that county's
supervisor and a ministry reviewer. Each page is timed alone (sequential requests: median,
p95, bytes), then under CLIENTS concurrent clients for a bounded time (req/s,
p50/p95/p99, errors). The spreadsheet exports are timed alone only: each takes seconds
by itself, and twenty at once would keep the run going for minutes after its time.

The reference is the same page's SQL alone: the statements the page ran (captured once
in this process through the app with the same engine) replayed on a bare DB-API
connection and fetched, with no Python around them.

    python -m bench.pages --size 1 --db postgres
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from bench.common import BenchDB, emit, run_alone
from states.values import Role

DAY = date(2024, 11, 29)
PASSWORD = "bench-pages-113"
CLIENTS = 20
LOAD_SECONDS = 3.0
ALONE_RUNS = 9
KB = 1024
SECRET = "bench-pages-secret-key-" + "x" * 32
HTML_ALONE_S, HTML_LOAD_S, MAX_BYTES, PDF_S = 0.150, 0.500, 200 * KB, 2.0
# Pages that also run under load with two workers: the busiest ones.
WORKERS_2 = ("我的工作", "採購清單", "計畫頁")


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # clerk | supervisor | reviewer
    url: str
    html: bool = True


def _people(db: BenchDB) -> dict[str, tuple[str, int]]:
    """username and county per person: the biggest county's busiest clerk, its supervisor
    and the first reviewer; all get the bench's password (a cheap argon2 hash)."""
    with db.engine.begin() as conn:
        county = conn.execute(text(
            "SELECT county_id FROM purchase GROUP BY county_id ORDER BY count(*) DESC, "
            "county_id LIMIT 1")).scalar_one()  # fmt: skip
        clerk = conn.execute(text(
            'SELECT u.username FROM purchase p JOIN "user" u ON u.id = p.owner_id '
            "WHERE p.county_id = :c AND u.role = :r GROUP BY u.username "
            "ORDER BY count(*) DESC, u.username LIMIT 1"),
            {"c": county, "r": str(Role.county_staff)}).scalar_one()  # fmt: skip
        supervisor = conn.execute(text(
            'SELECT username FROM "user" WHERE county_id = :c AND role = :r ORDER BY id LIMIT 1'),
            {"c": county, "r": str(Role.county_supervisor)}).scalar_one()  # fmt: skip
        reviewer = conn.execute(text(
            'SELECT username FROM "user" WHERE role = :r ORDER BY id LIMIT 1'),
            {"r": str(Role.ministry_reviewer)}).scalar_one()  # fmt: skip
        hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
        for name in (clerk, supervisor, reviewer):
            conn.execute(text('UPDATE "user" SET password_hash = :h WHERE username = :u'),
                         {"h": hashed, "u": name})  # fmt: skip
    return {"clerk": (clerk, county), "supervisor": (supervisor, county),
            "reviewer": (reviewer, county)}  # fmt: skip


def _first_ids(db: BenchDB, county: int) -> dict[str, int]:
    ids = {}
    with db.engine.connect() as conn:
        for table in ("plan", "purchase", "reimbursement", "budget_change"):
            found = conn.execute(
                text(f"SELECT min(id) FROM {table} WHERE county_id = :c"), {"c": county}
            ).scalar()
            if found is not None:
                ids[table] = found
    return ids


def pages_for(db: BenchDB, county: int) -> list[Page]:
    ids = _first_ids(db, county)
    plan = ids["plan"]
    pages = [
        Page("我的工作", "clerk", "/"),
        Page("我的工作（主管）", "supervisor", "/"),
        Page("採購清單", "clerk", "/items/purchase"),
        Page("採購清單（主管）", "supervisor", "/items/purchase"),
        Page("採購清單（教育部）", "reviewer", "/items/purchase"),
        Page("計畫清單（教育部）", "reviewer", "/items/plan"),
        Page("結報清單", "clerk", "/items/reimbursement"),
        Page("經費變更清單", "clerk", "/items/budget_change"),
        Page("逾期項目（主管）", "supervisor", f"/overdue?county={county}"),
        Page("逾期項目（教育部）", "reviewer", f"/overdue?county={county}"),
        Page("研習活動", "clerk", "/activities"),
        Page("總覽（教育部）", "reviewer", "/ministry"),
        Page("計畫頁", "clerk", f"/items/plan/{plan}"),
        Page("計畫頁（教育部）", "reviewer", f"/items/plan/{plan}"),
        Page("經費編列", "clerk", f"/plans/{plan}/budget"),
        Page("匯出採購 CSV", "clerk", "/export/items/purchase?format=csv", html=False),
        Page("匯出採購 XLSX", "clerk", "/export/items/purchase?format=xlsx", html=False),
        Page("匯出逾期 CSV", "reviewer", f"/export/overdue?county={county}&format=csv", html=False),
        Page("實施計畫 PDF", "clerk", f"/plans/{plan}/forms/plan.pdf?draft=1", html=False),
        Page("實施計畫 ODS", "clerk", f"/plans/{plan}/forms/plan.ods?draft=1", html=False),
        Page("經費申請表 PDF", "clerk", f"/plans/{plan}/forms/budget.pdf?draft=1", html=False),
    ]
    for table, label in (("purchase", "採購項目頁"), ("reimbursement", "結報項目頁"),
                         ("budget_change", "經費變更項目頁")):  # fmt: skip
        if table in ids:
            pages.append(Page(label, "clerk", f"/items/{table}/{ids[table]}"))
    return pages


def _server_url(db: BenchDB) -> str:
    if db.is_sqlite:
        return f"sqlite:///{db.engine.url.database}"
    with db.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = make_url(str(db.engine.url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


class Server:
    """`jingjin web` in its own process on a free loopback port."""

    def __init__(self, db: BenchDB, workers: int) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = tempfile.mkdtemp(prefix="jingjin-bench-web-")
        env = {**os.environ, "JINGJIN_DATABASE_URL": _server_url(db),
               "JINGJIN_TODAY": DAY.isoformat(), "JINGJIN_SECRET_KEY": SECRET,
               "JINGJIN_DATA_DIR": self.data_dir,
               "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}  # fmt: skip
        command = [sys.executable, "-c", "from cli.main import app; app()", "web",
                   "--port", str(self.port), "--workers", str(workers)]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("jingjin web stopped at start")
            try:
                if httpx.get(self.base + "/login", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("jingjin web did not answer within 90 s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token, "next": "/"})  # fmt: skip
    if response.status_code != 303:
        raise RuntimeError(f"{username} could not sign in: {response.status_code}")
    return client


def last_page(client: httpx.Client, page: Page) -> Page | None:
    """The list's last page, read from its pager ("第 1 / N 頁")."""
    found = re.search(r"第 1 / (\d+) 頁", client.get(page.url).text)
    if not found or found.group(1) == "1":
        return None
    sep = "&" if "?" in page.url else "?"
    return Page(page.name + "末頁", page.who, f"{page.url}{sep}page={found.group(1)}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_alone(
    client: httpx.Client, url: str, runs: int
) -> tuple[float, list[float], httpx.Response]:
    started = time.perf_counter()
    response = client.get(url)  # warm-up (and a document's first making)
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
    return first, times, response


def load(clients: list[httpx.Client], url: str, seconds: float) -> dict:
    """Every client requests the page back to back until the time is up."""
    times: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(client: httpx.Client) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status = client.get(url).status_code
            except httpx.HTTPError:
                status = 0
            took = time.perf_counter() - started
            with lock:
                times.append(took)
                statuses[status] = statuses.get(status, 0) + 1
                errors += status == 0 or status >= 500

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"requests": len(times), "per_s": round(len(times) / wall, 1),
            "p50_s": round(_percentile(times, 0.5), 4), "p95_s": round(_percentile(times, 0.95), 4),
            "p99_s": round(_percentile(times, 0.99), 4), "errors": errors,
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}  # fmt: skip


class Capture:
    """The statements one page runs, from the app in this process on the same engine."""

    def __init__(self, db: BenchDB, people: dict[str, tuple[str, int]]) -> None:
        from fastapi.testclient import TestClient

        from web.app import create_app
        from web.config import WebSettings

        self.db = db
        app = create_app(db.engine, WebSettings(secret_key=SECRET))
        app.state.today = lambda: DAY
        self.clients = {}
        for who, (username, _county) in people.items():
            client = TestClient(app)
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              client.get("/login").text).group(1)  # fmt: skip
            client.post("/login", data={"username": username, "password": PASSWORD,
                                        "csrf_token": token, "next": "/"},
                        follow_redirects=False)  # fmt: skip
            self.clients[who] = client
        self.statements: list[tuple[str, object]] | None = None
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany) -> None:
        control = statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))
        if self.statements is not None and not executemany and not control:
            self.statements.append((statement, parameters))

    def statements_of(self, page: Page) -> list[tuple[str, object]]:
        self.statements = []
        try:
            self.clients[page.who].get(page.url)
            return self.statements
        finally:
            self.statements = None

    def replay(self, statements: list[tuple[str, object]], runs: int) -> float:
        """The median time of the statements alone on a bare connection, fetched."""
        conn = self.db.raw()
        try:
            times = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                cur = conn.cursor()
                for statement, parameters in statements:
                    cur.execute(statement, parameters)
                    if cur.description is not None:
                        cur.fetchall()
                conn.rollback()
                times.append(time.perf_counter() - started)
            return statistics.median(times[1:])
        finally:
            conn.close()

    def close(self) -> None:
        event.remove(self.db.engine, "before_cursor_execute", self._seen)
        for client in self.clients.values():
            client.close()


def _alone_target(page: Page) -> tuple[str, float | None]:
    if page.html:
        return "HTML: p95 < 150 ms alone (PostgreSQL, 1×); ≤ 200 KB", HTML_ALONE_S
    if page.url.split("?")[0].endswith(".pdf"):
        return "one county's PDF < 2 s", PDF_S
    return "(information: an export)", None


def run(
    db: BenchDB,
    repeat: int = ALONE_RUNS,
    seconds: float = LOAD_SECONDS,
    clients: int = CLIENTS,
    workers: tuple[int, ...] = (1, 2),
) -> list[dict]:
    people = _people(db)
    county = people["clerk"][1]
    capture = Capture(db, people)
    records = []
    try:
        with Server(db, workers=1) as server:
            signed = {who: sign_in(server.base, name) for who, (name, _c) in people.items()}
            pages = []
            for page in pages_for(db, county):
                pages.append(page)
                if page.html and (page.url.count("/") == 2 or "overdue" in page.url):
                    late = last_page(signed[page.who], page)
                    if late:
                        pages.append(late)
            for page in pages:
                records.append(_alone(db, capture, signed[page.who], page, repeat))
            crowd = {who: [sign_in(server.base, name) for _ in range(clients)]
                     for who, (name, _c) in people.items()}  # fmt: skip
            for page in pages:
                if page.html or page.url.split("?")[0].endswith(".pdf"):
                    records.append(_loaded(db, crowd[page.who], page, seconds, 1))
            for client in [*signed.values(), *(c for cs in crowd.values() for c in cs)]:
                client.close()
        for count in (w for w in workers if w > 1):
            with Server(db, workers=count) as server:
                crowd = {who: [sign_in(server.base, name) for _ in range(clients)]
                         for who, (name, _c) in people.items()}  # fmt: skip
                for page in pages:
                    if page.name in WORKERS_2:
                        load(crowd[page.who], page.url, min(1.0, seconds))  # warm each worker
                        records.append(_loaded(db, crowd[page.who], page, seconds, count))
                for client in (c for cs in crowd.values() for c in cs):
                    client.close()
    finally:
        capture.close()
    return records


def _alone(db: BenchDB, capture: Capture, client: httpx.Client, page: Page, runs: int) -> dict:
    first, times, response = time_alone(client, page.url, runs)
    statements = capture.statements_of(page)
    reference_s = capture.replay(statements, max(3, runs // 2))
    median, p95 = statistics.median(times), _percentile(times, 0.95)
    target, limit = _alone_target(page)
    size = len(response.content)
    met = response.status_code == 200 and (limit is None or p95 < limit)
    if page.html:
        met = met and size <= MAX_BYTES
    return emit({
        "bench": "pages.alone", "db": db.kind, "size": db.size, "page": page.name,
        "who": page.who, "url": page.url, "status": response.status_code, "bytes": size,
        "first_s": round(first, 4), "median_s": round(median, 4), "p95_s": round(p95, 4),
        "reference_s": round(reference_s, 4), "statements": len(statements),
        "ratio": round(median / reference_s, 2) if reference_s else None,
        "target": target, "met": met,
    })  # fmt: skip


def _loaded(db: BenchDB, clients: list[httpx.Client], page: Page, seconds: float,
            workers: int) -> dict:  # fmt: skip
    figures = load(clients, page.url, seconds)
    target = "0 errors; HTML p95 < 500 ms at 20 clients (PostgreSQL, 1×)"
    met = figures["errors"] == 0 and (not page.html or figures["p95_s"] < HTML_LOAD_S)
    return emit({
        "bench": "pages.load", "db": db.kind, "size": db.size, "page": page.name,
        "who": page.who, "url": page.url, "clients": len(clients), "workers": workers,
        "seconds": seconds, **figures, "target": target, "met": met,
    })  # fmt: skip


if __name__ == "__main__":
    run_alone("The pages over HTTP, alone and under 20 clients, beside their SQL.", run)
