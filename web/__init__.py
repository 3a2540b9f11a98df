"""Server-rendered pages for office staff and the ministry (FastAPI + Jinja2, zh-TW)."""
