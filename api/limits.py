"""Request limits that keep hostile bodies out of the parsers: size and JSON nesting.

- Size: a body over `BOXOFFICE_MAX_BODY_BYTES` (default 1 MiB) is refused with a
  413 problem, whether it announces its length or streams in chunks; nothing
  past the limit is read.
- Nesting: Python's JSON decoder recurses once per `[` or `{`; a body nested a
  few thousand deep raised RecursionError (a 500). A JSON body nested deeper
  than `MAX_JSON_DEPTH` is refused with a 400 `malformed_json` problem before
  any parser sees it. Counting brackets is done at C speed first; only a body
  holding more brackets than the limit is scanned (strings skipped).
- NUL: no field takes the character U+0000, and PostgreSQL's text columns cannot
  store it: a room titled "a\\u0000b" was accepted, and then every projector
  batch failed on it, so every read behind read-your-writes waited out its
  timeout. A path, query string or body carrying a NUL (a JSON `\\u0000`
  escape, a form's `%00`, a raw 0 byte) is refused with a 422 `validation`
  problem before any parser sees it.

Plain ASGI, in front of every route (the purchase route included); bodies are
read here once and handed on unchanged (the Stripe webhook still verifies its
signature over the exact bytes).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems

MAX_JSON_DEPTH = 64
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OPEN, _CLOSE, _QUOTE, _ESCAPE = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects deeper than `limit` (strings ignored)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _ESCAPE:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


_NUL_ESCAPE, _BACKSLASH = b"\\u0000", 0x5C
NUL_DETAIL = "the request carries a NUL character (U+0000), which no field accepts"


def json_carries_nul(raw: bytes) -> bool:
    """Whether the JSON text holds a `\\u0000` escape (one whose backslash is not itself escaped)."""
    at = raw.find(_NUL_ESCAPE)
    while at != -1:
        backslashes = 0
        while at - backslashes - 1 >= 0 and raw[at - backslashes - 1] == _BACKSLASH:
            backslashes += 1
        if backslashes % 2 == 0:
            return True
        at = raw.find(_NUL_ESCAPE, at + 1)
    return False


def url_carries_nul(scope: Scope) -> bool:
    """Whether the path or the query string names a NUL (decoded, or as %00)."""
    return "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))
    return True  # no content type: FastAPI and the purchase route read it as JSON


class _TooLarge(Exception):
    pass


class RequestLimits:
    def __init__(self, app: ASGIApp, max_body_bytes: int | None = None) -> None:
        self.app = app
        self._max = max_body_bytes

    def _limit(self, scope: Scope) -> int:
        if self._max is None:
            self._max = scope["app"].state.services.settings.max_body_bytes
        return self._max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if url_carries_nul(scope):
            await _refusal(scope, "validation", NUL_DETAIL, 422)(scope, receive, send)
            return
        if scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        body, refusal = await read_body(scope, receive, self._limit(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if body is None:  # the client went away mid-body: nothing to answer
            return
        await self.app(scope, replay(body, receive), send)


async def read_body(scope: Scope, receive: Receive, limit: int) -> tuple[bytes | None, Response | None]:
    """(the whole body, None) within the limits; (None, the problem to answer) past them;
    (None, None) if the client went away mid-body."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None, _refusal(scope, "payload_too_large", f"the request body exceeds {limit} bytes", 413)
    try:
        body = await _read(receive, limit)
    except _TooLarge:
        return None, _refusal(scope, "payload_too_large", f"the request body exceeds {limit} bytes", 413)
    if body and _is_json(scope):
        if json_depth_exceeds(body):
            return None, _refusal(scope, "malformed_json", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels", 400)
        if json_carries_nul(body):
            return None, _refusal(scope, "validation", NUL_DETAIL, 422)
    elif body and (b"\x00" in body or b"%00" in body):  # a form (the consoles) or another text body
        return None, _refusal(scope, "validation", NUL_DETAIL, 422)
    return body, None


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands on the body read before, then whatever the client sends next."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def _refusal(scope: Scope, code: str, detail: str, status: int) -> Response:
    return problems.problem_response(Request(scope), code, detail, status, headers={"Connection": "close"})


async def _read(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # disconnected
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
