"""Who is acting, as the services need to know it (the API's Principal has these fields; services import no API)."""
from __future__ import annotations

from typing import Protocol


class Actor(Protocol):
    user_id: str
    email: str
    name: str
    role: str
    client_id: str | None
    permissions: dict[str, bool]
