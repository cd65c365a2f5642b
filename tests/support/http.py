"""A small JSON wrapper over Chalice's test client."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    text: str

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict) and "error" in self.body, f"not an API error: {self.status} {self.text}"
        return self.body["error"]


class JsonClient:
    def __init__(self, client: Any):
        self.client = client

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             raw: str | None = None, headers: dict[str, str] | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=all_headers, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else (response.body or "")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Reply(response.status_code, parsed, dict(response.headers), text)

    def get(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return self.call("GET", path, token=token, **kw)

    def post(self, path: str, body: Any = None, token: str | None = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, token=token, **kw)

    def put(self, path: str, body: Any = None, token: str | None = None, **kw: Any) -> Reply:
        return self.call("PUT", path, body, token=token, **kw)

    def delete(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return self.call("DELETE", path, token=token, **kw)
