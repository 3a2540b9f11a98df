"""Checks on every request and response before any route runs: the body's size (refused
with 413 before it is read or parsed, signed in or not) and the browser's security headers."""

import re
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages that take an evidence file: an item's upload, an item's step, an activity.
UPLOAD_PATHS = re.compile(r"/items/[^/]+/[^/]+/(files|events/[^/]+)|/activities")
# The app's own scripts and styles only; no inline script, style attribute or framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """A body over its limit is refused: by Content-Length before a byte is read, or, when
    streamed without one, as soon as the count passes the limit."""

    def __init__(
        self, app: ASGIApp, *, form_bytes: int, upload_bytes: int, page: Callable[[int], bytes]
    ) -> None:
        self.app, self.form_bytes, self.upload_bytes, self.page = (
            app,
            form_bytes,
            upload_bytes,
            page,
        )

    def limit_for(self, path: str) -> int:
        return self.upload_bytes if UPLOAD_PATHS.fullmatch(path) else self.form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self.refuse(send, limit)
            return
        counted, over, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal counted, over
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the app made of the cut body, the 413 goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self.refuse(send, limit)

    async def refuse(self, send: Send, limit: int) -> None:
        body = self.page(limit)
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *HEADERS.items(),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Every answer, pages, files and errors alike, carries the headers (unless it set its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
