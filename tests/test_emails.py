"""Every email on the one layout (supplier name, legal footer, plain-text part, web-safe fonts), rendered in
Chromium and screenshotted; the invoice email carries its PDF; a recorded payment sends a receipt."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from moto.ses.models import ses_backends

from chalicelib.config import supplier
from chalicelib.services import invoicing, mail, review
from chalicelib.store import invoices as invoice_store
from chalicelib.templating import TEMPLATES
from infra.local.provision import ACCOUNT_ID
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

ORDER = {"id": "so_1", "number": "SO-2026-000042", "client_name": "Acme SRL", "status": "accepted", "total": "1,234.50",
         "currency": "EUR", "reason": "Out of stock", "proposal_message": "One box less", "proposal_total": "1,100.00",
         "client_reference": "PO-77", "contact_email": "ana@acme.example",
         "lines": [{"sku": "CAB-001", "name": "Patch cable", "qty": 5, "unit_price": "10.00", "line_total": "50.00"}]}
INVOICE = {"id": "inv_1", "number": "INV-2026-000007", "client_name": "Acme SRL", "order_number": "SO-2026-000042",
           "issue_date": "2026-11-27", "due_date": "2026-12-27", "total": "1,234.50", "amount_due": "234.50",
           "currency": "EUR"}
SAMPLES = {
    "approval_decided": {"order": ORDER, "approver": "Ioana Pop", "reason": "Over budget"},
    "approval_requested": {"order": ORDER, "name": "Ioana Pop"},
    "backorder": {"order_number": "SO-2026-000042", "lines": "2 × CAB-001", "number": "DN-2026-000003"},
    "comment_added": {"name": "Ana", "author": "Radu", "kind": "order", "number": "SO-2026-000042", "body": "By Friday?",
                      "path": "/orders/so_1", "client_name": "Acme SRL"},
    "company_change_requested": {"name": "Agent", "requester": "Ana Pop", "requester_email": "ana@acme.example",
                                 "client_name": "Acme SRL", "client_id": "cl_1", "message": "New VAT number"},
    "invitation": {"name": "Ana Pop", "email": "ana@acme.example", "inviter": "Tests", "portal_name": "the portal",
                   "client_name": "Acme SRL", "temporary_password": "Temp-Pass-1234"},
    "invoice_issued": {"invoice": INVOICE, "pdf_attached": True},
    "invoice_overdue": {"invoice": INVOICE, "days": 7},
    "order_accepted": {"order": ORDER}, "order_cancelled": {"order": ORDER}, "order_declined": {"order": ORDER},
    "order_expired": {"order": ORDER},
    "order_modified": {"order": ORDER}, "order_placed": {"order": ORDER},
    "packing_overdue": {"id": "dn_1", "number": "DN-2026-000003", "order_number": "SO-2026-000042", "hours": 24},
    "payment_receipt": {"invoice": INVOICE, "payment": {"amount": "1,000.00", "paid_on": "2026-11-27", "method": "bank_transfer"}},
    "proposal_sent": {"proposal": {"id": "pr_1", "number": "PR-2026-000001", "total": "900.00", "currency": "EUR",
                                   "valid_until": "2026-12-10", "message": "As discussed"}},
    "review_escalated": {"order": ORDER, "manager": "Mara", "escalation": 1, "approve_url": "https://x/a", "reject_url": "https://x/r"},
    "review_requested": {"order": ORDER, "reviewer": "Andrei", "approve_url": "https://x/a", "reject_url": "https://x/r"},
    "shipped": {"number": "DN-2026-000003", "order_number": "SO-2026-000042", "awb": "AWB123", "courier": "Sameday",
                "tracking_url": "https://track.example/AWB123"},
    "automation": {"subject": "Invoice INV-2026-000007 is due soon", "body": "Hello,\n\nA reminder from us."},
    "credit_note_issued": {"credit_note": {"number": "CN-2026-000001", "invoice_number": "INV-2026-000007",
                                           "total": "100.00", "currency": "EUR", "reason": "Damaged box"}},
    "order_email_problems": {"subject": "Order for next week", "no_attachment": False, "files": [{"filename": "order.xlsx", "order": {"number": "SO-2026-000042"},
                                                                "errors": [{"row": 3, "sku": "XX-1", "message": "Unknown product"}]}]},
    "proposal_answered": {"proposal": {"id": "pr_1", "number": "PR-2026-000001", "total": "900.00", "currency": "EUR",
                                       "client_name": "Acme SRL", "decline_reason": "Too expensive"}, "answer": "declined"},
    "proposal_expiring": {"proposal": {"id": "pr_1", "number": "PR-2026-000001", "total": "900.00", "currency": "EUR",
                                       "valid_until": "2026-12-10"}},
    "quote_requested": {"requested_by": "Ana Pop", "request_message": "Best price for 100?", "lines": ORDER["lines"],
                        "proposal": {"number": "PR-2026-000002", "client_name": "Acme SRL", "total": "50.00", "currency": "EUR"}},
    "recurring_failed": {"day": "2026-12-01", "problem": "CAB-001 is no longer sold"},
    "recurring_reminder": {"recurring": {"next_run": "2026-12-01", "lines": [{"sku": "CAB-001", "qty": 5}]},
                           "manage_url": "/recurring-orders"},
    "staff_order_answered": {"agent": "Andrei", "order": ORDER, "answer": "accepted"},
    "staff_order_expiring": {"order": {**ORDER, "valid_until": "2026-12-10"}},
    "staff_order_sent": {"order": {**ORDER, "valid_until": "2026-12-10"}},
    "workflow_failed": {"what": "The review of order SO-2026-000042", "cause": "Lambda timed out", "path": "/agent/failed-work"},
}


def test_every_email_template_has_a_sample_here():
    names = {p.name.removesuffix(".subject.txt") for p in (TEMPLATES / "email").glob("*.subject.txt")}
    assert names == set(SAMPLES)


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_every_email_has_the_layout_footer_and_a_text_part(template):
    rendered = mail.render_email(template, **SAMPLES[template])
    legal = supplier()
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.html.startswith("<!DOCTYPE html>") and 'class="email-footer"' in rendered.html
    assert legal.name in rendered.html and f"VAT {legal.vat_number}" in rendered.html
    assert "Times" not in rendered.html and "Helvetica,Arial,sans-serif" in rendered.html
    assert rendered.text.rstrip().endswith(legal.email) and f"VAT {legal.vat_number}" in rendered.text
    assert "<p" not in rendered.text and "{{" not in rendered.text + rendered.html


@pytest.mark.browser
def test_every_email_renders_in_chromium_with_its_layout(browser, tmp_path: Path):  # noqa: F811
    context = browser.new_context(viewport={"width": 700, "height": 900})
    page = context.new_page()
    shots = tmp_path / "emails"
    shots.mkdir()
    try:
        for template, sample in sorted(SAMPLES.items()):
            page.set_content(mail.render_email(template, **sample).html)
            header, footer = page.locator(".email-header"), page.locator(".email-footer")
            assert header.is_visible() and supplier().name in header.inner_text(), template
            assert footer.is_visible() and supplier().vat_number in footer.inner_text(), template
            font = page.evaluate("getComputedStyle(document.querySelector('.email-card')).fontFamily")
            assert "Arial" in font and "Times" not in font, template
            card = page.locator(".email-card").bounding_box()
            assert card and 300 < card["width"] <= 600, template
            shot = shots / f"{template}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 5_000, template
    finally:
        context.close()
    assert len(list(shots.glob("*.png"))) == len(SAMPLES)


ADDRESS = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


def test_the_invoice_email_greets_attaches_its_pdf_and_a_payment_sends_a_receipt(api, world):
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=100)
    client = world.client("Acme SRL", addresses=[ADDRESS])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 10}]}, buyer).body
    review.approve(order["id"], "tests")
    invoice = invoicing.issue(order["id"])
    invoicing.render_documents(invoice.id)
    invoicing.send(invoice.id)
    sent = ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
    [email] = [m for m in sent if m.subject.startswith(f"Invoice {invoice.number}")]
    assert "Hello Acme SRL" in email.body and "attached as a PDF" in email.body
    assert list(email.attachments) == [f"{invoice.number}.pdf"] and email.attachments[f"{invoice.number}.pdf"][:5] == b"%PDF-"
    assert mail.fits([mail.Attachment("x.pdf", b"0" * mail.MAX_ATTACHMENT_BYTES)])
    assert not mail.fits([mail.Attachment("x.pdf", b"0" * (mail.MAX_ATTACHMENT_BYTES + 1))])

    invoicing.record_payment(invoice.id, amount=Decimal("50.00"), paid_on=date.today(), method="bank_transfer",
                             reference=None, actor="finance@supplier.example")
    receipts = [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if m.subject.startswith("Payment received")]
    assert len(receipts) == 1 and "50.00" in receipts[0].subject and "Bank transfer" in receipts[0].body
    assert "Still due" in receipts[0].body
    assert [n.key for n in invoice_store.notifications(invoice.id)].count(receipts and "issued") == 1
