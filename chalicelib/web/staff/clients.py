"""The staff's client pages: the list (search, filters, paging), one client (orders, invoices, balance, credit,
contacts, addresses, group, the price lists that apply, its audit log), the edit form, and the contacts' actions.

Agents see their own clients only (another agent's client is "not found"); editing needs MANAGE_CLIENTS.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from chalicelib.api import schemas
from chalicelib.api.admin_clients import hex_cursor, read_hex_cursor
from chalicelib.api.http import validate
from chalicelib.api.views import invoice_json, order_json
from chalicelib.domain.access import PORTAL_PERMISSIONS, Capability, role_can, scoped_agent
from chalicelib.domain.errors import Conflict, DomainError, ValidationFailed
from chalicelib.domain.money import display_amount
from chalicelib.services import audit, clients
from chalicelib.services.pricing import supplier_today
from chalicelib.store import clients as client_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import price_lists as price_list_store
from chalicelib.store import users as user_store
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, form_fields, form_lists, local_time, query_params, redirect, render_page, require_csrf,
    staff_session,
)

web_clients = WebBlueprint(__name__)

LIST_PAGE = 50
RECENT = 10
PRICE_LIST_PAGE = "/agent/price-lists/{id}"  # the catalogue team's price list page
ADDRESS_FIELDS = ("label", "line1", "city", "postcode", "country", "county")
FIELD_WORDS = {
    "name": "Give the client's name.",
    "credit_limit": "The credit limit is an amount such as 5000 or 5000.00.",
    "payment_term_days": "Payment terms are a whole number of days from 0 to 365.",
    "currency": "The currency is a three-letter code such as EUR.",
    "vat_number": "The VAT number has at most 32 characters.",
    "phone": "A phone number has digits, spaces and + ( ) . - only.",
    "first_name": "Give the first name.",
    "last_name": "Give the last name.",
}


def viewing() -> Session:
    """A staff member who may see clients (the page's capability, kept out of the views)."""
    return staff_session(Capability.VIEW_CLIENTS)


def editing() -> Session:
    return staff_session(Capability.MANAGE_CLIENTS)


def may_edit(role: str) -> bool:
    return role_can(role, Capability.MANAGE_CLIENTS)


def may_see_invoices(role: str) -> bool:
    return role_can(role, Capability.VIEW_INVOICES)


def viewer(session: Session) -> clients.Viewer:
    p = session.principal
    return clients.Viewer(p.user_id, p.role, p.name)


def _agents() -> list[dict[str, str]]:
    return [{"id": u.id, "name": u.name, "role": u.role} for u in user_store.all_staff()
            if u.role in clients.AGENT_ROLES and u.active]


def _row(c: Any, groups: dict[str, str], agents: dict[str, str]) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "vat_number": c.vat_number, "group": groups.get(c.group_id or "", ""),
            "agent": agents.get(c.sale_agent_id or "", ""), "credit_limit": display_amount(c.credit_limit),
            "balance": display_amount(c.balance or Decimal(0)), "currency": c.currency,
            "status": client_store.client_status(c)}


# --- the list ------------------------------------------------------------------------------------

@web_clients.route("/agent/clients", methods=["GET"])
def clients_page():
    session = viewing()
    params = query_params()
    filters = {"q": (params.get("q") or "").strip()[:100], "group_id": params.get("group_id") or "",
               "agent_id": params.get("agent_id") or "", "status": params.get("status") or ""}
    error = None
    try:
        found, last = clients.list_clients(viewer(session), q=filters["q"] or None, group_id=filters["group_id"] or None,
                                           agent_id=filters["agent_id"] or None, status=filters["status"] or None,
                                           limit=LIST_PAGE, after=read_hex_cursor(params.get("cursor")))
    except ValidationFailed as exc:
        found, last, error = [], None, exc.message
    groups = {g.id: g.name for g in client_store.all_groups()}
    agents_list = _agents()
    agents = {a["id"]: a["name"] for a in agents_list}
    next_url = "/agent/clients?" + urlencode({**{k: v for k, v in filters.items() if v}, "cursor": hex_cursor(last)}) if last else None
    return render_page("agent/clients.html", session, rows=[_row(c, groups, agents) for c in found], filters=filters,
                       groups=groups, agents=agents_list, next_url=next_url, error=error,
                       scoped=scoped_agent(session.principal.role, session.principal.user_id) is not None,
                       may_edit=may_edit(session.principal.role))


