"""The strict input layer (api/http.py, api/schemas.py) and a store that writes only what it can read back."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from chalicelib.api.http import dependency_error
from chalicelib.aws import client as aws_client
from chalicelib.config import settings
from chalicelib.services import accounts
from chalicelib.store.attributes import DecimalAttribute, IntegerAttribute, UnstorableNumber
from chalicelib.store.models import product_pk
from chalicelib.store.products import PRODUCT_SK, find_products
from tests.support.world import PASSWORD


def shop(world):
    sku = world.product("CAB-001", base_price=Decimal("10.00"))
    client = world.client(addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    return sku, buyer, world.admin_token()


def test_a_whole_number_sent_as_5_0_is_stored_as_the_integer_5(api, world):
    sku, buyer, admin = shop(world)
    reply = api.put(f"/admin/products/{sku}/stock", None, admin, raw='{"qty_on_hand": 5.0}')
    assert reply.status == 200 and reply.body["qty_on_hand"] == 5
    assert api.get("/portal/catalogue", buyer).status == 200  # every later read still works
    created = api.post("/admin/clients", None, admin, raw=json.dumps({
        "name": "Floaty SRL", "credit_limit": "100.00", "currency": "EUR"})[:-1] + ', "payment_term_days": 30.0}')
    assert created.status == 201 and created.body["payment_term_days"] == 30
    assert api.get(f"/admin/clients/{created.body['id']}", admin).body["payment_term_days"] == 30
    order = api.post("/portal/orders", None, buyer, raw='{"lines": [{"sku": "CAB-001", "qty": 2.0}]}')
    assert order.status == 201 and order.body["lines"][0]["qty"] == 2


@pytest.mark.parametrize("body, field", [
    ('{"qty_on_hand": 5.5}', "qty_on_hand"),
    ('{"qty_on_hand": 1e29}', "qty_on_hand"),
    ('{"qty_on_hand": -1}', "qty_on_hand"),
])
def test_numbers_outside_the_business_bounds_are_422_on_their_field(api, world, body, field):
    sku, _, admin = shop(world)
    reply = api.put(f"/admin/products/{sku}/stock", None, admin, raw=body)
    assert reply.status == 422 and reply.error["field"] == field


def test_product_quantities_and_settings_hours_have_bounds(api, world):
    _, _, admin = shop(world)
    product = {"sku": "BIG-1", "name": "Big", "category": "X", "unit": "pcs", "base_price": "1.00", "currency": "EUR",
               "vat_rate": "19", "portal_visible": True}
    assert api.post("/admin/products", {**product, "qty_on_hand": 10**29}, admin).error["field"] == "qty_on_hand"
    assert api.post("/admin/products", {**product, "max_qty": 10**12}, admin).error["field"] == "max_qty"
    tiny = api.put("/admin/settings", None, admin, raw='{"review_timeout_hours": 1e-323}')
    assert tiny.status == 422 and tiny.error["field"] == "review_timeout_hours"
    assert api.put("/admin/settings", {"review_timeout_hours": 1.5}, admin).body["review_timeout_hours"] == 1.5


@pytest.mark.parametrize("raw", [
    "[" * 1000 + "]" * 1000,
    '{"email": ' + "[" * 1000 + "]" * 1000 + "}",
    '{"email": ' + "[" * 20 + "]" * 20 + ', "password": "x"}',
    '{"email": "a@b.example", "password": NaN}',
    '{"email": "a@b.example", "password": 1e999}',
    '{"email": "\\ud800@b.example", "password": "x"}',
    '{"email": "a@b.example", "password": "' + "x" * 1_000_001 + '"}',
])
def test_deep_huge_or_non_json_bodies_are_400_invalid_json_also_before_sign_in(api, stack, raw):
    reply = api.post("/auth/login", None, raw=raw)
    assert reply.status == 400 and reply.error["code"] == "invalid_json"


@pytest.mark.parametrize("limit", ["１０", "²", "1.0", "-1", "0", "201", " 5"])
def test_limit_takes_ascii_digits_only(api, world, limit):
    _, buyer, _ = shop(world)
    reply = api.get(f"/portal/orders?limit={limit}", buyer)
    assert reply.status == 422 and reply.error["code"] == "invalid_limit"


def test_a_short_challenge_session_is_a_422_not_a_server_error(api, stack):
    reply = api.post("/auth/challenge", {"email": "a@b.example", "session": "short", "new_password": "Chosen-Pass-987"})
    assert reply.status == 422 and reply.error["field"] == "session"


def test_aws_failures_map_to_clear_errors():
    def client_error(code):
        return ClientError({"Error": {"Code": code, "Message": "no"}}, "AnyOperation")

    assert dependency_error(ParamValidationError(report="Invalid length for parameter Session")).status == 422
    assert dependency_error(client_error("ThrottlingException")).code == "unavailable"
    assert dependency_error(client_error("AccessDeniedException")) is None  # our bug: a logged 500
    assert dependency_error(ValueError("x")) is None


def test_framework_errors_never_say_bad_request_for_a_500():
    from chalice import Response  # noqa: PLC0415

    from chalicelib.api.http import reshape_framework_errors  # noqa: PLC0415

    crashed = reshape_framework_errors(None, lambda _: Response({"Code": "InternalServerError", "Message": "boom: secret"}, status_code=500))
    assert json.loads(crashed.body)["error"] == {"code": "internal_error",
                                                 "message": "Something went wrong on our side; it has been logged."}
    unsupported = reshape_framework_errors(None, lambda _: Response({"Code": "UnsupportedMediaType", "Message": "nope"}, status_code=415))
    assert json.loads(unsupported.body)["error"]["code"] == "unsupported_media_type"


def test_the_store_refuses_numbers_it_could_not_read_back():
    for attribute, bad in ((IntegerAttribute(), 5.0), (IntegerAttribute(), True), (DecimalAttribute(), 0.1),
                           (DecimalAttribute(), Decimal("1e-131")), (DecimalAttribute(), Decimal("1" * 39)),
                           (DecimalAttribute(), Decimal("NaN"))):
        with pytest.raises(UnstorableNumber):
            attribute.serialize(bad)
    assert DecimalAttribute().serialize(Decimal("1234.50")) == "1234.50"
    assert IntegerAttribute().serialize(10**20) == str(10**20)


def test_reads_tolerate_what_older_versions_wrote(world):
    sku = world.product("OLD-1")
    key = {"pk": {"S": product_pk(sku)}, "sk": {"S": PRODUCT_SK}}
    aws_client("dynamodb").update_item(TableName=settings().table_name, Key=key, UpdateExpression="SET qty_on_hand = :q",
                                       ExpressionAttributeValues={":q": {"N": "5.0"}})  # as a float-ish write left it
    assert find_products([sku])[sku].qty_on_hand == 5


def test_logout_revokes_the_refresh_token(api, world):
    world.staff("agent")
    email = "leaving@supplier.example"
    from chalicelib.services import setup  # noqa: PLC0415

    setup.create_staff({"email": email, "name": "Leaving Agent", "role": "agent"}, inviter="Tests")
    aws_client("cognito-idp").admin_set_user_password(UserPoolId=settings().user_pool_id, Username=email,
                                                      Password=PASSWORD, Permanent=True)
    login = api.post("/auth/login", {"email": email, "password": PASSWORD}).body
    assert api.post("/auth/refresh", {"refresh_token": login["refresh_token"]}).status == 200
    out = api.post("/auth/logout", {"refresh_token": login["refresh_token"]})
    assert out.status == 204 and out.text == ""
    refused = api.post("/auth/refresh", {"refresh_token": login["refresh_token"]})
    assert refused.status == 401 and refused.error["code"] == "invalid_refresh_token"
    assert api.post("/auth/logout", {"refresh_token": login["refresh_token"]}).status == 204  # already out: fine
    assert isinstance(accounts.login(email, PASSWORD), accounts.SignedIn)  # signing in again works


def test_buyers_never_see_staff_email_addresses(api, world):
    agent_id, agent = world.staff("agent")
    sku = world.product("CAB-001", base_price=Decimal("10.00"))
    client = world.client(sale_agent_id=agent_id,  # the agent's own client
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": sku, "qty": 1}]}, buyer).body
    assert api.post(f"/admin/orders/{order['id']}/reject", {"reason": "Out of season"}, agent).status == 200
    seen = api.get(f"/portal/orders/{order['id']}", buyer)
    assert [(h["event"], h["actor"]) for h in seen.body["history"]][1] == ("reject", "Your sales agent")
    assert "@supplier.example" not in seen.text
    assert "@supplier.example" in api.get(f"/admin/orders/{order['id']}", agent).text  # staff still see who


@pytest.mark.parametrize("cookie", ["a=b; $=c", "a=b; $", "csrf=x; $=", "=x; a=b"])
def test_a_malformed_cookie_header_reads_as_signed_out_never_a_500(api, cookie):
    page = api.call("GET", "/agent/orders", headers={"Cookie": cookie, "Accept": "text/html"})
    assert page.status == 303 and page.headers["Location"].endswith("/login")
    form = api.call("POST", "/agent/orders/so_x/reject", raw="reason=x",
                    headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status < 500
