"""/portal/profile: a portal contact's own details, email preferences and password."""
from __future__ import annotations

from chalice import Response

from chalicelib.api import schemas
from chalicelib.api.http import ApiBlueprint, json_body, json_response, validate
from chalicelib.api.security import require_portal, token_authorizer
from chalicelib.services import profile

profile_api = ApiBlueprint(__name__)


@profile_api.route("/portal/profile", methods=["GET"], authorizer=token_authorizer)
def my_profile():
    return json_response(profile.load(require_portal(profile_api.current_request)))


@profile_api.route("/portal/profile", methods=["PATCH"], authorizer=token_authorizer)
def change_profile():
    person = require_portal(profile_api.current_request)
    body = validate(json_body(profile_api.current_request), schemas.PROFILE)
    return json_response(profile.update(person, body))


@profile_api.route("/portal/profile/password", methods=["POST"], authorizer=token_authorizer)
def change_password():
    person = require_portal(profile_api.current_request)
    body = validate(json_body(profile_api.current_request), schemas.CHANGE_PASSWORD)
    profile.change_password(person, body["current_password"], body["new_password"])
    return Response(body="", status_code=204)


@profile_api.route("/portal/profile/company-change-request", methods=["POST"], authorizer=token_authorizer)
def request_company_change():
    person = require_portal(profile_api.current_request)
    body = validate(json_body(profile_api.current_request), schemas.CHANGE_REQUEST)
    sent_to = profile.request_company_change(person, body["message"])
    return json_response({"message": f"Sent to {sent_to}."}, status=202)
