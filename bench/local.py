"""The benchmark's harness around the embedded local stack (infra/local): counting hooks, an
in-process bulk-load transport, counted Lambda invocations and requests through Chalice's test client."""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from bench.capacity import Estimator
from bench.counting import RECORDER, Recorder, Scope, install, install_jwks_counter

REGION = "us-east-1"


class DirectWrites:
    """While active on a thread, BatchWriteItem goes straight into moto's backend in this process
    instead of over HTTP: the same items from the same application code (`setup.import_products`,
    PynamoDB batch writes), about 3x faster. Used only to load benchmark data, never on a measured path."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def active(self) -> bool:
        return bool(getattr(self._local, "active", False))

    @contextmanager
    def enabled(self) -> Iterator[None]:
        self._local.active = True
        try:
            yield
        finally:
            self._local.active = False

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if not self.active or model.name != "BatchWriteItem":
            return None
        from botocore.awsrequest import AWSResponse  # noqa: PLC0415
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

        from infra.local.provision import ACCOUNT_ID  # noqa: PLC0415

        backend = dynamodb_backends[ACCOUNT_ID][REGION]
        body = params["body"]
        request = json.loads(body.decode() if isinstance(body, bytes) else body)
        for table, requests in request["RequestItems"].items():
            for entry in requests:
                if "PutRequest" in entry:
                    backend.put_item(table, entry["PutRequest"]["Item"])
                else:
                    backend.delete_item(table, entry["DeleteRequest"]["Key"])
        return AWSResponse("http://in-process", 200, {}, None), {"UnprocessedItems": {}}


DIRECT = DirectWrites()
_patched: dict[str, Any] = {}


def _install_direct_transport() -> None:
    import botocore.session  # noqa: PLC0415

    if "create_client" in _patched:
        return
    counted = botocore.session.Session.create_client
    _patched["create_client"] = counted

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = counted(self, *args, **kwargs)
        if client.meta.service_model.service_name == "dynamodb":
            client.meta.events.register("before-call.dynamodb.BatchWriteItem", DIRECT.before_call,
                                        unique_id="b2b-bench-direct")
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


def moto_lookup(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """An item as moto stores it now (the new image of an update, for the capacity estimate)."""
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

    from infra.local.provision import ACCOUNT_ID  # noqa: PLC0415

    item = dynamodb_backends[ACCOUNT_ID][REGION].get_item(table, key)
    return item.to_json()["Attributes"] if item is not None else None


def table_gsis() -> dict[str, list[tuple[str, str]]]:
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

    from infra.local.provision import ACCOUNT_ID  # noqa: PLC0415

    gsis: dict[str, list[tuple[str, str]]] = {}
    for name, table in dynamodb_backends[ACCOUNT_ID][REGION].tables.items():
        for index in table.global_indexes:
            keys = {k["KeyType"]: k["AttributeName"] for k in index.schema}
            if "HASH" in keys and "RANGE" in keys:
                gsis.setdefault(name, []).append((keys["HASH"], keys["RANGE"]))
    return gsis


class Harness:
    """One local stack for the whole run, with every AWS call counted."""

    def __init__(self, recorder: Recorder = RECORDER):
        self.recorder = recorder
        self.stack: Any = None
        self.app: Any = None
        self.invocations: list[Scope] = []  # every Lambda invocation (steps, stream and queue handlers)
        self._inv_lock = threading.Lock()
        self._project_dir = tempfile.mkdtemp(prefix="b2b-bench-")
        self._client: Any = None

    # --- start / reset ------------------------------------------------------------------------
    def start(self) -> "Harness":
        install(self.recorder)
        install_jwks_counter(self.recorder)
        _install_direct_transport()
        from infra.local.stack import LocalStack, free_port  # noqa: PLC0415

        self.stack = LocalStack(port=free_port()).start()  # with infra/local/moto_speedups.py installed
        from infra.local import gateway  # noqa: PLC0415

        gateway.install()
        self._phase_authorizer()
        from app import app  # noqa: PLC0415

        self.app = app
        self._after_reset()
        return self

    def reset(self) -> None:
        self.stack.reset()
        self._after_reset()

    def _after_reset(self) -> None:
        from chalicelib.config import settings  # noqa: PLC0415
        from infra.local import lambda_shim  # noqa: PLC0415

        settings.cache_clear()
        lambda_shim.register_functions(self.app, self.stack.stage, self.stack.endpoint_url, REGION)
        for name, handler in list(lambda_shim._handlers.items()):
            if not getattr(handler, "_b2b_bench", False):
                lambda_shim._handlers[name] = self.counted_invocation(name.removeprefix(f"{self.app.app_name}-{self.stack.stage}-"), handler)
        self.recorder.estimator = Estimator(gsis=table_gsis(), lookup=moto_lookup)

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()

    def _phase_authorizer(self) -> None:
        """Requests' authorizer work is counted in an `authorizer` phase of the request's scope."""
        from chalice import local  # noqa: PLC0415

        if getattr(local.LocalGatewayAuthorizer.authorize, "_b2b_bench", False):
            return
        installed = local.LocalGatewayAuthorizer.authorize
        recorder = self.recorder

        def authorize(self: Any, *args: Any, **kwargs: Any) -> Any:
            stack = recorder.stack()
            parent = stack[-1] if stack else None
            scope = None
            try:
                with recorder.scope("authorizer") as scope:
                    return installed(self, *args, **kwargs)
            finally:
                if parent is not None and scope is not None:
                    parent.meta["authorizer_ms"] = scope.wall_ms

        authorize._b2b_bench = True  # type: ignore[attr-defined]
        local.LocalGatewayAuthorizer.authorize = authorize  # type: ignore[method-assign]

    # --- Lambda invocations -----------------------------------------------------------------------
    def counted_invocation(self, function: str, handler: Any) -> Any:
        recorder, invocations, lock = self.recorder, self.invocations, self._inv_lock

        def invoke(event: Any, context: Any) -> Any:
            scope = None
            try:
                records = len(event.get("Records", [])) if isinstance(event, dict) else 0
                with recorder.scope(f"lambda:{function}", function=function, records=records) as scope:
                    return handler(event, context)
            finally:
                if scope is not None:
                    with lock:
                        invocations.append(scope)

        invoke._b2b_bench = True  # type: ignore[attr-defined]
        return invoke

    def pollers(self) -> Any:
        """The stream and queue pollers of infra/local, their handlers counted as Lambda invocations."""
        from infra.local.pollers import Pollers  # noqa: PLC0415

        pollers = Pollers(self.app, self.stack.endpoint_url, REGION, stream_arn=os.environ["MAIN_TABLE_STREAM_ARN"])
        for poller in pollers.pollers:
            poller.handler = self.counted_invocation(poller.config.name, poller.handler)
        return pollers

    # --- requests ---------------------------------------------------------------------------------
    @property
    def http(self) -> Any:
        """Chalice's test client over the app, on an empty project dir (so no stage env is laid over the stack's)."""
        if self._client is None:
            from chalice.test import Client  # noqa: PLC0415

            from tests.support.http import JsonClient  # noqa: PLC0415

            self._client = JsonClient(Client(self.app, project_dir=self._project_dir))
        return self._client

    def request(self, name: str, method: str, path: str, body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, expect: int | tuple[int, ...] = (200, 201)) -> tuple[Any, Scope]:
        with self.recorder.scope(name) as scope:
            reply = self.http.call(method, path, body, token=token, headers=headers)
        wanted = (expect,) if isinstance(expect, int) else expect
        if reply.status not in wanted:
            raise RuntimeError(f"{name}: {method} {path} answered {reply.status}: {reply.text[:300]}")
        return reply, scope

    @contextmanager
    def direct_writes(self) -> Iterator[None]:
        with DIRECT.enabled():
            yield

    def invocations_since(self, mark: int) -> list[Scope]:
        with self._inv_lock:
            return list(self.invocations[mark:])

    def mark(self) -> int:
        with self._inv_lock:
            return len(self.invocations)


def wait_for(condition: Any, timeout: float, what: str, interval: float = 0.05, tick: Any = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick is not None:
            tick()
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")
