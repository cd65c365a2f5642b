"""The admin's staff page: everyone on the supplier's side, their role, disabling and enabling a login."""
from __future__ import annotations

from chalicelib.domain.access import STAFF_ROLES, Capability
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.services import staff
from chalicelib.web.kit import Session, FORM, WebBlueprint, form_fields, local_time, redirect, render_page, require_csrf, staff_session
from chalicelib.web.staff.clients import viewer

web_staff = WebBlueprint(__name__)


def _admin() -> Session:
    """An admin (the capability kept out of the views, as the API's table reads them)."""
    return staff_session(Capability.MANAGE_STAFF)


@web_staff.route("/agent/staff", methods=["GET"])
def staff_page():
    session = _admin()
    rows = [{**staff.staff_json(u), "last_login": local_time(u.last_login_at) if u.last_login_at else None,
             "is_me": u.id == session.principal.user_id} for u in staff.list_staff()]
    return render_page("agent/staff.html", session, rows=rows, roles=STAFF_ROLES)


def _act(user_id: str, act, notice: str):
    session = _admin()
    form = form_fields()
    require_csrf(form)
    try:
        user = act(session, form)
    except (Conflict, ValidationFailed) as exc:
        return redirect("/agent/staff", session.cookies, flash={"error": exc.message})
    return redirect("/agent/staff", session.cookies, flash={"notice": notice.format(name=user.name)})


@web_staff.route("/agent/staff/{user_id}/role", methods=["POST"], content_types=FORM)
def staff_role(user_id):
    return _act(user_id, lambda s, f: staff.update_staff(viewer(s), user_id, {"role": f.get("role", "")}),
                "{name}'s role is saved.")


@web_staff.route("/agent/staff/{user_id}/disable", methods=["POST"], content_types=FORM)
def staff_disable(user_id):
    return _act(user_id, lambda s, f: staff.disable_staff(viewer(s), user_id), "{name} can no longer sign in.")


@web_staff.route("/agent/staff/{user_id}/enable", methods=["POST"], content_types=FORM)
def staff_enable(user_id):
    return _act(user_id, lambda s, f: staff.enable_staff(viewer(s), user_id), "{name} may sign in again.")
