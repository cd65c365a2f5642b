"""docs/openapi.json documents exactly the app's routes, publishes the request-body schemas the views
validate with, and is what docs/openapi_build.py writes today. Pure: no AWS, no local stack."""
from __future__ import annotations

import importlib.util
import inspect
import json
import re
from pathlib import Path

import pytest

from app import app
from chalicelib.api import schemas

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILE = ROOT / "docs" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
REGENERATE = "run: PYTHONPATH=. .venv/bin/python docs/openapi_build.py"

_spec = importlib.util.spec_from_file_location("openapi_build", ROOT / "docs" / "openapi_build.py")
openapi_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(openapi_build)


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(SPEC_FILE.read_text())


def app_routes() -> dict[tuple[str, str], object]:
    """The deployed API: /local/* exists only when the local stack registers it."""
    return {(path, method.lower()): entry for path, methods in app.routes.items() if not path.startswith("/local/")
            for method, entry in methods.items()}


def view_source(entry) -> str:
    return inspect.getsource(inspect.unwrap(entry.view_function))


def test_every_route_is_documented_and_nothing_else(document):
    documented = {(path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS}
    routes = set(app_routes())
    assert sorted(routes - documented) == [], f"routes missing from docs/openapi.json; add them to ROUTES and {REGENERATE}"
    assert sorted(documented - routes) == [], "docs/openapi.json documents routes the app does not have"


def test_request_bodies_are_the_schemas_the_views_validate_with(document):
    for (path, method), entry in app_routes().items():
        used = sorted(set(re.findall(r"\bschemas\.([A-Z_]+)\b", view_source(entry))))
        content = document["paths"][path][method].get("requestBody", {}).get("content", {})
        if not used:
            assert "application/json" not in content, f"{method} {path} validates no JSON body but documents one"
            continue
        assert len(used) == 1, f"{method} {path} uses several schemas: {used}"
        published = content["application/json"]["schema"]
        name = published["$ref"].rsplit("/", 1)[-1]
        assert document["components"]["schemas"][name] == getattr(schemas, used[0]), f"{method} {path}: body is not schemas.{used[0]}"


def test_admin_roles_come_from_the_capability_the_view_checks():
    for (path, method), entry in app_routes().items():
        capability = openapi_build.ROUTES[(method.upper(), path)].get("capability")
        checked = re.findall(r"\bCapability\.([A-Z_]+)\b", view_source(entry))
        assert ([capability.name] if capability else []) == checked, f"{method} {path}: table says {capability}, view checks {checked}"


def test_document_is_what_the_build_script_writes_now():
    assert SPEC_FILE.read_text() == openapi_build.render(openapi_build.build()), f"docs/openapi.json is stale; {REGENERATE}"


def test_document_is_valid_openapi_3_1(document):
    validator = pytest.importorskip("openapi_spec_validator")
    assert document["openapi"].startswith("3.1.")
    validator.validate(document, cls=validator.OpenAPIV31SpecValidator)
