"""What API Gateway does in front of the app that Chalice's local gateway does not.

A Lambda authorizer that raises 'Unauthorized' (or a request with no token)
gets a 401 from API Gateway, with the body of the UNAUTHORIZED gateway
response that infra/ configures. Chalice's local gateway would answer a 500
(or its own body); this makes it answer as deployed, in the API.md error shape.
"""
from __future__ import annotations

import json

from chalice import local

UNAUTHORIZED_BODY = json.dumps(
    {"error": {"code": "unauthorized", "message": "A valid sign-in token is required."}}
).encode()

_original_authorize = local.LocalGatewayAuthorizer.authorize


def _authorize(self, raw_path, lambda_event, lambda_context):  # type: ignore[no-untyped-def]
    headers = {"x-amzn-RequestId": lambda_context.aws_request_id, "x-amzn-ErrorType": "UnauthorizedException",
               "Content-Type": "application/json"}
    try:
        return _original_authorize(self, raw_path, lambda_event, lambda_context)
    except local.NotAuthorizedError:
        raise local.NotAuthorizedError(headers, UNAUTHORIZED_BODY) from None
    except Exception as exc:
        if str(exc) == "Unauthorized":
            raise local.NotAuthorizedError(headers, UNAUTHORIZED_BODY) from None
        raise


def install() -> None:
    local.LocalGatewayAuthorizer.authorize = _authorize  # type: ignore[method-assign]
    # API Gateway takes bursts of parallel requests; the dev server's listen backlog of 5 resets them.
    local.ThreadedHTTPServer.request_queue_size = 128
