"""The console calls the JSON API in-process, as the signed-in user.

Pages hold no queries and no authorization of their own: each one asks the
same routes an integrator would, with the user's own bearer token, over an
ASGI transport (no socket). What the API refuses, the page cannot show, and a
refusal comes back as the API's problem document, which the page turns into
a readable message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    content_type: str
    raw: bytes
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem(self) -> str:
        """A readable sentence for a refusal: the problem's detail, never a stack trace or raw JSON."""
        if isinstance(self.body, dict):
            detail = self.body.get("detail") or self.body.get("title")
            if detail:
                return str(detail)
        return f"the request was refused ({self.status})"

    @property
    def problem_type(self) -> str | None:
        return self.body.get("type") if isinstance(self.body, dict) else None


class ApiClient:
    """One signed-in user's view of the API."""

    def __init__(self, request: Request, token: str) -> None:
        self._app = request.app
        self._token = token
        self._correlation = request.headers.get("x-request-id")

    async def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                   json: Any = None, accept: str = "application/json") -> Answer:
        headers = {"authorization": f"Bearer {self._token}", "accept": accept}
        if self._correlation:
            headers["x-request-id"] = self._correlation
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        transport = httpx.ASGITransport(app=self._app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.internal") as http:
            response = await http.request(method, path, params=clean, json=json, headers=headers)
        content_type = response.headers.get("content-type", "")
        body: Any = None
        if "json" in content_type:
            try:
                body = response.json()
            except ValueError:
                body = None
        return Answer(response.status_code, body, content_type, response.content, response.headers)

    async def get(self, path: str, **params: Any) -> Answer:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, json: Any = None) -> Answer:
        return await self.call("POST", path, json=json)

    async def patch(self, path: str, json: Any) -> Answer:
        return await self.call("PATCH", path, json=json)
