"""The back office's people: the client list and its edits, contacts' accounts, staff, sales rep scoping,
discount limits and the audit log (API.md "Back office")."""
from __future__ import annotations

from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.services import audit, review
from chalicelib.store import orders as order_store
from infra.local.provision import ACCOUNT_ID

HQ = {"label": "HQ", "line1": "Str. Lunga 1", "city": "Bucuresti, Sector 1", "postcode": "010011", "country": "RO", "county": "RO-B"}


def patch(api, path, body, token):
    return api.call("PATCH", path, body, token)


def mails_to(email):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if email in m.destinations.get("ToAddresses", [])]


def names(reply):
    assert reply.status == 200, reply.text
    return [c["name"] for c in reply.body["items"]]


# --- the client list ------------------------------------------------------------------------------

def test_clients_are_listed_by_name_and_found_by_name_word_or_vat_number(api, world):
    admin = world.admin_token()
    world.client("Nordic Installers AB", vat_number="SE556677889901")
    world.client("Acme Distribution SRL", vat_number="RO12345678")
    world.client("Ștefan & Fiii Electric")
    assert names(api.get("/admin/clients", admin)) == ["Acme Distribution SRL", "Nordic Installers AB", "Ștefan & Fiii Electric"]
    assert names(api.get("/admin/clients?q=instal", admin)) == ["Nordic Installers AB"]
    assert names(api.get("/admin/clients?q=stefan", admin)) == ["Ștefan & Fiii Electric"]  # diacritics folded
    assert names(api.get("/admin/clients?q=RO12345678", admin)) == ["Acme Distribution SRL"]
    assert names(api.get("/admin/clients?q=12345678", admin)) == ["Acme Distribution SRL"]  # without the country prefix
    assert names(api.get("/admin/clients?q=acme%20dist", admin)) == ["Acme Distribution SRL"]
    assert names(api.get("/admin/clients?q=acme%20nordic", admin)) == []
    row = api.get("/admin/clients?q=acme", admin).body["items"][0]
    assert set(row) >= {"id", "name", "vat_number", "group_id", "sale_agent_id", "credit_limit", "balance", "status"}
    assert row["status"] == "active" and row["balance"] == "0.00"


def test_client_list_pages_with_a_cursor_and_filters_by_group_agent_and_status(api, world):
    admin = world.admin_token()
    agent_id, _ = world.staff("agent")
    group = world.group("Installers")
    for n in range(5):
        world.client(f"Client {n:02d}", group_id=group if n % 2 == 0 else None, sale_agent_id=agent_id if n < 2 else None)
    first = api.get("/admin/clients?limit=2", admin).body
    assert [c["name"] for c in first["items"]] == ["Client 00", "Client 01"] and first["next_cursor"]
    second = api.get(f"/admin/clients?limit=2&cursor={first['next_cursor']}", admin).body
    third = api.get(f"/admin/clients?limit=2&cursor={second['next_cursor']}", admin).body
    assert [c["name"] for c in second["items"] + third["items"]] == ["Client 02", "Client 03", "Client 04"]
    assert third["next_cursor"] is None
    assert names(api.get(f"/admin/clients?group_id={group}", admin)) == ["Client 00", "Client 02", "Client 04"]
    assert names(api.get(f"/admin/clients?agent_id={agent_id}", admin)) == ["Client 00", "Client 01"]
    assert names(api.get(f"/admin/clients?agent_id={agent_id}&group_id={group}", admin)) == ["Client 00"]
    assert names(api.get("/admin/clients?status=disabled", admin)) == []
    bad = api.get("/admin/clients?status=gone", admin)
    assert bad.status == 422 and bad.error["field"] == "status"
    assert api.get("/admin/clients?cursor=bm90LWhleA", admin).error["code"] == "invalid_cursor"


