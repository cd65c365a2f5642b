"""Orders that arrive as files: a client's spreadsheet uploaded by staff (POST /admin/intake) and an email
with a spreadsheet from a contact (SES -> S3 -> receive_order_email; locally the /local/mail-drop page)."""
from __future__ import annotations

import base64
from decimal import Decimal


from chalicelib.aws import client as aws_client
from chalicelib.domain.order_files import lines_from_rows, pasted_rows
from chalicelib.steps.intake import receive_order_email
from chalicelib.store import orders as order_store
from chalicelib.store.users import find_user
from infra.local.mail_drop import build_email
from infra.local.outbox import sent_mail
from tests.support.files import xlsx

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


def shop(world, **client_fields):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"))
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), min_qty=2)
    client = world.client("Acme SRL", addresses=[HQ], **client_fields)
    world.price_list({"CAB-001": "8.50"}, client_id=client)
    contact_id, _ = world.buyer(client)
    return client, find_user(contact_id).email


def upload(api, token, client, filename, content, **extra):
    body = {"client_id": client, "filename": filename, "content_base64": base64.b64encode(content).decode(), **extra}
    return api.post("/admin/intake", body, token)


def test_the_same_spreadsheet_twice_is_one_draft_order(api, world):
    client, _ = shop(world)
    agent = world.staff("manager")[1]  # sees every client's queue (an agent sees its own clients')
    sheet = xlsx([["SKU", "Qty"], ["CAB-001", 10], ["NET-001", 1], ["NOPE-7", 3]])
    first = upload(api, agent, client, "acme-week-48.xlsx", sheet, client_reference="PO-48")
    assert first.status == 201, first.text
    order = first.body
    assert (order["origin"], order["status"], order["review"], order["client_reference"]) == ("upload", "draft", "pending", "PO-48")
    assert [(l["sku"], l["qty"], l["unit_price"]) for l in order["lines"]] == [("CAB-001", 10, "8.50")]
    assert [(e["row"], e["sku"], e["code"]) for e in order["errors"]] == [(3, "NET-001", "below_min_qty"), (4, "NOPE-7", "unknown_product")]
    again = upload(api, agent, client, "renamed.xlsx", sheet)
    assert (again.status, again.body["id"], again.body["number"]) == (200, order["id"], order["number"])
    assert len(order_store.for_client(client, limit=10, after=None)[0]) == 1
    queue = api.get("/admin/orders?status=draft", agent).body["items"]
    assert [o["id"] for o in queue] == [order["id"]] and queue[0]["origin"] == "upload"
    # another client's identical file is that client's own order
    other = world.client("Beta SRL", addresses=[HQ])
    world.buyer(other)
    assert upload(api, agent, other, "acme-week-48.xlsx", sheet).status == 201


def test_intake_refuses_what_it_cannot_use(api, world):
    agent_id, agent = world.staff("agent")
    client, _ = shop(world, sale_agent_id=agent_id)
    nothing = upload(api, agent, client, "bad.csv", b"NOPE-1,2\nCAB-001,zero\n")
    assert (nothing.status, nothing.error["code"]) == (422, "no_valid_lines")
    assert "row 1" in nothing.error["message"] and "row 2" in nothing.error["message"]
    not_base64 = api.post("/admin/intake", {"client_id": client, "filename": "a.csv", "content_base64": "%%%"}, agent)
    assert (not_base64.status, not_base64.error["field"]) == (422, "content_base64")
    unknown = upload(api, agent, "cl_nope", "a.csv", b"CAB-001,1\n")
    assert (unknown.status, unknown.error["code"]) == (422, "unknown_client")
    assert upload(api, agent, client, "order.pdf", b"CAB-001,1\n").error["code"] == "unsupported_file"
    assert upload(api, agent, client, "empty.csv", b" \n").error["code"] == "empty_file"
    other_agent = world.staff("agent")[1]  # an agent reaches only its own clients
    assert upload(api, other_agent, client, "a.csv", b"CAB-001,1\n").status == 404
    _, buyer = world.buyer(client)
    assert upload(api, buyer, client, "a.csv", b"CAB-001,1\n").status == 403
    assert order_store.for_client(client, limit=10, after=None)[0] == []


