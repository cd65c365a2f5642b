"""Domain errors: each carries the API error code; HTTP status is mapped once, in api/http.py."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A refusal the caller can act on. `code` is the snake_case code of API.md."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class Unavailable(DomainError):
    """A service we depend on is down; the caller may retry."""

    status = 503
    code = "unavailable"


class ValidationFailed(DomainError):
    status = 422
    code = "invalid_value"


def referenced(lookup: Callable[[], T], *, field: str, code: str) -> T:
    """Look up something a request refers to; a missing one is the request's fault (422 on `field`)."""
    try:
        return lookup()
    except NotFound as exc:
        raise ValidationFailed(exc.message, code=code, field=field) from exc
