"""Test worlds run on the embedded local stack (moto server), the same one `make run` uses."""
from __future__ import annotations

import threading

import pytest

from infra.local.stack import LocalStack, free_port


@pytest.fixture(scope="session")
def local_stack():
    stack = LocalStack(port=free_port()).start()
    from infra.local import gateway  # noqa: PLC0415 - after the stack has set the environment

    gateway.install()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def chalice_app(local_stack):
    from app import app  # noqa: PLC0415

    return app


@pytest.fixture
def stack(local_stack, chalice_app):
    """A fresh, empty AWS for each test: resources re-created from infra/template.json."""
    local_stack.reset()
    from infra.local import lambda_shim  # noqa: PLC0415

    lambda_shim.register_functions(chalice_app, local_stack.stage, local_stack.endpoint_url, "us-east-1")
    return local_stack


@pytest.fixture
def api(stack, chalice_app, tmp_path):
    from chalice.test import Client  # noqa: PLC0415

    from tests.support.http import JsonClient  # noqa: PLC0415

    # An empty project dir: Chalice's test client would otherwise put a stage's environment from
    # .chalice/config.json over the local stack's for every request.
    with Client(chalice_app, project_dir=str(tmp_path)) as client:
        yield JsonClient(client)


@pytest.fixture
def world(stack):
    from tests.support.world import World  # noqa: PLC0415

    return World()


def _serve(app, base_path: str = ""):
    """The app behind Chalice's local HTTP server on a free port, as `make run` serves it (under `base_path`)."""
    from chalice.config import Config  # noqa: PLC0415

    from infra.local.gateway import local_server  # noqa: PLC0415

    port = free_port()
    server = local_server(app, Config.create(chalice_stage="local", app_name=app.app_name), "127.0.0.1", port, base_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{port}{base_path}"


@pytest.fixture(scope="session")
def _http_server(local_stack, chalice_app):
    server, url = _serve(chalice_app)
    yield url
    server.shutdown()
    server.server.server_close()


@pytest.fixture
def http_server(stack, _http_server):
    """The app behind Chalice's local HTTP server, as `make run` serves it, on a fresh stack; its base URL."""
    return _http_server


@pytest.fixture(scope="session")
def _api_server(local_stack, chalice_app):
    server, url = _serve(chalice_app, "/api")
    yield url
    server.shutdown()
    server.server.server_close()


@pytest.fixture
def api_server(stack, _api_server):
    """The app served under /api, as API Gateway serves it under its stage (`BASE_PATH=/api make run`);
    its base URL, ending in /api."""
    return _api_server


@pytest.fixture
def workflows(stack, chalice_app):
    from tests.support.workflow import Workflows  # noqa: PLC0415

    return Workflows(stack, chalice_app)


@pytest.fixture(scope="session")
def local_pages(chalice_app):
    """The local stack's own pages (outbox, sandbox checkout and tracking), registered once as `make run` does.
    Never removed: Chalice consumes a blueprint's route options when registering it, so it registers only once."""
    from infra.local.outbox import outbox  # noqa: PLC0415
    from infra.local.mail_drop import mail_drop  # noqa: PLC0415
    from infra.local.sandbox_pages import sandbox_pages  # noqa: PLC0415

    if "/local/pay/{session_id}" not in chalice_app.routes:
        chalice_app.register_blueprint(outbox)
        chalice_app.register_blueprint(sandbox_pages)
        chalice_app.register_blueprint(mail_drop)


@pytest.fixture
def app_settings(monkeypatch):
    """`app_settings(NAME=value, ...)`: the environment `config.settings()` is read from, for this test only (the
    cached settings are renewed at once and again after the test)."""
    from chalicelib import config  # noqa: PLC0415

    def change(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        config.settings.cache_clear()

    yield change
    monkeypatch.undo()
    config.settings.cache_clear()
