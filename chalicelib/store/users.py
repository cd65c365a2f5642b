"""Logins: staff members and client contacts, keyed by their Cognito user id (`sub`)."""
from __future__ import annotations

from chalicelib.domain.errors import NotFound
from chalicelib.store.models import PermissionsMap, UserItem, client_pk, user_pk

USER_SK = "USER"


def save_new_user(user: UserItem) -> None:
    user.pk, user.sk = user_pk(user.id), USER_SK
    if user.client_id:
        user.gsi1pk, user.gsi1sk = client_pk(user.client_id), f"CONTACT#{user.email}"
    else:
        user.gsi1pk, user.gsi1sk = "STAFF", user.email
    user.save(condition=UserItem.pk.does_not_exist())


def find_user(user_id: str) -> UserItem | None:
    try:
        return UserItem.get(user_pk(user_id), USER_SK)
    except UserItem.DoesNotExist:
        return None


def get_contact(contact_id: str) -> UserItem:
    user = find_user(contact_id)
    if user is None or user.client_id is None:
        raise NotFound(f"No contact {contact_id}.", code="contact_not_found")
    return user


def set_permissions(contact: UserItem, permissions: PermissionsMap) -> None:
    contact.update(actions=[UserItem.permissions.set(permissions)], condition=UserItem.pk.exists())


def contacts_of(client_id: str) -> list[UserItem]:
    return list(UserItem.people.query(client_pk(client_id), UserItem.gsi1sk.startswith("CONTACT#")))


def staff_with_roles(roles: tuple[str, ...]) -> list[UserItem]:
    """Staff members having one of `roles` (a query of the staff partition, not a scan)."""
    return [u for u in UserItem.people.query("STAFF") if u.role in roles]


def set_client_disabled(contact: UserItem, disabled: bool) -> None:
    """Mark a contact of a client whose portal was switched off (or on again): its sign-ins and tokens follow."""
    action = UserItem.client_disabled.set(True) if disabled else UserItem.client_disabled.remove()
    contact.update(actions=[action], condition=UserItem.pk.exists())


def all_staff() -> list[UserItem]:
    """Every staff member by email (one Query of the staff partition; a supplier has tens)."""
    return list(UserItem.people.query("STAFF"))