# --- one client ----------------------------------------------------------------------------------

def _price_lists(client: Any) -> list[dict[str, Any]]:
    """The lists that may price this client, highest level first, with whether each applies today."""
    group = client_store.get_group(client.group_id) if client.group_id else None
    own = price_list_store.find_price_lists(i for i in (client.price_list_id, group.price_list_id if group else None) if i)
    today = supplier_today()
    rows = []
    if client.price_list_id in own:
        rows.append(("client", own[client.price_list_id]))
    if group and group.price_list_id in own:
        rows.append(("group", own[group.price_list_id]))
    for pl in price_list_store.global_lists():
        rows.append(("promotion" if pl.is_promotion else "default", pl))
    result = []
    for level, pl in rows:
        in_window = (pl.valid_from is None or pl.valid_from <= today) and (pl.valid_to is None or today <= pl.valid_to)
        applies = pl.currency == client.currency and in_window
        why = ("" if applies else ("in another currency" if pl.currency != client.currency else "outside its dates"))
        result.append({"level": level, "id": pl.id, "name": pl.name, "currency": pl.currency, "applies": applies,
                       "why": why, "href": PRICE_LIST_PAGE.format(id=pl.id)})
    return result


def _contact_row(u: Any) -> dict[str, Any]:
    perms = u.permissions.as_dict() if u.permissions else {}
    return {"id": u.id, "email": u.email, "name": u.name, "first_name": u.first_name or "", "last_name": u.last_name or "",
            "phone": u.phone or "", "permissions": perms, "granted": [p for p in PORTAL_PERMISSIONS if perms.get(p)],
            "status": clients.contact_status(u), "last_login": local_time(u.last_login_at) if u.last_login_at else None,
            "never_signed_in": u.last_login_at is None}


def audit_rows(entries: list[Any]) -> list[dict[str, Any]]:
    return [{"at": local_time(e.at), "actor": e.actor_name, "action": e.action, "entity_type": e.entity_type,
             "entity_id": e.entity_id,
             "changes": [{"field": f, "before": (e.before or {}).get(f), "after": (e.after or {}).get(f)} for f in e.changed_fields]}
            for e in entries]


def _client_page(session: Session, client_id: str, **extra: Any) -> Any:
    client = clients.client_in_scope(viewer(session), client_id)
    role = session.principal.role
    orders, _ = order_store.for_client(client_id, limit=RECENT, after=None)
    invoices = invoice_store.for_client(client_id, limit=RECENT, after=None, include_drafts=True)[0] \
        if may_see_invoices(role) else None
    group = client_store.get_group(client.group_id) if client.group_id else None
    agent = user_store.find_user(client.sale_agent_id) if client.sale_agent_id else None
    balance = client.balance or Decimal(0)
    entries, _ = audit.page(entity_type="client", entity_id=client_id, limit=20)
    view = {
        "id": client.id, "name": client.name, "vat_number": client.vat_number, "currency": client.currency,
        "credit_limit": display_amount(client.credit_limit), "balance": display_amount(balance),
        "headroom": display_amount(client.credit_limit - balance), "over_limit": balance > client.credit_limit,
        "payment_term_days": client.payment_term_days, "auto_approve": client.auto_approve,
        "status": client_store.client_status(client), "show_stock": client.show_stock,
        "group": {"id": group.id, "name": group.name} if group else None,
        "agent": agent.name if agent else None, "addresses": [a.as_dict() for a in client.addresses],
    }
    contacts = [_contact_row(u) for u in sorted(user_store.contacts_of(client_id), key=lambda u: u.email)]
    return render_page(
        "agent/client.html", session, client=view, contacts=contacts, price_lists=_price_lists(client),
        orders=[{**order_json(o, staff=True), "placed": local_time(o.created_at)} for o in orders],
        invoices=[invoice_json(i, staff=True) for i in invoices] if invoices is not None else None,
        audit=audit_rows(entries), may_edit=may_edit(role),
        global_show_stock=clients.settings_store.load().show_stock, **extra)


