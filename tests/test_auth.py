"""/auth/* on the embedded Cognito, and the token checks in front of every non-public route."""
from __future__ import annotations

import base64
import json
import time

import jwt
import requests
from moto.cognitoidp.models import cognitoidp_backends

from chalicelib.aws import client as aws_client
from chalicelib.config import settings
from chalicelib.services import setup
from infra.local.provision import ACCOUNT_ID
from tests.support.world import PASSWORD


def invite(email="new.buyer@client.example", temporary="Temp-Pass-1234", **perms):
    from tests.support.world import World  # noqa: PLC0415

    client_id = World().client()
    setup.create_contact(client_id, {"email": email, "first_name": "New", "last_name": "Buyer",
                                     "permissions": perms or {"orders": True}, "temporary_password": temporary}, inviter="Tests")
    return email


def test_invited_contact_must_choose_a_password_on_first_login(api, stack):
    email = invite()
    first = api.post("/auth/login", {"email": email, "password": "Temp-Pass-1234"})
    assert first.status == 200 and first.body["challenge"] == "NEW_PASSWORD_REQUIRED" and "token" not in first.body

    weak = api.post("/auth/challenge", {"email": email, "session": first.body["session"], "new_password": "short"})
    assert weak.status == 422 and weak.error["code"] == "weak_password" and weak.error["field"] == "new_password"

    done = api.post("/auth/challenge", {"email": email, "session": first.body["session"], "new_password": "Chosen-Pass-987"})
    assert done.status == 200 and done.body["role"] == "buyer" and done.body["token"] and done.body["refresh_token"]
    assert api.get("/portal/me", done.body["token"]).status == 200

    again = api.post("/auth/login", {"email": email.upper(), "password": "Chosen-Pass-987"})
    assert again.status == 200 and again.body["role"] == "buyer" and again.body["expires_in"] > 0


def test_wrong_password_and_unknown_email_get_the_same_401(api, world):
    world.staff("agent")
    email = invite()
    for body in ({"email": email, "password": "Wrong-Pass-000"}, {"email": "nobody@nowhere.example", "password": "x"}):
        reply = api.post("/auth/login", body)
        assert reply.status == 401 and reply.error["code"] == "invalid_credentials"


def test_staff_login_reports_the_role(api, world):
    world.staff("warehouse")
    user = next(u for u in cognitoidp_backends[ACCOUNT_ID]["us-east-1"].user_pools[settings().user_pool_id].users.values())
    email = next(a["Value"] for a in user.attributes if a["Name"] == "email")
    reply = api.post("/auth/login", {"email": email, "password": PASSWORD})
    assert reply.status == 200 and reply.body["role"] == "warehouse"


def test_refresh_gives_a_new_working_token(api, stack):
    email = invite(temporary=None)
    aws_client("cognito-idp").admin_set_user_password(UserPoolId=settings().user_pool_id, Username=email,
                                                      Password=PASSWORD, Permanent=True)
    login = api.post("/auth/login", {"email": email, "password": PASSWORD}).body
    refreshed = api.post("/auth/refresh", {"refresh_token": login["refresh_token"]})
    assert refreshed.status == 200 and set(refreshed.body) == {"token", "expires_in"}
    assert api.get("/portal/me", refreshed.body["token"]).status == 200
    bad = api.post("/auth/refresh", {"refresh_token": "not-a-refresh-token"})
    assert bad.status == 401 and bad.error["code"] == "invalid_refresh_token"


def test_password_reset_with_the_emailed_code(api, stack):
    email = invite()
    aws_client("cognito-idp").admin_set_user_password(UserPoolId=settings().user_pool_id, Username=email,
                                                      Password=PASSWORD, Permanent=True)
    assert api.post("/auth/forgot-password", {"email": email}).status == 202
    user = cognitoidp_backends[ACCOUNT_ID]["us-east-1"].user_pools[settings().user_pool_id]._get_user(email)
    wrong = api.post("/auth/reset-password", {"email": email, "code": "moto-confirmation-code:000000", "new_password": "Reset-Pass-555"})
    assert wrong.status == 422 and wrong.error["code"] == "invalid_code"
    ok = api.post("/auth/reset-password", {"email": email, "code": user.confirmation_code, "new_password": "Reset-Pass-555"})
    assert ok.status == 200
    assert "token" in api.post("/auth/login", {"email": email, "password": "Reset-Pass-555"}).body


def test_forgot_password_does_not_reveal_whether_an_account_exists(api, stack):
    assert api.post("/auth/forgot-password", {"email": "nobody@nowhere.example"}).status == 202


def test_auth_bodies_are_validated(api, stack):
    assert api.post("/auth/login", raw="{not json").error["code"] == "invalid_json"
    missing = api.post("/auth/login", {"email": "a@b.example"})
    assert missing.status == 422 and missing.error == {"code": "missing_field", "message": "password is required.", "field": "password"}
    bad_email = api.post("/auth/login", {"email": "not-an-email", "password": "x"})
    assert bad_email.status == 422 and bad_email.error["field"] == "email"
    extra = api.post("/auth/forgot-password", {"email": "a@b.example", "admin": True})
    assert extra.status == 422 and extra.error["code"] == "unknown_field" and extra.error["field"] == "admin"
    assert api.post("/auth/login", raw="[1, 2]").status == 400


# --- tokens in front of non-public routes ------------------------------------------------

def _moto_private_key():
    from joserfc.jwk import RSAKey  # noqa: PLC0415 - moto's own signing key, to mint an expired but well-signed token
    from moto.utilities.utils import load_resource  # noqa: PLC0415

    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json")).as_pem(private=True)


def _claims(stack_token: str) -> dict:
    payload = stack_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def bad_tokens(valid: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    claims = _claims(valid)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired = {**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
    wrong_audience = {**claims, "aud": "another-app-client"}
    header, payload, _ = valid.split(".")
    return {
        "forged": jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "dummy"}),
        "expired": jwt.encode(expired, _moto_private_key(), algorithm="RS256", headers={"kid": "dummy"}),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
        "tampered": f"{header}.{base64.urlsafe_b64encode(json.dumps({**claims, 'sub': 'someone-else'}).encode()).decode().rstrip('=')}.{valid.split('.')[2]}",
        "wrong_audience": jwt.encode(wrong_audience, _moto_private_key(), algorithm="RS256", headers={"kid": "dummy"}),
        "garbage": "not-a-jwt",
    }


def test_forged_expired_and_unsigned_tokens_get_401_in_the_test_client(api, world):
    _, token = world.buyer(world.client())
    assert api.get("/portal/me", token).status == 200
    for name, bad in bad_tokens(token).items():
        reply = api.get("/portal/me", bad)
        assert reply.status == 401, name
        assert reply.error["code"] == "unauthorized", name
    assert api.get("/portal/me").status == 401
    assert api.get("/portal/me", headers={"Authorization": f"Basic {token}"}).status == 401


def test_forged_expired_and_unsigned_tokens_get_401_over_http_as_make_run_serves(http_server, world):
    _, token = world.buyer(world.client())
    assert requests.get(f"{http_server}/portal/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    for name, bad in bad_tokens(token).items():
        reply = requests.get(f"{http_server}/portal/me", headers={"Authorization": f"Bearer {bad}"}, timeout=10)
        assert reply.status_code == 401, name
        assert reply.json()["error"]["code"] == "unauthorized", name
    assert requests.get(f"{http_server}/admin/products/X", timeout=10).status_code == 401