def test_patch_changes_only_the_fields_sent_and_moves_the_client_between_list_filters(api, world):
    admin = world.admin_token()
    agent_id, _ = world.staff("agent")
    group = world.group("Resellers")
    client = world.client("Corner Electronics", group_id=group)
    reply = patch(api, f"/admin/clients/{client}", {"credit_limit": "2500.00", "sale_agent_id": agent_id, "group_id": None,
                                                     "payment_term_days": 45, "show_stock": False, "addresses": [HQ]}, admin)
    assert reply.status == 200, reply.text
    body = reply.body
    assert (body["credit_limit"], body["sale_agent_id"], body["group_id"], body["payment_term_days"], body["show_stock"]) == (
        "2500.00", agent_id, None, 45, False)
    assert body["addresses"][0]["county"] == "RO-B" and body["addresses"][0]["id"] == "addr_1"
    assert body["name"] == "Corner Electronics" and body["currency"] == "EUR"
    assert names(api.get(f"/admin/clients?group_id={group}", admin)) == []
    assert names(api.get(f"/admin/clients?agent_id={agent_id}", admin)) == ["Corner Electronics"]
    renamed = patch(api, f"/admin/clients/{client}", {"name": "Corner Electronics Group"}, admin)
    assert renamed.body["name"] == "Corner Electronics Group"
    assert names(api.get("/admin/clients?q=group", admin)) == ["Corner Electronics Group"]
    assert names(api.get("/admin/clients", admin)) == ["Corner Electronics Group"]  # the old name's entry is gone


def test_patch_refuses_bad_input_field_by_field_and_changes_nothing(api, world):
    admin = world.admin_token()
    client = world.client("Acme SRL")
    warehouse_id, _ = world.staff("warehouse")
    cases = [
        ({"credit_limit": "-5"}, "credit_limit", "invalid_value"),
        ({"credit_limit": 100}, "credit_limit", "invalid_value"),
        ({"payment_term_days": 400}, "payment_term_days", "invalid_value"),
        ({"group_id": "grp_missing"}, "group_id", "unknown_group"),
        ({"sale_agent_id": warehouse_id}, "sale_agent_id", "unknown_agent"),
        ({"addresses": [{**HQ, "county": "Atlantis"}]}, "addresses[0].county", "invalid_county"),  # names are taken ("Bucharest"), unknown ones not
        ({"addresses": [{**HQ, "county": "BG-22"}]}, "addresses[0].county", "invalid_county"),
        ({"colour": "red"}, "colour", "unknown_field"),
        ({"name": "  "}, "name", "invalid_value"),
    ]
    for body, field, code in cases:
        reply = patch(api, f"/admin/clients/{client}", {"payment_term_days": 60, **body}, admin)
        assert reply.status == 422, (body, reply.text)
        assert (reply.error["field"], reply.error["code"]) == (field, code), (body, reply.error)
    assert api.get(f"/admin/clients/{client}", admin).body["payment_term_days"] == 30
    assert patch(api, "/admin/clients/cli_nobody", {"name": "X"}, admin).status == 404
    agent = world.staff("agent")[1]
    assert patch(api, f"/admin/clients/{client}", {"name": "X"}, agent).status == 403


def test_a_disabled_client_refuses_its_contacts_logins_and_tokens(api, world):
    admin = world.admin_token()
    client = world.client("Acme SRL")
    contact_id, buyer = world.buyer(client)
    assert api.get("/portal/me", buyer).status == 200
    assert patch(api, f"/admin/clients/{client}", {"portal_enabled": False}, admin).body["status"] == "disabled"
    refused = api.get("/portal/me", buyer)
    assert refused.status == 401 and refused.error["code"] == "account_disabled"
    email = api.get(f"/admin/contacts/{contact_id}", admin).body["email"]
    login = api.post("/auth/login", {"email": email, "password": "Test-Password-123"})
    assert login.status == 401
    assert names(api.get("/admin/clients?status=disabled", admin)) == ["Acme SRL"]
    patch(api, f"/admin/clients/{client}", {"portal_enabled": True}, admin)
    assert api.get("/portal/me", buyer).status == 200


