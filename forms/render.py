"""render(): any document of a county's plan in any format, refused if the plan is not
ready unless it is a draft."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session

from forms.budget_doc import budget_doc
from forms.html import render_html
from forms.ods import write_ods
from forms.pdf import html_to_pdf
from forms.plan_data import PlanData, load_plan_data, require_valid
from forms.plan_doc import plan_doc
from forms.results_doc import milestone_results
from forms.schools_doc import schools_doc
from forms.sheets import (
    Sheet,
    budget_sheet,
    milestone_results_sheet,
    plan_sheets,
    schools_sheet,
    shortfall_sheets,
)
from forms.xlsx import write_xlsx
from rules import InputError

Kind = Literal["plan", "budget", "results", "schools"]
Format = Literal["html", "pdf", "ods", "xlsx"]
KINDS: tuple[str, ...] = Kind.__args__
FORMATS: tuple[str, ...] = Format.__args__


@dataclass(frozen=True)
class _Document:
    build: Callable[[Session, PlanData], Any]
    sheets: Callable[[Any], list[Sheet]]


DOCUMENTS: dict[str, _Document] = {
    "plan": _Document(lambda _s, data: plan_doc(data), plan_sheets),
    "budget": _Document(lambda _s, data: budget_doc(data), lambda doc: [budget_sheet(doc)]),
    "results": _Document(
        milestone_results, lambda doc: [milestone_results_sheet(doc), *shortfall_sheets(doc)]
    ),
    "schools": _Document(lambda _s, data: schools_doc(data), lambda doc: [schools_sheet(doc)]),
}


def render(
    session: Session,
    kind: Kind,
    county: str,
    year: int,
    fmt: Format,
    draft: bool = False,
    loaded: Callable[[], None] | None = None,
) -> bytes:
    """The document as bytes; FormInvalid lists every field to fix when the plan fails its
    forms and `draft` is False. `loaded` is called once the data are read, before the
    (slow) writing: a web request ends its transaction there."""
    if kind not in DOCUMENTS:
        raise InputError("kind", f"沒有「{kind}」這種文件，可選：{'、'.join(KINDS)}")
    if fmt not in FORMATS:
        raise InputError("format", f"不支援「{fmt}」格式，可選：{'、'.join(FORMATS)}")
    data = load_plan_data(session, county, year)
    if not draft:
        require_valid(data)
    document = DOCUMENTS[kind]
    doc = document.build(session, data)
    if loaded is not None:
        loaded()
    if fmt in ("ods", "xlsx"):
        writer = write_ods if fmt == "ods" else write_xlsx
        return writer(document.sheets(doc), draft=draft)
    html = render_html(kind, doc, draft=draft)
    return html.encode("utf-8") if fmt == "html" else html_to_pdf(html)
