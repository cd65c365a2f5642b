"""The supplier's master data: products, stock, client groups, clients and their portal contacts, staff."""
from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from chalicelib.domain.access import BUYER, PORTAL_PERMISSIONS, has_portal_access
from chalicelib.domain.addresses import check_address
from chalicelib.domain.errors import ValidationFailed, referenced
from chalicelib.services import accounts, events
from chalicelib.store import clients as client_store
from chalicelib.store import products as product_store
from chalicelib.store import users as user_store
from chalicelib.store.models import AddressMap, ClientGroupItem, ClientItem, PermissionsMap, ProductItem, UserItem


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def create_product(fields: dict[str, Any]) -> ProductItem:
    product = new_product(fields)
    product_store.create_product(product)
    return product


def import_products(rows: list[dict[str, Any]]) -> int:
    """Bulk upsert of products (ERP import); returns how many were written."""
    products = [new_product(row) for row in rows]
    product_store.import_products(products)
    return len(products)


def new_product(fields: dict[str, Any]) -> ProductItem:
    min_qty, max_qty = fields.get("min_qty"), fields.get("max_qty")
    if min_qty is not None and max_qty is not None and min_qty > max_qty:
        raise ValidationFailed("min_qty cannot be above max_qty.", code="invalid_quantity_range", field="max_qty")
    return ProductItem(
        sku=fields["sku"].strip(),
        name=fields["name"].strip(),
        category=fields["category"].strip(),
        unit=fields["unit"].strip(),
        base_price=fields["base_price"],
        currency=fields["currency"],
        vat_rate=fields["vat_rate"],
        min_qty=min_qty,
        max_qty=max_qty,
        portal_visible=fields["portal_visible"],
        qty_on_hand=fields.get("qty_on_hand", 0),
        qty_reserved=0,
    )


def set_stock(sku: str, qty_on_hand: int) -> ProductItem:
    product_store.set_stock(sku, qty_on_hand)
    return product_store.get_product(sku)


def create_group(name: str) -> ClientGroupItem:
    group = ClientGroupItem(id=new_id("grp"), name=name.strip())
    client_store.create_group(group)
    return group


def create_client(fields: dict[str, Any]) -> ClientItem:
    if fields.get("group_id"):
        referenced(lambda: client_store.get_group(fields["group_id"]), field="group_id", code="unknown_group")
    agent_id = fields.get("sale_agent_id")
    if agent_id:
        agent = user_store.find_user(agent_id)
        if agent is None or agent.role not in ("agent", "manager", "admin"):
            raise ValidationFailed("sale_agent_id is not a sales agent.", code="unknown_agent", field="sale_agent_id")
    client = ClientItem(
        id=new_id("cli"),
        name=fields["name"].strip(),
        vat_number=(fields.get("vat_number") or "").strip() or None,
        group_id=fields.get("group_id"),
        payment_term_days=fields["payment_term_days"],
        credit_limit=fields["credit_limit"],
        currency=fields["currency"],
        sale_agent_id=agent_id,
        auto_approve=bool(fields.get("auto_approve", False)),
        addresses=[_address(i, a) for i, a in enumerate(fields.get("addresses", []))],
        balance=Decimal("0"),
    )
    client_store.create_client(client)
    events.announce("client.created", client.id, quiet=True, client_id=client.id, name=client.name, group_id=client.group_id)
    return client


def permissions_map(raw: dict[str, bool]) -> PermissionsMap:
    return PermissionsMap(**{p: bool(raw.get(p, False)) for p in PORTAL_PERMISSIONS})


def create_contact(client_id: str, fields: dict[str, Any], inviter: str) -> UserItem:
    client = client_store.get_client(client_id)
    first, last = fields["first_name"].strip(), fields["last_name"].strip()
    contact = UserItem(
        email=fields["email"].strip().lower(),
        role=BUYER,
        name=f"{first} {last}",
        first_name=first,
        last_name=last,
        client_id=client.id,
        permissions=permissions_map(fields["permissions"]),
        client_disabled=True if client.portal_enabled is False else None,
    )
    return accounts.open_account(contact, temporary=fields.get("temporary_password"), inviter=inviter, client_name=client.name,
                                 invite=has_portal_access(fields["permissions"]))


def set_contact_permissions(contact_id: str, raw: dict[str, bool]) -> UserItem:
    contact = user_store.get_contact(contact_id)
    merged = {**(contact.permissions.as_dict() if contact.permissions else {}), **raw}
    user_store.set_permissions(contact, permissions_map(merged))
    return user_store.get_contact(contact_id)


def create_staff(fields: dict[str, Any], inviter: str) -> UserItem:
    staff = UserItem(email=fields["email"].strip().lower(), role=fields["role"], name=fields["name"].strip())
    return accounts.open_account(staff, temporary=fields.get("temporary_password"), inviter=inviter)


def _address(index: int, given: dict[str, Any]) -> AddressMap:
    """A client address; the county (ISO 3166-2) checked when given, the Bucharest sector with it (domain/addresses.py)."""
    values = {k: given[k].strip() for k in ("label", "line1", "city", "postcode", "country")}
    if given.get("county"):
        checked = check_address(country=values["country"], county=given["county"], city=values["city"],
                                field=f"addresses[{index}].county")
        values["county"], values["city"] = checked.county, checked.city
    return AddressMap(id=f"addr_{index + 1}", **values)


def prepare_stage(admin_email: str, admin_name: str) -> list[str]:
    """What a new deployed stage needs before the supplier's team can use it (infra/setup_stage.py): its first
    admin, invited by email with a temporary password, and the default automation rules (editable
    notifications; services/automation.DEFAULT_RULES). Safe to run again: a stage that has an active admin gets
    no other one, and installed rules are not installed twice. Returns what was done, one line each."""
    from chalicelib.services import automation  # noqa: PLC0415 - rules and workflows, for this command alone

    done = []
    admins = [u for u in user_store.all_staff() if u.role == "admin" and u.status != "disabled"]
    if admins:
        done.append(f"admin: {', '.join(sorted(u.email for u in admins))} already active, none added")
    else:
        admin = create_staff({"email": admin_email, "name": admin_name, "role": "admin"}, inviter="Stage setup")
        done.append(f"admin: {admin.email} invited (temporary password by email)")
    installed = automation.install_default_rules()
    done.append(f"automation: {len(installed)} default rule(s) installed" if installed
                else "automation: default rules already installed")
    return done
