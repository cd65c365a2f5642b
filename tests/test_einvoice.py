"""e-Factura: a Romanian supplier's invoice goes to ANAF in the invoicing workflow (upload, Wait loop on stareMesaj,
download); the sandbox ANAF accepts a CIUS-RO invoice and rejects a faulty one with ANAF's messages."""
from __future__ import annotations

import io
import json
import os
import time
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.adapters import anaf
from chalicelib.documents import ubl
from chalicelib.services import review
from chalicelib.store import invoices as invoice_store
from chalicelib.store.models import TaskItem
from chalicelib.store.orders import order_pk
from tests.test_ubl_validation import CLIENT_CLUJ, ONE_LINE, SUPPLIER_RO, document

CLUJ = {"label": "HQ", "line1": "Str. Memorandumului 2", "city": "Cluj-Napoca", "postcode": "400114", "country": "RO",
        "county": "RO-CJ"}
NO_COUNTY = {"label": "HQ", "line1": "Str. Memorandumului 2", "city": "Cluj-Napoca", "postcode": "400114", "country": "RO"}


# --- ANAF's answers and the sandbox's checks --------------------------------------------------------------

def test_anaf_upload_and_state_answers_are_read():
    ok = anaf.parse_upload(b'<header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" dateResponse="202611271140" '
                           b'ExecutionStatus="0" index_incarcare="5012345678"/>')
    assert ok == anaf.Upload("5012345678")
    refused = anaf.parse_upload(b'<header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" ExecutionStatus="1">'
                                b'<Errors errorMessage="Fisierul transmis nu este valid."/></header>')
    assert refused.upload_id is None and refused.errors == ["Fisierul transmis nu este valid."]
    state = anaf.parse_state(b'<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1" stare="nok" '
                             b'id_descarcare="3001"/>')
    assert (state.state, state.download_id, state.processing) == ("nok", "3001", False)
    assert anaf.parse_state(b'<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1" stare="in prelucrare"/>').processing
    with pytest.raises(anaf.EInvoiceRefused):
        anaf.parse_state(b'<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1">'
                         b'<Errors errorMessage="Nu aveti dreptul de inteorgare"/></header>')


def test_the_sandbox_accepts_a_cius_ro_invoice_and_words_its_refusals_like_anaf():
    sandbox = anaf.SandboxAnaf()
    good = ubl.invoice_xml(document(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=ONE_LINE))
    assert anaf.sandbox_findings(good, "RO11223344") == []
    upload = sandbox.upload(good, cif="11223344")
    assert sandbox.state(upload.upload_id).state == anaf.PROCESSING  # the first poll: still processing
    verdict = sandbox.state(upload.upload_id)
    assert verdict.state == anaf.OK and anaf.messages_in(sandbox.download(verdict.download_id)) == []

    from dataclasses import replace
    bad = ubl.invoice_xml(document(supplier=SUPPLIER_RO, client=replace(CLIENT_CLUJ, county=None), lines=ONE_LINE,
                                   currency="EUR"))
    findings = anaf.sandbox_findings(bad, "RO11223344")
    assert any("[BR-RO-111]" in f for f in findings) and not any("BR-RO-030" in f for f in findings)
    assert any("CIF introdus= 999" in f for f in anaf.sandbox_findings(good, "RO999"))
    assert sandbox.upload(b"<Invoice><unclosed>", cif="11223344").errors[0].startswith("E: validari xml eroare")


def test_the_real_client_needs_its_oauth_secrets_outside_the_local_stack(monkeypatch):
    from chalicelib import config  # noqa: PLC0415

    env = {"STAGE": "prod", "SSM_PREFIX": "/b2b-portal/prod/", "EINVOICE": "sandbox"}
    assert any("EINVOICE=sandbox" in p for p in config.deployment_problems(env, {}))
    env["EINVOICE"] = "anaf"
    problems = config.deployment_problems(env, {})
    assert any("ANAF_REFRESH_TOKEN" in p for p in problems)


# --- through the invoicing workflow ----------------------------------------------------------------------

def invoiced_through_the_workflow(api, world, workflows, monkeypatch, address):
    monkeypatch.setenv("EINVOICE_POLL_SECONDS", "1")
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=100, currency="RON")
    client = world.client("Transilvania Retail SRL", vat_number="RO99887766", currency="RON", addresses=[address])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 10}]}, buyer).body
    review.approve(order["id"], "tests")
    run = workflows.sfn.start_execution(stateMachineArn=os.environ["INVOICING_STATE_MACHINE_ARN"], name=f"inv-{order['id']}",
                                        input=json.dumps({"order_id": order["id"], "source_id": order["id"]}))["executionArn"]
    deadline = time.monotonic() + 90
    while (status := workflows.sfn.describe_execution(executionArn=run)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, "the invoicing run did not end"
        time.sleep(0.1)
    history = workflows.sfn.get_execution_history(executionArn=run)["events"]
    states = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    [invoice] = invoice_store.for_order(order["id"])
    return status, states, invoice


def test_e_factura_round_trip_ends_accepted(api, world, workflows, monkeypatch):
    status, states, invoice = invoiced_through_the_workflow(api, world, workflows, monkeypatch, CLUJ)
    assert status == "SUCCEEDED", states
    assert states.count("PollEInvoice") == 2 and "WaitForAnaf" in states  # "in prelucrare", then the verdict
    assert invoice.einvoice_status == "accepted" and invoice.einvoice_upload_id and invoice.einvoice_download_id
    assert any("Accepted by ANAF" in m for m in invoice.einvoice_messages)
    body = api.get(f"/admin/invoices/{invoice.id}", world.admin_token()).body
    assert body["einvoice_status"] == "accepted"


def test_e_factura_rejection_shows_anafs_messages_and_gives_finance_a_task(api, world, workflows, monkeypatch):
    _, finance_token = world.staff("finance")
    status, states, invoice = invoiced_through_the_workflow(api, world, workflows, monkeypatch, NO_COUNTY)
    assert status == "SUCCEEDED", states  # the invoice is issued and sent; ANAF's verdict is the invoice's to show
    assert invoice.einvoice_status == "rejected"
    assert any("[BR-RO-111]" in m for m in invoice.einvoice_messages)
    body = api.get(f"/admin/invoices/{invoice.id}", finance_token).body
    assert body["einvoice_status"] == "rejected" and any("BR-RO-111" in m for m in body["einvoice_messages"])
    tasks = [t for t in TaskItem.query(order_pk(invoice.order_id), TaskItem.sk.startswith("TASK#")) if t.kind.startswith("einvoice_")]
    assert len(tasks) == 1 and "ANAF rejected" in tasks[0].title
