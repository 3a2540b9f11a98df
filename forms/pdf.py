"""PDF from the very HTML the screen shows, by WeasyPrint; the CJK fonts come from the
stylesheet's font-family (Noto Sans/Serif CJK TC, Debian's fonts-noto-cjk).

WeasyPrint takes seconds for a county's plan (~95 % of a download), so each process keeps
the PDFs it made, keyed by the HTML itself: the same data on the same day give the same
HTML, and any change to the plan (or the date printed on it) makes a new one."""

import hashlib
from collections import OrderedDict
from threading import Lock

from weasyprint import HTML

from forms.html import TEMPLATES

KEPT = 32  # a county's four documents, a few versions of each, for every county seen
_made: OrderedDict[str, bytes] = OrderedDict()
_lock = Lock()


def html_to_pdf(html: str) -> bytes:
    key = hashlib.sha256(html.encode("utf-8")).hexdigest()
    with _lock:
        if key in _made:
            _made.move_to_end(key)
            return _made[key]
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    with _lock:
        _made[key] = pdf
        while len(_made) > KEPT:
            _made.popitem(last=False)
    return pdf
