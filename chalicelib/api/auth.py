"""/auth/*: sign-in with Cognito (public routes)."""
from __future__ import annotations

from chalice import Response

from chalicelib.api import schemas
from chalicelib.api.http import ApiBlueprint, json_body, json_response, validate
from chalicelib.services import accounts, lockout

auth_api = ApiBlueprint(__name__)


@auth_api.route("/auth/login", methods=["POST"])
def login():
    request = auth_api.current_request
    body = validate(json_body(request), schemas.LOGIN)
    return json_response(lockout.sign_in(body["email"].strip().lower(), body["password"], client_ip(request)).as_json())


def client_ip(request) -> str | None:
    """The caller's address as API Gateway saw it (the lockout counts failures per address too)."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or None


@auth_api.route("/auth/challenge", methods=["POST"])
def challenge():
    body = validate(json_body(auth_api.current_request), schemas.CHALLENGE)
    signed_in = accounts.complete_new_password(body["email"].strip().lower(), body["session"], body["new_password"])
    return json_response(signed_in.as_json())


@auth_api.route("/auth/refresh", methods=["POST"])
def refresh():
    body = validate(json_body(auth_api.current_request), schemas.REFRESH)
    signed_in = accounts.refresh(body["refresh_token"])
    return json_response({"token": signed_in.token, "expires_in": signed_in.expires_in})


@auth_api.route("/auth/logout", methods=["POST"])
def sign_out():
    body = validate(json_body(auth_api.current_request), schemas.REFRESH)
    accounts.logout(body["refresh_token"])
    return Response(body="", status_code=204)


@auth_api.route("/auth/forgot-password", methods=["POST"])
def forgot_password():
    body = validate(json_body(auth_api.current_request), schemas.FORGOT)
    accounts.forgot_password(body["email"].strip().lower())
    return json_response({"message": "If the email has an account, a reset code is on its way."}, status=202)


@auth_api.route("/auth/reset-password", methods=["POST"])
def reset_password():
    body = validate(json_body(auth_api.current_request), schemas.RESET)
    accounts.reset_password(body["email"].strip().lower(), body["code"].strip(), body["new_password"])
    return json_response({"message": "Password changed; sign in with the new one."})