def test_stock_shows_only_when_the_client_or_global_setting_and_the_permission_allow(api, world):
    admin = world.admin_token()
    world.product("CAB-001", qty_on_hand=7)
    client = world.client("Acme SRL")
    _, with_stock = world.buyer(client)
    _, without = world.buyer(client, place_orders=True)

    def shown(token):
        return "qty_available" in api.get("/portal/catalogue/CAB-001", token).body

    assert shown(with_stock) and not shown(without)
    assert api.put("/admin/settings", {"show_stock": False}, admin).status == 200
    assert not shown(with_stock)
    patch(api, f"/admin/clients/{client}", {"show_stock": True}, admin)  # the client's own setting wins
    assert shown(with_stock) and not shown(without)
    patch(api, f"/admin/clients/{client}", {"show_stock": None}, admin)
    assert not shown(with_stock)


# --- contacts ------------------------------------------------------------------------------------

def test_contacts_list_with_last_login_and_edits(api, world):
    admin = world.admin_token()
    client = world.client("Acme SRL")
    contact_id, _ = world.buyer(client)
    contacts = api.get(f"/admin/clients/{client}/contacts", admin).body["items"]
    assert len(contacts) == 1 and contacts[0]["status"] == "active" and contacts[0]["last_login_at"]
    reply = patch(api, f"/admin/contacts/{contact_id}", {"first_name": "Ioana", "last_name": "Pop", "phone": "+40 721 000 111",
                                                          "permissions": {"view_stock": False}}, admin)
    assert reply.status == 200, reply.text
    assert (reply.body["first_name"], reply.body["phone"], reply.body["permissions"]["view_stock"],
            reply.body["permissions"]["place_orders"]) == ("Ioana", "+40 721 000 111", False, True)
    bad = patch(api, f"/admin/contacts/{contact_id}", {"phone": "call me"}, admin)
    assert bad.status == 422 and bad.error["field"] == "phone"


def test_a_disabled_contact_cannot_sign_in_and_its_tokens_stop_at_the_next_request(api, world):
    admin = world.admin_token()
    client = world.client("Acme SRL")
    contact_id, buyer = world.buyer(client)
    email = api.get(f"/admin/contacts/{contact_id}", admin).body["email"]
    assert api.get("/portal/orders", buyer).status == 200
    disabled = api.post(f"/admin/contacts/{contact_id}/disable", None, admin)
    assert disabled.status == 200 and disabled.body["status"] == "disabled"
    stopped = api.get("/portal/orders", buyer)
    assert stopped.status == 401 and stopped.error["code"] == "account_disabled"
    assert api.post("/auth/login", {"email": email, "password": "Test-Password-123"}).status == 401
    assert api.post(f"/admin/contacts/{contact_id}/enable", None, admin).body["status"] == "active"
    assert api.post("/auth/login", {"email": email, "password": "Test-Password-123"}).status == 200
    assert api.post("/admin/contacts/usr_nobody/disable", None, admin).status == 404


def test_password_reset_is_accepted_and_a_contact_without_permissions_gets_no_invitation(api, world):
    admin = world.admin_token()
    client = world.client("Acme SRL")
    contact_id, _ = world.buyer(client)
    assert api.post(f"/admin/contacts/{contact_id}/reset-password", None, admin).status == 202
    silent = api.post(f"/admin/clients/{client}/contacts", {"email": "later@acme.example", "first_name": "Later",
                                                             "last_name": "Person", "permissions": {}}, admin)
    assert silent.status == 201 and mails_to("later@acme.example") == []
    refused = api.post(f"/admin/contacts/{silent.body['id']}/resend-invitation", None, admin)
    assert refused.status == 409 and refused.error["code"] == "no_portal_access"
    patch(api, f"/admin/contacts/{silent.body['id']}", {"permissions": {"orders": True}}, admin)
    assert api.post(f"/admin/contacts/{silent.body['id']}/resend-invitation", None, admin).status == 202
    assert len(mails_to("later@acme.example")) == 1


# --- staff ---------------------------------------------------------------------------------------

