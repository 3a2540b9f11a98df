"""Page views never wait for a writer: several people read pages while another holds a
write transaction open, and nobody sees "database is locked".

Real threads against the real app (its own sessions, one connection each). The writer
opens its transaction the way every write does (`session_scope`, BEGIN IMMEDIATE on
SQLite) and keeps it open until the readers are done. Had page views taken the write
lock, each would wait out the busy timeout (15 s) and fail "database is locked".
"""

import threading

from sqlmodel import select

from model.db import session_scope
from model.tables import User
from tests.web_support import HOME, client_for, make_app, plan_of, purchases_of, seed

READERS = 4
ROUNDS = 3
WAIT = 40  # seconds: a hung reader fails the test instead of hanging the run


def test_readers_see_pages_while_a_writer_holds_its_transaction(engine):
    seed(engine)
    app = make_app(engine)
    with session_scope(engine) as s:
        pages = ["/", f"/items/plan/{plan_of(s, HOME).id}",
                 f"/items/purchase/{purchases_of(s, HOME)[0].id}"]  # fmt: skip
    clients = [client_for(app, name) for name in ("hsq.staff1", "hsq.supervisor") * 2]
    holding, readers_done = threading.Event(), threading.Event()
    answers: list[tuple[int, str]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def writer() -> None:
        try:
            with session_scope(engine) as s:
                user = s.exec(select(User).where(User.username == "hsq.staff2")).one()
                user.display_name = "新竹縣承辦二（改名中）"
                s.add(user)
                s.flush()  # the write lock (SQLite) and the row lock (PostgreSQL) are held
                holding.set()
                readers_done.wait(WAIT)
        except BaseException as error:
            failures.append(error)
            holding.set()

    def reader(client) -> None:
        try:
            for _ in range(ROUNDS):
                for page in pages:
                    response = client.get(page)
                    with lock:
                        answers.append((response.status_code, response.text))
        except BaseException as error:
            failures.append(error)

    write = threading.Thread(target=writer)
    write.start()
    assert holding.wait(WAIT)
    reads = [threading.Thread(target=reader, args=(c,)) for c in clients]
    for t in reads:
        t.start()
    for t in reads:
        t.join(WAIT)
    finished_while_held = write.is_alive()
    readers_done.set()
    write.join(WAIT)

    assert not failures
    assert finished_while_held, "the readers waited for the writer to finish"
    assert len(answers) == READERS * ROUNDS * len(pages)
    assert [code for code, _ in answers] == [200] * len(answers)
    assert not any("database is locked" in text for _, text in answers)
    with session_scope(engine) as s:
        renamed = s.exec(select(User).where(User.username == "hsq.staff2")).one()
        assert renamed.display_name == "新竹縣承辦二（改名中）"
