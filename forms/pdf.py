"""PDF from the very HTML the screen shows, by WeasyPrint; the CJK fonts come from the
stylesheet's font-family (Noto Sans/Serif CJK TC, Debian's fonts-noto-cjk)."""

from weasyprint import HTML

from forms.html import TEMPLATES


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