def test_admin_lists_staff_changes_a_role_and_disables_a_login(api, world):
    admin_id, admin = world.staff("admin")
    agent_id, agent = world.staff("agent")
    listed = api.get("/admin/staff", admin).body["items"]
    assert {s["id"]: s["role"] for s in listed}[agent_id] == "agent"
    assert patch(api, f"/admin/staff/{agent_id}", {"role": "manager"}, admin).body["role"] == "manager"
    assert patch(api, f"/admin/staff/{agent_id}", {"role": "boss"}, admin).status == 422
    assert patch(api, f"/admin/staff/{admin_id}", {"role": "agent"}, admin).error["code"] == "last_admin"
    assert api.post(f"/admin/staff/{admin_id}/disable", None, admin).status == 409
    assert api.post(f"/admin/staff/{agent_id}/disable", None, admin).status == 200
    assert api.get("/admin/orders", agent).status == 401
    assert api.get("/admin/staff", world.staff("manager")[1]).status == 403


# --- sales rep scoping and discounts -------------------------------------------------------------

def _draft(api, world, workflows, agent_id):
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=100)
    client = world.client("Acme SRL", sale_agent_id=agent_id, addresses=[HQ])
    _, buyer = world.buyer(client)
    placed = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 10}]}, buyer)
    assert placed.status == 201, placed.text
    order = placed.body
    workflows.until(lambda: order_store.get(order["id"]).review_task_token, what="the agent's wait")
    return client, order


def test_an_agent_sees_and_decides_only_its_own_clients_orders(api, world, workflows):
    owner_id, owner = world.staff("agent")
    _, other = world.staff("agent")
    manager = world.staff("manager")[1]
    client, order = _draft(api, world, workflows, owner_id)
    assert [o["id"] for o in api.get("/admin/orders?status=draft", other).body["items"]] == []
    assert [o["id"] for o in api.get("/admin/orders?status=draft", owner).body["items"]] == [order["id"]]
    for reply in (api.get(f"/admin/orders/{order['id']}", other),
                  api.post(f"/admin/orders/{order['id']}/approve", {"discount_percent": "50", "reason": "friend"}, other),
                  api.post(f"/admin/orders/{order['id']}/reject", {"reason": "no"}, other),
                  api.get(f"/admin/clients/{client}/contacts", other)):
        assert reply.status == 404, reply.text
    assert names(api.get("/admin/clients", other)) == [] and names(api.get("/admin/clients", owner)) == ["Acme SRL"]
    assert api.get(f"/admin/orders/{order['id']}", manager).status == 200
    assert order_store.get(order["id"]).review == "pending"


def test_an_agent_cannot_make_or_read_proposals_of_another_agents_client(api, world):
    owner_id, owner = world.staff("agent")
    _, other = world.staff("agent")
    world.product("CAB-001", base_price=Decimal("10.00"))
    client = world.client("Acme SRL", sale_agent_id=owner_id, addresses=[HQ])
    made = api.post("/admin/proposals", {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 3}]}, owner)
    assert made.status == 201, made.text
    assert api.post("/admin/proposals", {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 3}]}, other).status == 404
    assert api.get(f"/admin/proposals?client_id={client}", other).status == 404
    assert api.get(f"/admin/proposals/{made.body['id']}", other).status == 404
    assert api.get(f"/admin/invoices?client_id={client}", other).status == 404
    assert api.get(f"/admin/proposals/{made.body['id']}", owner).status == 200


def test_discounts_need_a_reason_and_stay_within_the_deciders_limit(api, world, workflows):
    agent_id, agent = world.staff("agent")
    _, order = _draft(api, world, workflows, agent_id)
    url = f"/admin/orders/{order['id']}/approve"
    no_reason = api.post(url, {"discount_percent": "5"}, agent)
    assert no_reason.status == 422 and (no_reason.error["code"], no_reason.error["field"]) == ("reason_required", "reason")
    too_much = api.post(url, {"discount_percent": "50", "reason": "loyal client"}, agent)
    assert too_much.status == 422 and too_much.error["code"] == "discount_above_limit" and "10" in too_much.error["message"]
    assert api.post(url, {"discount_percent": "99.99", "reason": "oops"}, world.staff("manager")[1]).status == 422
    approved = api.post(url, {"discount_percent": "10", "reason": "Volume this quarter"}, agent)
    assert approved.status == 200 and approved.body["total"] == "107.10"
    entries = audit.page(entity_type="order", entity_id=order["id"])[0]
    assert entries[0].action == "order.approved" and entries[0].after["reason"] == "Volume this quarter"


