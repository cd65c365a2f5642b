"""HTTP plumbing shared by every JSON route: body parsing, validation, paging, the error shape.

Every 4xx/5xx leaves here as {"error": {"code", "message", "field"?}} (API.md).
"""
from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import fastjsonschema
from aws_lambda_powertools import Logger
from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.domain.errors import BadRequest, DomainError, ValidationFailed

logger = Logger(service="b2b-portal")

DEFAULT_PAGE = 50
MAX_PAGE = 200


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def error_response(exc: DomainError) -> Response:
    return json_response(error_body(exc.code, exc.message, exc.field), status=exc.status)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, default=_default),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def with_error_shape(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into their 4xx, and anything unexpected into a logged 500, both in the API shape."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            return error_response(exc)
        except Exception:
            logger.exception("unhandled error")
            return json_response(error_body("internal_error", "Something went wrong on our side; it has been logged."), status=500)

    return wrapper


class ApiBlueprint(Blueprint):
    """A Blueprint whose routes answer errors in the API.md shape."""

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            register(with_error_shape(view))
            return view

        return decorator


def reshape_framework_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: Chalice's own errors (405, 415, ...) get the API.md shape too."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "Message" in body:
        code = {405: "method_not_allowed", 415: "unsupported_media_type"}.get(response.status_code, "bad_request")
        response.body = json.dumps(error_body(code, str(body["Message"])))
        response.headers["Content-Type"] = "application/json"
    return response


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 invalid_json when it is not one."""
    raw = request.raw_body
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The request body is not valid JSON.", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    return body


@functools.lru_cache(maxsize=None)
def _validator(schema_json: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(json.loads(schema_json))


def validate(body: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Check `body` against a JSON Schema; the first problem becomes a 422 naming the field."""
    try:
        return _validator(json.dumps(schema, sort_keys=True))(body)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise _schema_error(exc) from exc


def _field_path(parts: list[str]) -> str:
    path = ""
    for part in parts[1:]:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path


def _schema_error(exc: fastjsonschema.JsonSchemaValueException) -> ValidationFailed:
    parts = list(exc.path or ["data"])
    if exc.rule == "required":
        present = exc.value if isinstance(exc.value, dict) else {}
        missing = next((name for name in exc.rule_definition if name not in present), exc.rule_definition[0])
        field = _field_path(parts + [missing])
        return ValidationFailed(f"{field} is required.", code="missing_field", field=field)
    if exc.rule == "additionalProperties":
        extra = sorted(set(exc.value) - set((exc.definition or {}).get("properties", {})))
        field = _field_path(parts + extra[:1])
        return ValidationFailed(f"{field} is not a known field.", code="unknown_field", field=field)
    field = _field_path(parts)
    message = exc.message.replace("data.", "", 1).replace("data ", "body ", 1)
    return ValidationFailed(message[0].upper() + message[1:] + ".", code="invalid_value", field=field or None)


def page_params(request: Request) -> tuple[int, str | None]:
    """(limit, cursor) from ?limit=&cursor=; limit defaults to 50, at most 200."""
    params = request.query_params or {}
    raw_limit = params.get("limit")
    limit = DEFAULT_PAGE
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE:
            raise ValidationFailed(f"limit must be a whole number from 1 to {MAX_PAGE}.", code="invalid_limit", field="limit")
        limit = int(raw_limit)
    return limit, params.get("cursor") or None


def encode_cursor(value: str | None) -> str | None:
    return base64.urlsafe_b64encode(value.encode()).decode() if value else None


_CURSOR_VALUE = re.compile(r"^[A-Za-z0-9._#:+-]{1,200}$")


def decode_cursor(cursor: str | None) -> str | None:
    """The position a cursor stands for; 422 invalid_cursor for anything this API did not hand out."""
    if not cursor:
        return None
    try:
        value = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        value = ""
    if not _CURSOR_VALUE.match(value):
        raise ValidationFailed("The cursor is not one this API gave out.", code="invalid_cursor", field="cursor")
    return value


def page(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