@web_clients.route("/agent/clients/{client_id}", methods=["GET"])
def client_page(client_id):
    return _client_page(viewing(), client_id)


# --- the edit form -------------------------------------------------------------------------------

def _form_values(client: Any) -> dict[str, Any]:
    return {"name": client.name, "vat_number": client.vat_number or "", "group_id": client.group_id or "",
            "sale_agent_id": client.sale_agent_id or "", "payment_term_days": str(client.payment_term_days),
            "credit_limit": display_amount(client.credit_limit), "currency": client.currency,
            "auto_approve": client.auto_approve, "portal_enabled": client.portal_enabled is not False,
            "show_stock": "" if client.show_stock is None else ("yes" if client.show_stock else "no"),
            "addresses": [{k: a.as_dict().get(k) or "" for k in ("id", *ADDRESS_FIELDS)} for a in client.addresses]}


def _edit_page(session: Session, client: Any, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    rows = list(values["addresses"]) + [dict.fromkeys(("id", *ADDRESS_FIELDS), "")]
    return render_page("agent/client_edit.html", session, status=status, client={"id": client.id, "name": client.name},
                       values=values, addresses=rows, errors=errors, groups=client_store.all_groups(), agents=_agents())


@web_clients.route("/agent/clients/{client_id}/edit", methods=["GET"])
def client_edit_page(client_id):
    session = editing()
    client = clients.client_in_scope(viewer(session), client_id)
    return _edit_page(session, client, _form_values(client), {})


def _posted(form: dict[str, str], lists: dict[str, list[str]]) -> dict[str, Any]:
    """What the form sent, as typed (shown again after a refusal)."""
    columns = {k: lists.get(f"address_{k}", []) for k in ("id", *ADDRESS_FIELDS)}
    addresses = [{k: (columns[k][i] if i < len(columns[k]) else "").strip() for k in columns}
                 for i in range(len(columns["label"]))]
    return {"name": form.get("name", ""), "vat_number": form.get("vat_number", ""), "group_id": form.get("group_id", ""),
            "sale_agent_id": form.get("sale_agent_id", ""), "payment_term_days": form.get("payment_term_days", "").strip(),
            "credit_limit": form.get("credit_limit", "").strip().replace(",", ""), "currency": form.get("currency", "").strip().upper(),
            "auto_approve": form.get("auto_approve") == "on", "portal_enabled": form.get("portal_enabled") == "on",
            "show_stock": form.get("show_stock", ""), "addresses": [a for a in addresses if any(a[k] for k in ADDRESS_FIELDS)]}


def _patch_body(values: dict[str, Any]) -> dict[str, Any]:
    days = values["payment_term_days"]
    body: dict[str, Any] = {
        "name": values["name"].strip(), "vat_number": values["vat_number"].strip() or None,
        "group_id": values["group_id"] or None, "sale_agent_id": values["sale_agent_id"] or None,
        "payment_term_days": int(days) if days.isdigit() else days, "credit_limit": values["credit_limit"],
        "currency": values["currency"], "auto_approve": values["auto_approve"], "portal_enabled": values["portal_enabled"],
        "show_stock": {"yes": True, "no": False}.get(values["show_stock"]),
        "addresses": [{**{k: a[k] for k in ("label", "line1", "city", "postcode")}, "country": a["country"].upper(),
                       "county": a["county"].upper() or None, **({"id": a["id"]} if a["id"] else {})}
                      for a in values["addresses"]],
    }
    return validate(body, schemas.CLIENT_PATCH)


def field_message(exc: DomainError) -> tuple[str, str]:
    """(form field, words) for a refusal: schema refusals get the form's own hint."""
    name = exc.field or "form"
    key = name.rsplit(".", 1)[-1].split("[")[0]
    if exc.code in ("invalid_value", "missing_field") and key in FIELD_WORDS:
        return name, FIELD_WORDS[key]
    return name, exc.message


@web_clients.route("/agent/clients/{client_id}/edit", methods=["POST"], content_types=FORM)
def client_edit_save(client_id):
    session = editing()
    form = form_fields()
    require_csrf(form)
    client = clients.client_in_scope(viewer(session), client_id)
    values = _posted(form, form_lists())
    errors: dict[str, str] = {}
    try:
        clients.update_client(viewer(session), client_id, _patch_body(values))
    except (ValidationFailed, Conflict) as exc:
        field, words = field_message(exc)
        errors[field] = words
        return _edit_page(session, client, values, errors, status=exc.status)
    return redirect(f"/agent/clients/{client_id}", session.cookies, flash={"notice": "Client saved."})


# --- contacts ------------------------------------------------------------------------------------

def _contact_action(contact_id: str, act: Any, notice: str) -> Any:
    session = editing()
    form = form_fields()
    require_csrf(form)
    contact = clients.contact_in_scope(viewer(session), contact_id)
    try:
        act(viewer(session), contact_id)
    except Conflict as exc:
        return redirect(f"/agent/clients/{contact.client_id}#contacts", session.cookies, flash={"error": exc.message})
    return redirect(f"/agent/clients/{contact.client_id}#contacts", session.cookies, flash={"notice": notice.format(email=contact.email)})


@web_clients.route("/agent/contacts/{contact_id}/disable", methods=["POST"], content_types=FORM)
def contact_disable(contact_id):
    return _contact_action(contact_id, clients.disable_contact, "{email} is disabled: signed out at the next page.")


@web_clients.route("/agent/contacts/{contact_id}/enable", methods=["POST"], content_types=FORM)
def contact_enable(contact_id):
    return _contact_action(contact_id, clients.enable_contact, "{email} may sign in again.")


@web_clients.route("/agent/contacts/{contact_id}/reset-password", methods=["POST"], content_types=FORM)
def contact_reset(contact_id):
    return _contact_action(contact_id, clients.reset_password, "{email} was emailed a code to set a new password.")


@web_clients.route("/agent/contacts/{contact_id}/resend-invitation", methods=["POST"], content_types=FORM)
def contact_invite(contact_id):
    return _contact_action(contact_id, clients.resend_invitation, "{email} was sent the invitation again.")


def _contact_body(body: dict[str, Any]) -> dict[str, Any]:
    return validate(body, schemas.CONTACT_PATCH)


@web_clients.route("/agent/contacts/{contact_id}", methods=["POST"], content_types=FORM)
def contact_save(contact_id):
    """The contact's name, phone and permissions (the form on the client page)."""
    session = editing()
    form = form_fields()
    require_csrf(form)
    contact = clients.contact_in_scope(viewer(session), contact_id)
    chosen = set(form_lists().get("permission", []))
    body = {"first_name": form.get("first_name", "").strip(), "last_name": form.get("last_name", "").strip(),
            "phone": form.get("phone", "").strip() or None, "permissions": {p: p in chosen for p in PORTAL_PERMISSIONS}}
    try:
        clients.update_contact(viewer(session), contact_id, _contact_body(body))
    except ValidationFailed as exc:
        field, words = field_message(exc)
        return _client_page(session, contact.client_id, status=422, contact_errors={contact_id: {field: words}},
                            contact_values={contact_id: {**body, "permissions": body["permissions"]}})
    return redirect(f"/agent/clients/{contact.client_id}#contacts", session.cookies,
                    flash={"notice": f"{contact.email} saved."})