def test_discount_limits_are_settings(api, world, workflows):
    admin = world.admin_token()
    agent_id, agent = world.staff("agent")
    _, order = _draft(api, world, workflows, agent_id)
    saved = api.put("/admin/settings", {"discount_limits": {"agent": "0"}}, admin)
    assert saved.status == 200 and saved.body["discount_limits"] == {"agent": "0", "manager": "30", "admin": None}
    refused = api.post(f"/admin/orders/{order['id']}/approve", {"discount_percent": "1", "reason": "x"}, agent)
    assert refused.status == 422 and "may not give discounts" in refused.error["message"]


def test_reassigning_the_client_moves_its_open_orders_to_the_new_agent(api, world, workflows):
    admin = world.admin_token()
    first_id, first = world.staff("agent")
    second_id, second = world.staff("agent")
    client, order = _draft(api, world, workflows, first_id)
    patch(api, f"/admin/clients/{client}", {"sale_agent_id": second_id}, admin)
    assert api.get(f"/admin/orders/{order['id']}", first).status == 404
    assert [o["id"] for o in api.get("/admin/orders?status=draft", second).body["items"]] == [order["id"]]


def test_an_emailed_approve_link_stops_working_when_the_client_gets_another_agent(api, world, workflows):
    admin = world.admin_token()
    first_id, _ = world.staff("agent")
    second_id, _ = world.staff("agent")
    client, order = _draft(api, world, workflows, first_id)
    link = review.review_link(order_store.get(order["id"]), "approve", first_id)
    path = "/review-links/" + link.rsplit("/review-links/", 1)[1]
    assert api.call("GET", path, headers={"Accept": "text/html"}).status == 200
    patch(api, f"/admin/clients/{client}", {"sale_agent_id": second_id}, admin)
    gone = api.call("GET", path, headers={"Accept": "text/html"})
    assert gone.status == 404 and "another sales agent" in gone.text
    tasks = [t.assignee_id for t in order_store.tasks_for(first_id)]
    assert tasks  # the review task went to the client's agent of the day


# --- the audit log -------------------------------------------------------------------------------

def test_staff_changes_are_in_the_audit_log_with_before_and_after(api, world):
    admin = world.admin_token()
    client = world.client("Acme SRL", credit_limit=Decimal("5000"))
    patch(api, f"/admin/clients/{client}", {"credit_limit": "8000.00"}, admin)
    patch(api, f"/admin/clients/{client}", {"credit_limit": "8000.00"}, admin)  # no change, no entry
    api.put("/admin/settings", {"review_timeout_hours": 12}, admin)
    log = api.get(f"/admin/audit?entity_type=client&entity_id={client}", admin).body
    assert len(log["items"]) == 1  # the world's builder creates clients without the API: no "created" entry
    entry = log["items"][0]
    assert (entry["action"], entry["before"], entry["after"]) == ("client.updated", {"credit_limit": "5000.00"},
                                                                  {"credit_limit": "8000.00"})
    assert entry["actor"] and entry["at"].endswith("Z")
    everything = api.get("/admin/audit?limit=1", admin).body
    assert everything["items"][0]["entity_type"] == "settings" and everything["next_cursor"]
    older = api.get(f"/admin/audit?limit=1&cursor={everything['next_cursor']}", admin).body
    assert older["items"][0]["entity_type"] == "client"
    assert api.get("/admin/audit?entity_type=planet", admin).status == 422
    assert api.get("/admin/audit", world.staff("agent")[1]).status == 422
