"""moto cannot run Lambda code without Docker; this registers each Chalice `@app.lambda_function`
(and event handler) as a moto Lambda function and runs invocations in-process.

Step Functions' `lambda:invoke` tasks then reach the real handler, exactly as named on AWS
(`<app>-<stage>-<function>`).
"""
from __future__ import annotations

import io
import json
import threading
import zipfile
from typing import Any, Callable

import boto3
from chalice import Chalice
from moto.awslambda_simple.models import LambdaSimpleBackend

_handlers: dict[str, Callable[[Any, Any], Any]] = {}
_lock = threading.Lock()
_faults: dict[str, list[bool]] = {}  # function name -> queued faults (True: after the handler ran)


class InjectedFault(Exception):
    """A failure injected by a test, reported to Step Functions as the function's error."""


def fail_next(name: str, times: int = 1, *, after_running: bool = False) -> None:
    """Make the next `times` invocations of the function whose name ends with `name` fail.

    `after_running` runs the handler first and then fails, like a Lambda that timed out after its
    side effects: the retried step must not repeat them.
    """
    with _lock:
        _faults.setdefault(name, []).extend([after_running] * times)


def clear_faults() -> None:
    with _lock:
        _faults.clear()


def _take_fault(full_name: str) -> bool | None:
    with _lock:
        for name, queued in _faults.items():
            if full_name.endswith(f"-{name}") and queued:
                return queued.pop(0)
    return None


class _Context:
    def __init__(self, name: str):
        self.function_name = name
        self.aws_request_id = "local"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:local:123456789012:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _invoke(self: LambdaSimpleBackend, function_name: str, qualifier: str | None, body: Any,
            headers: Any, response_headers: Any) -> bytes:
    name = function_name.split(":function:")[-1].split(":")[0]
    handler = _handlers.get(name)
    if handler is None:
        raise KeyError(f"no local handler registered for Lambda function {name}")
    event = json.loads(body) if body else {}
    fault = _take_fault(name)
    try:
        if fault is False:
            raise InjectedFault(f"injected failure before {name} ran")
        result = handler(event, _Context(name))
        if fault is True:
            raise InjectedFault(f"injected failure after {name} ran")
    except Exception as exc:  # surfaced to Step Functions as a function error, as on AWS
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
    return json.dumps(result).encode()


def function_name(app: Chalice, stage: str, name: str) -> str:
    return f"{app.app_name}-{stage}-{name}"


def register_functions(app: Chalice, stage: str, endpoint_url: str, region: str) -> dict[str, str]:
    """Create a moto Lambda function per Chalice pure Lambda function; returns name -> ARN."""
    with _lock:
        LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
    lam = boto3.client("lambda", endpoint_url=endpoint_url, region_name=region)
    iam = boto3.client("iam", endpoint_url=endpoint_url, region_name=region)
    try:
        role = iam.get_role(RoleName="local-lambda")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="local-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "# dispatched in-process by infra/local/lambda_shim.py\n")
    arns = {}
    for function in app.pure_lambda_functions:
        name = function.name
        full = function_name(app, stage, name)
        _handlers[full] = function  # the Chalice wrapper, so middleware runs as on AWS
        arns[name] = lam.create_function(
            FunctionName=full, Runtime="python3.12", Role=role, Handler=f"app.{name}",
            Code={"ZipFile": package.getvalue()},
        )["FunctionArn"]
    return arns


def register_handler(full_name: str, handler: Callable[[Any, Any], Any]) -> None:
    """Register an extra in-process handler (tests)."""
    _handlers[full_name] = handler
