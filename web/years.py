"""Which programme year a page works in when the person did not name one."""

from datetime import date

from sqlmodel import Session, col, select

from model.tables import ProgrammeYear
from rules import available_years, load_rules
from rules.errors import JingjinError


def default_year() -> int:
    """The latest year with a rules file: no year is written in code."""
    years = available_years()
    if not years:
        raise JingjinError("找不到任何年度的規則檔（rules/<年度>.toml）。")
    return years[-1]


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
    return years[0] if years else default_year()
