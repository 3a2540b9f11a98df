"""Which programme year a page works in when the person did not name one."""

from datetime import date

from sqlmodel import Session, col, select

from model.tables import ProgrammeYear
from rules import load_rules
from rules.errors import JingjinError

DEFAULT_YEAR = 113


def programme_year(db: Session, day: date) -> int:
    """The year whose plan period holds the day; else the latest year the database knows."""
    years = list(db.exec(select(ProgrammeYear.year).order_by(col(ProgrammeYear.year).desc())))
    for year in years:
        try:
            period = load_rules(year).period
        except JingjinError:  # a year without a rules file cannot be worked in
            continue
        if period.start <= day <= period.end:
            return year
    return years[0] if years else DEFAULT_YEAR