def test_an_email_from_a_contact_becomes_a_draft_and_unknown_skus_are_answered(stack, world):
    client, contact_email = shop(world)
    raw = build_email(f"Ana Pop <{contact_email.upper()}>", "PO 9001", "order.xlsx",
                      xlsx([["CAB-001", 5], ["GHOST-1", 2]]))
    bucket = "b2b-local-inbound-mail-test"
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="orders/msg-1", Body=raw)
    event = {"Records": [{"s3": {"bucket": {"name": bucket}, "object": {"key": "orders/msg-1"}}}]}
    result = receive_order_email(event, None)
    [email] = result["emails"]
    assert email["outcome"] == "ordered" and len(email["orders"]) == 1
    order = order_store.get(email["orders"][0])
    assert (order.origin, order.status, order.client_reference, order.contact_email) == ("email", "draft", "PO 9001", contact_email)
    assert [(m.sku, m.qty) for m in order.lines] == [("CAB-001", 5)]
    def replies():
        return [m for m in sent_mail() if m["to"] == [contact_email] and m["subject"].startswith("Re:")]

    [reply] = replies()
    assert "Re: PO 9001" in reply["subject"] and "GHOST-1" in reply["body"] and order.number in reply["body"]
    # SES delivering the same message twice: no second order, no second reply
    assert receive_order_email(event, None)["emails"][0]["outcome"] == "duplicate"
    assert len(order_store.for_client(client, limit=10, after=None)[0]) == 1
    assert len(replies()) == 1


def test_an_email_from_a_stranger_makes_nothing_and_gets_no_reply(stack, world):
    from chalicelib.services import intake  # noqa: PLC0415

    shop(world)
    result = intake.receive_email(build_email("someone@elsewhere.example", "order", "o.csv", b"CAB-001,5\n"))
    assert result.outcome == "unknown_sender" and not [m for m in sent_mail() if m["subject"].startswith("Re:")]


def test_order_file_rows_give_lines_and_row_errors():
    parsed = lines_from_rows(pasted_rows("CAB-001;2\nNET-001;1,5\n;4\nCAB-001;3\nbad sku!;1\nNET-001 7\n"))
    assert [(l.row, l.sku, l.qty) for l in parsed.lines] == [(1, "CAB-001", 5), (6, "NET-001", 7)]
    assert [(e.row, e.code) for e in parsed.errors] == [(2, "invalid_quantity"), (3, "missing_field"), (5, "unknown_product")]
    tabbed = lines_from_rows(pasted_rows("Item code\tQuantity\nNET-001\t1 200\n"))
    assert [(l.row, l.sku, l.qty) for l in tabbed.lines] == [(2, "NET-001", 1200)]
    typed = lines_from_rows(pasted_rows("CAB-001 12\n"))
    assert [(l.sku, l.qty) for l in typed.lines] == [("CAB-001", 12)]


def test_an_email_from_a_contact_who_may_not_order_is_answered_without_an_order(stack, world):
    from chalicelib.services import intake  # noqa: PLC0415

    client, _ = shop(world)
    viewer_id, _ = world.buyer(client, orders=True, invoices=True)
    viewer = find_user(viewer_id).email
    result = intake.receive_email(build_email(viewer, "order", "o.csv", b"CAB-001,5\n"))
    assert result.outcome == "not_allowed" and order_store.for_client(client, limit=10, after=None)[0] == []
    [reply] = [m for m in sent_mail() if m["to"] == [viewer] and m["subject"].startswith("Re:")]
    assert "may not place orders" in reply["body"]
