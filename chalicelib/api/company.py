"""/portal/company/* and /portal/approvals/*: a client company's own administrators and approvers."""
from __future__ import annotations

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import require_portal, token_authorizer
from chalicelib.api.views import order_json
from chalicelib.services import approvals, company

company_api = ApiBlueprint(__name__)


@company_api.route("/portal/company/contacts", methods=["GET"], authorizer=token_authorizer)
def company_contacts():
    admin = require_portal(company_api.current_request, "manage_company")
    return json_response(page([company.contact_json(c) for c in company.contacts(admin)], None))


@company_api.route("/portal/company/contacts", methods=["POST"], authorizer=token_authorizer)
def invite_colleague():
    admin = require_portal(company_api.current_request, "manage_company")
    body = validate(json_body(company_api.current_request), schemas.COMPANY_CONTACT)
    return json_response(company.contact_json(company.invite(admin, body)), status=201)


@company_api.route("/portal/company/contacts/{contact_id}", methods=["PATCH"], authorizer=token_authorizer)
def change_colleague(contact_id):
    admin = require_portal(company_api.current_request, "manage_company")
    body = validate(json_body(company_api.current_request), schemas.COMPANY_CONTACT_CHANGE)
    return json_response(company.contact_json(company.update(admin, contact_id, body)))


@company_api.route("/portal/approvals", methods=["GET"], authorizer=token_authorizer)
def approval_queue():
    approver = require_portal(company_api.current_request, "approve_orders")
    limit, cursor = page_params(company_api.current_request)
    orders, after = approvals.waiting(approver, limit=limit, after=decode_cursor(cursor))
    return json_response(page([{**order_json(o), "contact_email": o.contact_email} for o in orders],
                              encode_cursor(after)))


@company_api.route("/portal/approvals/{order_id}/approve", methods=["POST"], authorizer=token_authorizer)
def approve_order(order_id):
    approver = require_portal(company_api.current_request, "approve_orders")
    return json_response(order_json(approvals.approve(approver, order_id)))


@company_api.route("/portal/approvals/{order_id}/reject", methods=["POST"], authorizer=token_authorizer)
def reject_order(order_id):
    approver = require_portal(company_api.current_request, "approve_orders")
    body = validate(json_body(company_api.current_request), schemas.APPROVAL_REJECT)
    return json_response(order_json(approvals.reject(approver, order_id, (body.get("reason") or "").strip() or None)))
