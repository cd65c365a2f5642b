"""Company self-registration: the public form records a pending registration that staff approve into a client
with its first portal contact; both steps are events the automation rules can act on (store credit on approval)."""
from __future__ import annotations

import re
from decimal import Decimal

import requests

from chalicelib.services import automation, automation_registration
from chalicelib.store import automation as automation_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store.users import contacts_of
from infra.local.outbox import sent_mail

FORM = {"company": "New Distributor SRL", "vat_number": "RO998877", "line1": "Bd. Unirii 10", "city": "Bucuresti",
        "postcode": "030000", "country": "ro", "first_name": "Ana", "last_name": "Pop", "email": "Ana.Pop@distributor.example"}


def post_form(http_server, form):
    page = requests.get(f"{http_server}/register", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return requests.post(f"{http_server}/register", data={"csrf": csrf, **form}, headers={"Cookie": f"b2b_csrf={csrf}"},
                         timeout=10, allow_redirects=False)


def test_a_registered_company_is_approved_into_a_client_with_its_contact_and_store_credit(http_server, world):
    credit = automation.install_template("store_credit_on_approval")
    automation.update_rule(credit.id, {"enabled": True})

    refused = post_form(http_server, {**FORM, "email": "not-an-email"})
    assert refused.status_code == 422 and 'id="error-email"' in refused.text and "New Distributor SRL" in refused.text
    assert automation_registration.pending() == []

    sent = post_form(http_server, FORM)
    assert sent.status_code == 200 and "We received your registration" in sent.text
    [waiting] = automation_registration.pending()
    assert waiting["company"] == "New Distributor SRL" and waiting["email"] == "ana.pop@distributor.example"

    approved = automation_registration.approve(waiting["id"], "Sales Manager")
    assert approved.status == "approved" and approved.client_id
    [contact] = contacts_of(approved.client_id)
    assert contact.email == "ana.pop@distributor.example"
    assert any(m["to"] == ["ana.pop@distributor.example"] for m in sent_mail())  # the portal invitation
    assert automation_registration.pending() == []

    # the approval is the event the "store credit for approved companies" template listens to
    event = {"id": "approved-1", "detail-type": "client.approved", "time": "2026-11-27T10:00:00+00:00",
             "detail": {"client_id": approved.client_id}}
    assert automation.handle_events([event]) == 1
    import time
    deadline = time.monotonic() + 30
    while automation_store.get_run(f"approved-1.{credit.id}").status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert automation_store.get_run(f"approved-1.{credit.id}").status == "done"
    assert [c.remaining for c in invoice_store.credits_of(approved.client_id)] == [Decimal("100")]


def test_a_registration_is_decided_once(world):
    item = automation_registration.register(FORM)
    automation_registration.reject(item.id)
    try:
        automation_registration.approve(item.id, "Manager")
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", None) == "registration_decided"
    else:
        raise AssertionError("a rejected registration was approved")
