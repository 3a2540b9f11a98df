"""HTML of the documents from their plain contexts, through the templates in templates/."""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from vocab.display import amount

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Autoescape everything: the section texts are typed by county staff.
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["amount"] = amount


def render_html(template: str, doc: Any, draft: bool = False) -> str:
    return _ENV.get_template(f"{template}.html").render(doc=doc, heading=doc.heading, draft=draft)
