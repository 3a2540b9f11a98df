"""Reference rows every database needs: the 22 counties and the loaded yearly rules."""

import hashlib

from sqlmodel import Session, select

from model.counties import COUNTIES
from model.tables import County, ProgrammeYear
from rules import load_rules
from rules.schema import rules_path


def ensure_counties(session: Session) -> dict[str, County]:
    """Insert missing counties; return them by name."""
    existing = {c.name: c for c in session.exec(select(County))}
    for ref in COUNTIES:
        if ref.name not in existing:
            existing[ref.name] = County(code=ref.code, name=ref.name)
            session.add(existing[ref.name])
    session.flush()
    return existing


def ensure_year(session: Session, year: int) -> ProgrammeYear:
    """Validate the year's rules file and keep a snapshot of the text that was used.

    A year without a rules file is refused here, in words, before any row names it."""
    load_rules(year)
    text = rules_path(year).read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    row = session.get(ProgrammeYear, year)
    if row is None:
        row = ProgrammeYear(year=year, rules_toml=text, rules_sha256=digest)
        session.add(row)
    elif row.rules_sha256 != digest:
        row.rules_toml, row.rules_sha256 = text, digest
    session.flush()
    return row
