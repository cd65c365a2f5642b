"""The supplier's staff accounts: the list, a change of role, disabling and enabling a login (admins only)."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.access import STAFF_ROLES
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services import audit
from chalicelib.services.clients import Viewer, set_login_enabled
from chalicelib.store import users as user_store
from chalicelib.store.models import UserItem


def staff_member(user_id: str) -> UserItem:
    user = user_store.find_user(user_id)
    if user is None or user.client_id is not None or user.role not in STAFF_ROLES:
        raise NotFound(f"No staff member {user_id}.", code="staff_not_found")
    return user


def staff_json(user: UserItem) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "status": "disabled" if user.status == "disabled" else "active",
            "last_login_at": user.last_login_at}


def list_staff() -> list[UserItem]:
    return sorted(user_store.all_staff(), key=lambda u: (u.name.lower(), u.email))


def _last_admin(user: UserItem) -> bool:
    admins = [u for u in user_store.all_staff() if u.role == "admin" and u.status != "disabled"]
    return user.role == "admin" and len(admins) <= 1


def update_staff(viewer: Viewer, user_id: str, fields: dict[str, Any]) -> UserItem:
    """Rename or change the role of a staff member; the last active admin keeps its role."""
    user = staff_member(user_id)
    before = {"name": user.name, "role": user.role}
    actions = []
    if "name" in fields:
        actions.append(UserItem.name.set(fields["name"].strip()))
    if "role" in fields and fields["role"] != user.role:
        if fields["role"] not in STAFF_ROLES:
            raise ValidationFailed("role is one of admin, agent, manager, warehouse, finance.", code="invalid_value", field="role")
        if _last_admin(user):
            raise Conflict("This is the last active admin; make someone else admin first.", code="last_admin", field="role")
        actions.append(UserItem.role.set(fields["role"]))
    if actions:
        user.update(actions=actions, condition=UserItem.pk.exists())
    after = {"name": user.name, "role": user.role}
    if before != after:
        audit.record((viewer.user_id, viewer.name), "staff.updated", "staff", user_id, *audit.changes(before, after))
    return user


def disable_staff(viewer: Viewer, user_id: str) -> UserItem:
    user = staff_member(user_id)
    if user.id == viewer.user_id:
        raise Conflict("You cannot disable your own account.", code="cannot_disable_self")
    if _last_admin(user):
        raise Conflict("This is the last active admin; make someone else admin first.", code="last_admin")
    return set_login_enabled(viewer, user, False, "staff")


def enable_staff(viewer: Viewer, user_id: str) -> UserItem:
    return set_login_enabled(viewer, staff_member(user_id), True, "staff")
