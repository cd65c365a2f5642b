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
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from chalice import Blueprint, Response
from chalice.app import Request
from pynamodb.exceptions import PynamoDBException

from chalicelib.domain.errors import BadRequest, DomainError, NotFound, Unavailable, ValidationFailed
from chalicelib.store.db import ReadUnanswered, WriteOutcomeUnknown, error_code

logger = Logger(service="b2b-portal")

DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_BODY_BYTES = 1_000_000  # a 10,000-item price list is about 600 kB
MAX_JSON_DEPTH = 16  # the deepest body the schemas describe is 4 levels
_PAGE_LIMIT = re.compile(r"[0-9]{1,3}")  # ASCII digits only: str.isdigit() also takes "²" and fullwidth digits
# AWS answers that mean "busy or down, retry later"; any other refusal is our bug (500, logged).
RETRYABLE_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "TooManyRequestsException",
    "LimitExceededException", "TransactionConflictException", "TransactionInProgressException",
    "InternalServerError", "InternalErrorException", "ServiceUnavailable", "ServiceUnavailableException",
    "InternalFailure", "RequestTimeout", "RequestTimeoutException",
})


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


INTERNAL_ERROR = ("internal_error", "Something went wrong on our side; it has been logged.")


def dependency_error(exc: Exception) -> DomainError | None:
    """The API error for a failed AWS call (boto3, botocore or PynamoDB), or None when it is our own bug.

    A write sent without an answer may have landed (503 `outcome_unknown`); a timeout, an unreachable
    endpoint or AWS saying "busy" is 503 `unavailable` (retry later); a value AWS refuses (a parameter
    out of its bounds) is 422. Any other refusal means our request was wrong: a 500, logged.
    """
    if isinstance(exc, WriteOutcomeUnknown):
        return Unavailable("The change was sent but its answer never came: it may or may not have been saved. "
                           "Check before repeating it (a request with the same Idempotency-Key is safe to repeat).",
                           code="outcome_unknown")
    if isinstance(exc, ReadUnanswered):
        return Unavailable("The database did not answer in time; try again in a moment.", code="unavailable")
    cause = exc.cause if isinstance(exc, PynamoDBException) and exc.cause is not None else exc
    if isinstance(cause, ParamValidationError):
        return ValidationFailed("A value is longer, shorter or larger than the service accepts.", code="invalid_value")
    code = error_code(cause) if isinstance(cause, ClientError) else None
    if code == "ValidationException" and isinstance(exc, PynamoDBException):
        return ValidationFailed("A value is too long or out of range for storage.", code="invalid_value")
    if code in RETRYABLE_CODES or (isinstance(cause, BotoCoreError) and not isinstance(cause, ClientError)):
        return Unavailable("A service we depend on did not answer in time; try again in a moment.", code="unavailable")
    return None


MAX_PATH_ID = 200  # every id and SKU this API hands out is far shorter; DynamoDB refuses keys over 1 kB


def _check_path_ids(ids: dict[str, Any]) -> None:
    """An id in the path that no document can have is simply not found (404), before it reaches a key."""
    for name, value in ids.items():
        if isinstance(value, str) and (len(value) > MAX_PATH_ID or not value.isprintable()):
            raise NotFound(f"No such {name.removesuffix('_id').replace('_', ' ')}.", code="not_found")


def with_error_shape(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into their 4xx, failed AWS calls into theirs (dependency_error), and anything
    unexpected into a logged 500, all in the API shape."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _check_path_ids(kwargs)
            return view(*args, **kwargs)
        except DomainError as exc:
            return error_response(exc)
        except Exception as exc:  # noqa: BLE001 - the one place unexpected errors become answers
            mapped = dependency_error(exc)
            if mapped is None:
                logger.exception("unhandled error")
                return json_response(error_body(*INTERNAL_ERROR), status=500)
            logger.warning("AWS call failed", error=repr(exc), answer=mapped.code)
            return error_response(mapped)

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
        if response.status_code >= 500:  # Chalice's message may carry internals: ours says nothing
            logger.error("framework error", status=response.status_code, chalice_code=body["Code"])
            body = {"Message": INTERNAL_ERROR[1]}
        response.body = json.dumps(error_body(_framework_code(response.status_code), str(body["Message"])))
        response.headers["Content-Type"] = "application/json"
    return response


def _framework_code(status: int) -> str:
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests"}
    return codes.get(status, INTERNAL_ERROR[0] if status >= 500 else "bad_request")


def _whole_or_float(literal: str) -> int | float:
    """A JSON number with a fraction or exponent: a whole one (`5.0`, `5e0`) is the integer 5, so it validates
    and is stored as one (docs/decisions.md); NaN-free floats stay floats for the schema's bounds to judge."""
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{literal} is beyond any number this API takes")
    return int(value) if value.is_integer() and abs(value) <= 2**53 else value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    """How deep objects and arrays nest (level by level, no recursion)."""
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [child for v in level for child in (v.values() if isinstance(v, dict) else v)
                 if isinstance(child, (dict, list))]
    return depth


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 invalid_json when it is not one, is over 1 MB, nests over 16 levels or
    holds text that is not Unicode."""
    raw = request.raw_body
    if not raw:
        return {}
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(f"The request body is larger than {MAX_BODY_BYTES // 1000} kB.", code="invalid_json")
    try:
        body = json.loads(raw, parse_float=_whole_or_float, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("The request body is not valid JSON.", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    if _depth(body) > MAX_JSON_DEPTH:
        raise BadRequest(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.", code="invalid_json")
    try:  # "\ud800" escapes a lone surrogate: valid JSON, but no UTF-8 text anything downstream can store
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise BadRequest("The request body has text that is not valid Unicode.", code="invalid_json") from exc
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
        if not _PAGE_LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE:
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
