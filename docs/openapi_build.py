"""Build docs/openapi.json (OpenAPI 3.1) from the Chalice route table and the ROUTES table below.

    cd /work/main && PYTHONPATH=. .venv/bin/python docs/openapi_build.py

From `app.routes`: paths, methods, path parameters, operationId, Bearer security (routes with
`token_authorizer`) and request media types. From ROUTES: summaries, query parameters, answers,
and the name of the JSON Schema in chalicelib/api/schemas.py that is the request body (published
as-is, never copied). tests/test_openapi.py fails when a route is missing here, when a body schema
is not the one the view validates with, or when docs/openapi.json is not what this script writes.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "openapi.json"
sys.path.insert(0, str(ROOT))

from app import app  # noqa: E402
from chalicelib.api import schemas  # noqa: E402
from chalicelib.api.http import DEFAULT_PAGE, MAX_PAGE  # noqa: E402
from chalicelib.api.security import token_authorizer  # noqa: E402
from chalicelib.api.web import CSRF, REFRESH, SESSION  # noqa: E402
from chalicelib.domain.access import PORTAL_PERMISSIONS, ROLE_CAPABILITIES, STAFF_ROLES, Capability  # noqa: E402
from chalicelib.domain.pricing import PriceSource  # noqa: E402

LOCAL_ONLY = "/local/"  # infra/local registers these on the local stack; never deployed
JSON, HTML = "application/json", "text/html"
WEB_TAG = "web pages"


def ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def body_component(schema_name: str) -> str:
    """schemas.PRICE_LIST is published as components.schemas.PriceListBody."""
    return "".join(word.capitalize() for word in schema_name.split("_")) + "Body"


# --- response shapes (chalicelib/api/views.py and the routes) ------------------------------

def shape(optional: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """An answer object: every property is always present (null when empty) unless optional."""
    return {"type": "object", "required": [p for p in properties if p not in optional], "properties": properties}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
STR_OR_NULL, INT_OR_NULL = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
MONEY, PERCENT = ref("Money"), ref("Percent")

RESPONSE_SCHEMAS: dict[str, Any] = {
    "Error": shape(error=shape(
        ("field",),
        code={"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "snake_case, e.g. `below_min_qty`"},
        message={"type": "string", "description": "a sentence for people"},
        field={"type": "string", "description": "the one field at fault, e.g. `lines[0].qty`"},
    )),
    "Page": {**shape(
        items={"type": "array"},
        next_cursor={"type": ["string", "null"], "description": "pass as `?cursor=` for the next page; null on the last"},
    ), "description": "Every list: `{items, next_cursor}`."},
    "Money": schemas.MONEY,
    "Percent": {"type": "string", "description": "percentage as a decimal string, e.g. \"19\" or \"5.5\""},
    "SignedIn": shape(
        ("refresh_token",),
        token={"type": "string", "description": "Cognito ID token: send as `Authorization: Bearer <token>`"},
        refresh_token={"type": "string", "description": "for POST /auth/refresh"},
        expires_in={"type": "integer", "description": "seconds"},
        role={"enum": ["buyer", *STAFF_ROLES]},
    ),
    "NewPasswordRequired": shape(challenge={"const": "NEW_PASSWORD_REQUIRED"}, session=STR),
    "Refreshed": shape(token=STR, expires_in=INT),
    "Message": shape(message=STR),
    "Staff": shape(id=STR, email=STR, role={"enum": list(STAFF_ROLES)}),
    "Product": shape(
        sku=STR, name=STR, category=STR, unit=STR, base_price=MONEY, currency=STR, vat_rate=PERCENT,
        min_qty=INT_OR_NULL, max_qty=INT_OR_NULL, portal_visible=BOOL,
        qty_on_hand=INT, qty_reserved=INT, qty_available=INT,
    ),
    "CatalogueItem": shape(
        ("qty_available",),
        sku=STR, name=STR, category=STR, unit=STR, price=MONEY, currency=STR, vat_rate=PERCENT,
        price_source={"enum": [s.value for s in PriceSource]}, min_qty=INT_OR_NULL, max_qty=INT_OR_NULL,
        qty_available={"type": "integer", "description": "only for contacts with the `view_stock` permission"},
    ),
    "ClientGroup": shape(id=STR, name=STR),
    "Address": shape(id=STR, label=STR, line1=STR, city=STR, postcode=STR, country=STR),
    "Client": shape(
        ("contacts",),
        id=STR, name=STR, vat_number=STR_OR_NULL, group_id=STR_OR_NULL, payment_term_days=INT,
        credit_limit=MONEY, currency=STR, sale_agent_id=STR_OR_NULL, auto_approve=BOOL,
        price_list_id=STR_OR_NULL, balance={**MONEY, "description": "open receivables"},
        addresses={"type": "array", "items": ref("Address")},
        contacts={"type": "array", "items": ref("Contact"), "description": "GET /admin/clients/{client_id} only"},
    ),
    "Permissions": shape(**{p: BOOL for p in PORTAL_PERMISSIONS}),
    "Contact": shape(id=STR, email=STR, first_name=STR, last_name=STR, client_id=STR, permissions=ref("Permissions")),
    "PriceList": shape(
        id=STR, name=STR, currency=STR, client_id=STR_OR_NULL, group_id=STR_OR_NULL,
        is_default=BOOL, is_promotion=BOOL, valid_from=DATE_OR_NULL, valid_to=DATE_OR_NULL,
    ),
    "PriceListWithItems": {"allOf": [ref("PriceList"), shape(items={"type": "array", "items": shape(sku=STR, price=MONEY)})]},
    "Price": shape(price_list_id=STR, sku=STR, price=MONEY),
    "Me": shape(
        contact=shape(id=STR, email=STR, name=STR), client=shape(id=STR, name=STR), permissions=ref("Permissions"),
    ),
}


def page_of(name: str) -> dict[str, Any]:
    return {"allOf": [ref("Page"), {"properties": {"items": {"items": ref(name)}}}]}


# Error answers, all in the Error shape; an operation may refine the description.
ERRORS = {
    400: ("BadRequest", "Malformed request: `invalid_json` (body not a JSON object)."),
    401: ("Unauthorized", "Missing, invalid or expired token (`unauthorized`)."),
    403: ("Forbidden", "Valid token, wrong role or missing permission."),
    404: ("NotFound", "No such resource (or a document of another client)."),
    409: ("Conflict", "State conflict."),
    422: ("Unprocessable", "Validation failed: `missing_field`, `unknown_field`, `invalid_value` or a specific code; "
                           "`field` names the field."),
    500: ("ServerError", "Unexpected error (`internal_error`); it has been logged."),
}

QUERY = {
    "limit": {"schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
              "description": f"page size, 1..{MAX_PAGE} (422 `invalid_limit` otherwise)"},
    "cursor": {"schema": {"type": "string"}, "description": "`next_cursor` of the previous page (422 `invalid_cursor` when not one)"},
    "category": {"schema": {"type": "string", "maxLength": 100}, "description": "only this category"},
    "q": {"schema": {"type": "string", "maxLength": 100}, "description": "search in SKU and product name"},
    "client_id": {"schema": {"type": "string"}, "description": "the list assigned to this client"},
    "group_id": {"schema": {"type": "string"}, "description": "the list assigned to this client group"},
    "is_default": {"schema": {"type": "boolean"},
                   "description": "true: the default list; false: promotions (`true`/`false`, else 422 `invalid_value`)"},
}

LOGIN_FORM = {"type": "object", "required": ["csrf", "email"], "properties": {
    "csrf": {"type": "string", "description": f"must equal the `{CSRF}` cookie"},
    "email": {"type": "string"}, "password": {"type": "string"},
    "session": {"type": "string", "description": "with new_password: the first-login step"},
    "new_password": {"type": "string"},
}}
LOGOUT_FORM = {"type": "object", "required": ["csrf"], "properties": {"csrf": LOGIN_FORM["properties"]["csrf"]}}


# --- the table: one entry per (method, path) of app.routes ---------------------------------

def api(summary: str, answer: str, returns: dict[str, Any] | None = None, *, status: int = 200, body: str | None = None,
        query: tuple[str, ...] = (), errors: dict[int, str] | None = None, capability: Capability | None = None) -> dict[str, Any]:
    """A JSON operation. `body` names the schema in chalicelib.api.schemas; `errors` adds or refines error answers."""
    return {"summary": summary, "answer": answer, "returns": returns, "status": status, "body": body,
            "query": query, "errors": errors or {}, "capability": capability}


def page(summary: str, answers: dict[int, str], *, form: dict[str, Any] | None = None, query: tuple[str, ...] = (),
         session: bool = False, cookies: tuple[int, ...] = ()) -> dict[str, Any]:
    """A server-rendered page: 303 answers are redirects, the others HTML; `cookies`: statuses that set cookies."""
    return {"summary": summary, "answers": answers, "form": form, "query": query, "session": session, "cookies": cookies}


SIGNED_IN = {"oneOf": [ref("SignedIn"), ref("NewPasswordRequired")]}
PORTAL_403 = "Staff token (`not_a_portal_contact`), or a contact without any permission (`no_portal_access`)."

ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    # auth.py (public)
    ("POST", "/auth/login"): api(
        "Sign in with email and password", "Signed in, or a first login that needs a new password (POST /auth/challenge)",
        SIGNED_IN, body="LOGIN", errors={401: "`invalid_credentials`, `unknown_account`, `unsupported_challenge`."}),
    ("POST", "/auth/challenge"): api(
        "Set the new password a first login asks for", "Signed in", ref("SignedIn"), body="CHALLENGE",
        errors={401: "`invalid_session`: sign in again.", 422: "`weak_password` or a schema error."}),
    ("POST", "/auth/refresh"): api(
        "Get a new ID token with the refresh token", "A new token", ref("Refreshed"), body="REFRESH",
        errors={401: "`invalid_refresh_token`."}),
    ("POST", "/auth/forgot-password"): api(
        "Email a password-reset code", "Always, whether or not the email has an account", ref("Message"),
        status=202, body="FORGOT"),
    ("POST", "/auth/reset-password"): api(
        "Set a new password with the emailed code", "Password changed", ref("Message"), body="RESET",
        errors={422: "`invalid_code`, `weak_password` or a schema error."}),
    # admin.py (staff tokens)
    ("POST", "/admin/staff"): api(
        "Create a staff account (emails an invitation)", "Created", ref("Staff"), status=201, body="STAFF",
        capability=Capability.MANAGE_STAFF, errors={409: "`email_taken`.", 422: "`weak_password` or a schema error."}),
    ("POST", "/admin/products"): api(
        "Create a product", "Created", ref("Product"), status=201, body="PRODUCT", capability=Capability.MANAGE_CATALOGUE,
        errors={409: "`product_exists`.", 422: "`invalid_quantity_range`, `invalid_value` or a schema error."}),
    ("GET", "/admin/products/{sku}"): api(
        "One product with its stock", "The product", ref("Product"), capability=Capability.VIEW_CATALOGUE,
        errors={404: "`product_not_found`."}),
    ("PUT", "/admin/products/{sku}/stock"): api(
        "Set a product's quantity on hand", "The product", ref("Product"), body="STOCK", capability=Capability.MANAGE_STOCK,
        errors={404: "`product_not_found`."}),
    ("POST", "/admin/client-groups"): api(
        "Create a client group", "Created", ref("ClientGroup"), status=201, body="GROUP", capability=Capability.MANAGE_CLIENTS),
    ("POST", "/admin/clients"): api(
        "Create a client with its addresses", "Created", ref("Client"), status=201, body="CLIENT",
        capability=Capability.MANAGE_CLIENTS, errors={422: "`unknown_group`, `unknown_agent` or a schema error."}),
    ("GET", "/admin/clients/{client_id}"): api(
        "One client with its balance and contacts", "The client", ref("Client"), capability=Capability.VIEW_CLIENTS,
        errors={404: "`client_not_found`."}),
    ("POST", "/admin/clients/{client_id}/contacts"): api(
        "Create a portal contact (opens the account, emails an invitation)", "Created", ref("Contact"), status=201,
        body="CONTACT", capability=Capability.MANAGE_CLIENTS,
        errors={404: "`client_not_found`.", 409: "`email_taken`.", 422: "`weak_password` or a schema error."}),
    ("PUT", "/admin/contacts/{contact_id}/permissions"): api(
        "Change some of a contact's portal permissions (the others stay)", "The contact", ref("Contact"),
        body="PERMISSIONS", capability=Capability.MANAGE_CLIENTS,
        errors={404: "`contact_not_found`.", 422: "`missing_field` (empty body) or a schema error."}),
    ("POST", "/admin/price-lists"): api(
        "Create a price list for a client, a group, the default or a promotion", "Created", ref("PriceList"), status=201,
        body="PRICE_LIST", capability=Capability.MANAGE_PRICING,
        errors={409: "`price_list_exists`: the owner already has one.",
                422: "`conflicting_assignment`, `invalid_date`, `invalid_date_range`, `missing_field`, `unknown_client`, "
                     "`unknown_group`, `currency_mismatch`, `duplicate_sku`, `unknown_product` or a schema error."}),
    ("GET", "/admin/price-lists"): api(
        "Price lists, optionally by owner (client_id, else group_id, else is_default)", "All matching lists in one page",
        page_of("PriceList"), query=("client_id", "group_id", "is_default"), capability=Capability.VIEW_PRICING,
        errors={422: "`invalid_value` (is_default)."}),
    ("GET", "/admin/price-lists/{price_list_id}"): api(
        "One price list with its prices", "The list", ref("PriceListWithItems"), capability=Capability.VIEW_PRICING,
        errors={404: "`price_list_not_found`."}),
    ("PUT", "/admin/price-lists/{price_list_id}/items/{sku}"): api(
        "Set one product's price in a list", "The price", ref("Price"), body="PRICE", capability=Capability.MANAGE_PRICING,
        errors={404: "`price_list_not_found` or `product_not_found`."}),
    ("POST", "/admin/price-lists/{price_list_id}/clone"): api(
        "Copy a list's prices into a new list", "Created", ref("PriceList"), status=201, body="CLONE",
        capability=Capability.MANAGE_PRICING,
        errors={404: "`price_list_not_found`.", 409: "`price_list_exists`.",
                422: "`missing_field` (a clone needs client_id or group_id), `conflicting_assignment`, `unknown_client`, "
                     "`unknown_group`, `currency_mismatch` or a schema error."}),
    # portal.py (buyer tokens, scoped to the token's client)
    ("GET", "/portal/me"): api("The signed-in contact, its client and permissions", "Who is calling", ref("Me"),
                               errors={403: PORTAL_403}),
    ("GET", "/portal/catalogue"): api(
        "The client's catalogue with its prices", "One page of products", page_of("CatalogueItem"),
        query=("category", "q", "limit", "cursor"),
        errors={422: "`invalid_limit`, `invalid_cursor`, `invalid_value` (category or q over 100 characters).",
                403: PORTAL_403}),
    ("GET", "/portal/catalogue/{sku}"): api(
        "One product as the client sees it", "The product", ref("CatalogueItem"),
        errors={403: PORTAL_403, 404: "`product_not_found`: unknown, hidden, or not priced for this client."}),
    # web.py (HTML pages; session cookie)
    ("GET", "/"): page("Home: redirects to the catalogue", {303: "To /catalogue."}),
    ("GET", "/login"): page("The sign-in page", {200: "The form."}, cookies=(200,)),
    ("POST", "/login"): page(
        "Sign in (or set the first-login password); buyers only", form=LOGIN_FORM, cookies=(303,),
        answers={303: "Signed in: to /catalogue, with the session cookies.", 200: "The new-password step of a first login.",
                 401: "The form again with the error.", 403: "CSRF check failed, or a staff account.",
                 422: "The form again with the error (e.g. weak password)."}),
    ("POST", "/logout"): page("Sign out", {303: "To /login with the session cookies cleared (to /catalogue when the "
                                                 "CSRF check fails)."}, form=LOGOUT_FORM, cookies=(303,)),
    ("GET", "/catalogue"): page(
        "The catalogue page of the signed-in buyer", query=("category", "q", "cursor"), session=True, cookies=(200,),
        answers={200: "The page (24 products, a next-page link).", 303: "To /login when signed out; to /catalogue "
                 "when the cursor is stale.", 403: "Signed in, but the contact has no portal access."}),
}


# --- assembling the document -------------------------------------------------------------------

def deployed_routes() -> dict[tuple[str, str], Any]:
    return {(method, path): entry for path, methods in app.routes.items() if not path.startswith(LOCAL_ONLY)
            for method, entry in methods.items()}


def path_params(path: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", path)]


def error(status: int, description: str | None = None) -> dict[str, Any]:
    answer = ref(ERRORS[status][0], "responses")
    return {**answer, "description": description} if description else answer


def json_operation(path: str, entry: Any, spec: dict[str, Any]) -> dict[str, Any]:
    errors: dict[int, str | None] = {500: None}
    op: dict[str, Any] = {"tags": [path.split("/")[1]], "security": []}
    if spec["body"]:
        op["requestBody"] = {"required": True, "content": {ct: {"schema": ref(body_component(spec["body"]))}
                                                           for ct in entry.content_types}}
        errors |= {400: None, 422: None}
    if entry.authorizer is not None:
        assert entry.authorizer.name == token_authorizer.name, f"unknown authorizer on {path}"
        op["security"] = [{"bearerAuth": []}]
        errors |= {401: None, 403: None}
    if spec["capability"]:
        roles = ", ".join(r for r in STAFF_ROLES if r in ROLE_CAPABILITIES[spec["capability"]])
        op["description"] = f"Staff roles: {roles}."
        errors[403] = f"Not a staff token with `{spec['capability'].value}` (roles: {roles}): `forbidden`."
    if "{" in path:
        errors[404] = None
    errors |= spec["errors"]
    success: dict[str, Any] = {"description": spec["answer"]}
    if spec["returns"]:
        success["content"] = {JSON: {"schema": spec["returns"]}}
    op["responses"] = {str(spec["status"]): success} | {str(s): error(s, d) for s, d in sorted(errors.items())}
    return op


def page_operation(entry: Any, spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"tags": [WEB_TAG], "security": [{"sessionCookie": []}] if spec["session"] else []}
    if spec["form"]:
        op["requestBody"] = {"required": True, "content": {ct: {"schema": spec["form"]} for ct in entry.content_types}}
    responses = {}
    for status, description in spec["answers"].items():
        answer: dict[str, Any] = {"description": description, "headers": {}}
        if status == 303:
            answer["headers"]["Location"] = {"schema": {"type": "string"}}
        else:
            answer["content"] = {HTML: {"schema": {"type": "string"}}}
        if status in spec["cookies"]:
            answer["headers"]["Set-Cookie"] = {"schema": {"type": "string"}, "description": "session and/or CSRF cookies"}
        if not answer["headers"]:
            del answer["headers"]
        responses[str(status)] = answer
    op["responses"] = responses
    return op


def operation(method: str, path: str, entry: Any) -> dict[str, Any]:
    spec = ROUTES[(method, path)]
    op = page_operation(entry, spec) if "answers" in spec else json_operation(path, entry, spec)
    parameters = path_params(path) + [{"$ref": f"#/components/parameters/{name}"} for name in spec["query"]]
    if parameters:
        op["parameters"] = parameters
    return {"operationId": entry.view_name, "summary": spec["summary"], **op}


def build() -> dict[str, Any]:
    routes = deployed_routes()
    missing, stale = sorted(set(routes) - set(ROUTES)), sorted(set(ROUTES) - set(routes))
    if missing or stale:
        raise KeyError(f"docs/openapi_build.py ROUTES is out of date: add {missing}, remove {stale}")
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), entry in routes.items():
        paths.setdefault(path, {})[method.lower()] = operation(method, path, entry)
    bodies = {spec["body"] for spec in ROUTES.values() if spec.get("body")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "B2B ordering platform API",
            "version": "1.0.0",
            "description": "The JSON API (shared/API.md) and the portal's HTML pages. Money is a decimal string "
                           "(\"1234.50\"), quantities are integers, dates ISO 8601. Every 4xx/5xx answer is "
                           "`{\"error\": {\"code\", \"message\", \"field\"?}}`; lists are `{\"items\", \"next_cursor\"}`. "
                           "Generated by docs/openapi_build.py; do not edit by hand.",
        },
        "tags": [
            {"name": "auth", "description": "Sign-in with Cognito (public)."},
            {"name": "admin", "description": "The supplier's staff (staff tokens)."},
            {"name": "portal", "description": "A buyer's own view, scoped to the token's client."},
            {"name": WEB_TAG, "description": "Server-rendered portal pages (HTML, cookie session, CSRF-checked forms)."},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "`Authorization: Bearer <ID token from /auth/login>`: the `token` of a login, "
                                   "challenge or refresh answer. Renew it with POST /auth/refresh.",
                },
                "sessionCookie": {
                    "type": "apiKey", "in": "cookie", "name": SESSION,
                    "description": f"The pages' session: the same ID token in an HttpOnly cookie set by POST /login "
                                   f"(renewed with the `{REFRESH}` cookie). Forms also send the `{CSRF}` cookie's "
                                   "value as the `csrf` field.",
                },
            },
            "schemas": RESPONSE_SCHEMAS | {body_component(name): getattr(schemas, name) for name in sorted(bodies)},
            "responses": {name: {"description": text, "content": {JSON: {"schema": ref("Error")}}}
                          for name, text in ERRORS.values()},
            "parameters": {name: {"name": name, "in": "query", "required": False, **p} for name, p in QUERY.items()},
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(build()))
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {sum(len(m) for m in build()['paths'].values())} operations")
