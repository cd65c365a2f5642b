"""Company self-registration: the public /register form (a pending registration) and the staff page that
approves it into a client with its first portal contact, or rejects it."""
from __future__ import annotations

from chalicelib.domain.access import Capability
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services import automation_registration as registration
from chalicelib.web.kit import (
    FORM, WebBlueprint, _csrf_ok, _csrf_token, _html, _render, form_fields, local_time, message_page, redirect,
    render_page, require_csrf, staff_session,
)

web_register = WebBlueprint(__name__)
REVIEW = "/agent/registrations"


def _form(values: dict[str, str] | None = None, error: dict[str, str] | None = None, status: int = 200):
    csrf, cookies = _csrf_token()
    return _html(_render("portal/register.html", values=values or {}, error=error or {}, csrf=csrf), status, cookies)


@web_register.route("/register", methods=["GET"])
def register_page():
    return _form()


@web_register.route("/register", methods=["POST"], content_types=FORM)
def register_submit():
    fields = form_fields()
    if not _csrf_ok(fields):
        return _form(fields, {"field": "company", "message": "Your session expired; please send the form again."}, 403)
    try:
        registration.register(fields)
    except ValidationFailed as exc:
        return _form(fields, {"field": exc.field or "company", "message": exc.message}, 422)
    return message_page("Thank you", "We received your registration. We review new accounts within one working day "
                        "and email you the portal sign-in as soon as yours is approved.", 200, links=[("/login", "Sign in")])


def _staff():
    return staff_session(Capability.MANAGE_CLIENTS)


@web_register.route(REVIEW, methods=["GET"])
def registrations_page():
    session = _staff()
    rows = [{**r, "at": local_time(r["at"])} for r in registration.pending()]
    return render_page("portal/register_review.html", session, registrations=rows)


def _decide(registration_id: str, approve: bool):
    session = _staff()
    require_csrf(form_fields())
    try:
        item = (registration.approve(registration_id, session.principal.name) if approve
                else registration.reject(registration_id))
    except (Conflict, NotFound, ValidationFailed) as exc:
        return redirect(REVIEW, session.cookies, flash={"error": exc.message})
    words = "approved: the contact has the portal invitation" if approve else "rejected"
    return redirect(REVIEW, session.cookies, flash={"notice": f"{item.company} {words}."})


@web_register.route(REVIEW + "/{registration_id}/approve", methods=["POST"], content_types=FORM)
def approve_registration(registration_id):
    return _decide(registration_id, True)


@web_register.route(REVIEW + "/{registration_id}/reject", methods=["POST"], content_types=FORM)
def reject_registration(registration_id):
    return _decide(registration_id, False)
