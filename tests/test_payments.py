"""Online payments always land: money the gateway took is recorded whatever happened meanwhile (a second
checkout, a staff payment, a replay, parallel webhooks); the excess becomes a client credit with a finance task."""
from __future__ import annotations

import io
import threading
from decimal import Decimal

import pytest
from pypdf import PdfReader

from chalicelib.adapters.payments import PaymentError, gateway_from_env
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.invoicing import InvoiceStatus, split_gateway_payment, status_after_applied
from chalicelib.services import invoicing, payments, review
from chalicelib.services.pricing import supplier_today
from chalicelib.store import invoices as invoice_store
from chalicelib.store.clients import get_client

ADDRESS = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


@pytest.mark.parametrize(("amount", "status", "due", "applied", "credit"), [
    ("119.00", InvoiceStatus.UNPAID, "119.00", "119.00", "0"),
    ("119.00", InvoiceStatus.PARTIALLY_PAID, "69.00", "69.00", "50.00"),
    ("40.00", InvoiceStatus.OVERDUE, "69.00", "40.00", "0"),
    ("119.00", InvoiceStatus.PAID, "0", "0", "119.00"),
    ("119.00", InvoiceStatus.CANCELLED, "119.00", "0", "119.00"),
])
def test_gateway_money_pays_what_is_due_and_the_rest_is_credit(amount, status, due, applied, credit):
    assert split_gateway_payment(amount=Decimal(amount), status=status, amount_due=Decimal(due)) == (Decimal(applied), Decimal(credit))


def test_gateway_payment_rules_refuse_nothing_but_a_non_positive_amount():
    with pytest.raises(ValidationFailed):
        split_gateway_payment(amount=Decimal(0), status=InvoiceStatus.UNPAID, amount_due=Decimal(10))
    assert status_after_applied(total=Decimal(10), paid=Decimal(10), status=InvoiceStatus.OVERDUE) is InvoiceStatus.PAID
    assert status_after_applied(total=Decimal(10), paid=Decimal(4), status=InvoiceStatus.UNPAID) is InvoiceStatus.PARTIALLY_PAID
    assert status_after_applied(total=Decimal(10), paid=Decimal(0), status=InvoiceStatus.OVERDUE) is InvoiceStatus.OVERDUE
    assert status_after_applied(total=Decimal(10), paid=Decimal(10), status=InvoiceStatus.CANCELLED) is InvoiceStatus.CANCELLED


class Shop:
    """One client with a buyer and a finance clerk; invoices for orders of 10 x 10.00 EUR (+19 % VAT)."""

    def __init__(self, api, world):
        self.api, self.world = api, world
        world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=1000)
        self.client_id = world.client("Acme SRL", addresses=[ADDRESS])
        _, self.buyer = world.buyer(self.client_id)
        self.finance_id, self.finance = world.staff("finance")

    def invoice(self, qty: int = 10):
        order = self.api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": qty}]}, self.buyer).body
        review.approve(order["id"], "tests")
        return invoicing.issue(order["id"])

    def checkout(self, invoice) -> str:
        reply = self.api.post(f"/portal/invoices/{invoice.id}/pay", None, self.buyer)
        assert reply.status == 201, reply.text
        return reply.body["session_id"]

    def webhook(self, payload: bytes, signature: str):
        return self.api.post("/payments/webhook", raw=payload.decode(), headers={"Stripe-Signature": signature})

    def admin_invoice(self, invoice_id: str) -> dict:
        return self.api.get(f"/admin/invoices/{invoice_id}", self.finance).body

    def staff_page(self, invoice_id: str) -> str:
        reply = self.api.get(f"/agent/invoices/{invoice_id}", headers={"Cookie": f"b2b_session={self.finance}"})
        assert reply.status == 200, reply.text[:300]
        return reply.text

    def tasks(self) -> list[dict]:
        return self.api.get("/admin/tasks", self.finance).body["items"]

    def statement(self) -> dict:
        today = supplier_today()
        return self.api.get(f"/portal/statement?from={today.replace(day=1)}&to={today}", self.buyer).body


@pytest.fixture
def shop(api, world):
    return Shop(api, world)


def test_two_checkouts_for_one_invoice_both_paid_record_all_the_money(shop):
    invoice = shop.invoice()  # 119.00 EUR
    first = shop.checkout(invoice)
    paid_first = gateway_from_env().pay(first)  # the buyer pays in one tab ...
    second = shop.checkout(invoice)  # ... and, not seeing it yet, starts another checkout and pays again
    paid_second = gateway_from_env().pay(second)

    assert shop.webhook(*paid_second).body["outcome"] == "recorded"
    late = shop.webhook(*paid_first)  # the invoice is paid by now: the money is still recorded
    assert late.status == 200 and late.body["outcome"] == "credit"

    paid = invoice_store.get(invoice.id)
    assert (paid.status, paid.amount_paid) == ("paid", Decimal("119.00"))
    [credit] = invoice_store.credits_of(shop.client_id)
    assert (credit.amount, credit.remaining, credit.source_invoice_id) == (Decimal("119.00"), Decimal("119.00"), invoice.id)
    assert get_client(shop.client_id).balance == Decimal("-119.00")  # the client is owed its credit

    detail = shop.admin_invoice(invoice.id)
    assert [(e["outcome"], e["applied"], e["credit"]) for e in detail["webhook_events"]] == [
        ("recorded", "119.00", "0.00"), ("credit", "0.00", "119.00")]
    page = shop.staff_page(invoice.id)
    assert 'id="webhook-events"' in page and "Recorded, excess kept as client credit" in page and "Payment recorded" in page
    [task] = [t for t in shop.tasks() if t["kind"].startswith("client_credit")]
    assert invoice.number in task["title"] and "119.00 EUR" in task["title"] and task["order_id"] == invoice.order_id

    statement = shop.statement()
    assert [(e["kind"], e["credit"]) for e in statement["entries"]] == [
        ("invoice", "0.00"), ("payment", "119.00"), ("credit", "119.00")]
    assert statement["closing_balance"] == "-119.00"
    from chalicelib.documents import pdf  # noqa: PLC0415

    today = supplier_today()
    printed = PdfReader(io.BytesIO(pdf.render_statement(invoicing.statement(shop.client_id, today.replace(day=1), today))))
    text = "\n".join(page.extract_text() for page in printed.pages)
    assert "Paid beyond invoice" in text and ": client credit" in text and "-119.00" in text

    following = shop.invoice(qty=5)  # 59.50 EUR: the credit pays it when it is issued
    assert (following.status, following.amount_paid) == ("paid", Decimal("59.50"))
    assert invoice_store.credits_of(shop.client_id)[0].remaining == Decimal("59.50")
    assert invoicing.issue(following.order_id).amount_paid == Decimal("59.50")  # a retried issue applies nothing twice
    assert [p.method for p in invoice_store.payments(following.id)] == ["credit"]
    assert shop.statement()["closing_balance"] == "-59.50"


def test_checkout_started_before_a_staff_payment_then_paid_in_full_is_recorded(shop):
    invoice = shop.invoice()
    session = shop.checkout(invoice)
    paid_in_full = gateway_from_env().pay(session)  # paid at the gateway for the whole 119.00 ...
    invoicing.record_payment(invoice.id, amount=Decimal("50.00"), paid_on=supplier_today(), method="bank_transfer",
                             reference="BT-1", actor="finance")  # ... while finance records a bank transfer

    reply = shop.webhook(*paid_in_full)
    assert reply.status == 200 and reply.body["outcome"] == "credit"
    paid = invoice_store.get(invoice.id)
    assert (paid.status, paid.amount_paid) == ("paid", Decimal("119.00"))
    assert invoice_store.credits_of(shop.client_id)[0].amount == Decimal("50.00")
    assert [t for t in shop.tasks() if t["kind"].startswith("client_credit") and "50.00 EUR" in t["title"]]
    assert get_client(shop.client_id).balance == Decimal("-50.00")


def test_finance_refunds_a_credit_and_its_task_closes(shop):
    invoice = shop.invoice()
    gateway = gateway_from_env()
    paid_first = gateway.pay(shop.checkout(invoice))
    paid_second = gateway.pay(shop.checkout(invoice))
    shop.webhook(*paid_first)
    shop.webhook(*paid_second)
    [credit] = shop.api.get(f"/admin/clients/{shop.client_id}/credits", shop.finance).body["items"]
    assert (credit["amount"], credit["remaining"]) == ("119.00", "119.00")
    base = f"/admin/clients/{shop.client_id}/credits"
    assert shop.api.post(f"{base}/{credit['id']}/refund", None, shop.buyer).status == 403
    assert shop.api.post(f"{base}/cr_missing/refund", None, shop.finance).error["code"] == "credit_not_found"

    refunded = shop.api.post(f"{base}/{credit['id']}/refund", None, shop.finance)
    assert refunded.status == 200 and refunded.body["remaining"] == "0.00"
    assert shop.api.post(f"{base}/{credit['id']}/refund", None, shop.finance).error["code"] == "credit_used"
    assert get_client(shop.client_id).balance == Decimal("0.00")
    assert [e["kind"] for e in shop.statement()["entries"]] == ["invoice", "payment", "credit", "refund"]
    assert not [t for t in shop.tasks() if t["kind"].startswith("client_credit")]
    assert shop.invoice(qty=5).amount_paid == Decimal(0)  # nothing left to apply


def test_staff_overpayment_is_still_refused(shop):
    invoice = shop.invoice()
    reply = shop.api.post(f"/admin/invoices/{invoice.id}/payments",
                          {"amount": "119.01", "date": supplier_today().isoformat(), "method": "card"}, shop.finance)
    assert reply.status == 422 and reply.error["code"] == "overpayment"
    assert invoice_store.credits_of(shop.client_id) == []


def test_a_new_checkout_or_a_payment_expires_the_older_checkouts(shop):
    invoice = shop.invoice()
    gateway = gateway_from_env()
    first = shop.checkout(invoice)
    second = shop.checkout(invoice)
    assert gateway.session(first)["status"] == "expired" and gateway.session(second)["status"] == "open"
    with pytest.raises(PaymentError):
        gateway.pay(first)

    invoicing.record_payment(invoice.id, amount=Decimal("19.00"), paid_on=supplier_today(), method="cash",
                             reference=None, actor="finance")
    assert gateway.session(second)["status"] == "expired"  # it was for 119.00; 100.00 is due now
    assert invoice_store.open_checkouts(invoice.id) == []


def test_payment_in_another_currency_is_kept_as_a_mismatch_for_finance(shop):
    invoice = shop.invoice()
    gateway = gateway_from_env()
    event = gateway.completed_event(shop.checkout(invoice))
    event["data"]["object"]["currency"] = "usd"
    signed = gateway.sign(event)

    reply = shop.webhook(*signed)
    assert reply.status == 200 and reply.body["outcome"] == "mismatch"
    untouched = invoice_store.get(invoice.id)
    assert (untouched.status, untouched.amount_paid) == ("unpaid", Decimal(0))
    assert get_client(shop.client_id).balance == Decimal("119.00")
    [seen] = shop.admin_invoice(invoice.id)["webhook_events"]
    assert (seen["outcome"], seen["currency"], seen["amount"]) == ("mismatch", "USD", "119.00") and "EUR" in seen["message"]
    assert [t for t in shop.tasks() if t["kind"].startswith("payment_mismatch") and invoice.number in t["title"]]
    assert shop.webhook(*signed).body["duplicate"] is True  # a replay stays one mismatch
    assert len(shop.admin_invoice(invoice.id)["webhook_events"]) == 1
    assert "Mismatch: check it" in shop.staff_page(invoice.id)


def test_replayed_event_is_recorded_once_and_shown_as_a_duplicate(shop):
    invoice = shop.invoice()
    signed = gateway_from_env().pay(shop.checkout(invoice))
    assert shop.webhook(*signed).body == {"received": True, "recorded": True, "outcome": "recorded", "duplicate": False}
    assert shop.webhook(*signed).body["duplicate"] is True
    assert shop.webhook(*signed).status == 200

    assert invoice_store.get(invoice.id).amount_paid == Decimal("119.00")
    assert len(invoice_store.payments(invoice.id)) == 1 and invoice_store.credits_of(shop.client_id) == []
    [event] = shop.admin_invoice(invoice.id)["webhook_events"]
    assert event["deliveries"] == 3 and "duplicate" in event["outcome_label"]
    assert get_client(shop.client_id).balance == Decimal("0.00")


def test_parallel_webhooks_for_one_invoice_add_up_exactly(shop):
    invoice = shop.invoice()
    gateway = gateway_from_env()
    sessions = [gateway.create_checkout(invoice.id, invoice.number, Decimal("47.60"), "EUR", "http://ok", "http://no", None)
                for _ in range(6)]
    signed = [gateway.pay(s.id) for s in sessions]
    errors: list[BaseException] = []

    def deliver(payload_and_signature):
        try:
            payments.handle_webhook(*payload_and_signature)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(s,)) for s in signed + signed[:2]]  # two are redelivered at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

    paid = invoice_store.get(invoice.id)
    credits = sum((c.amount for c in invoice_store.credits_of(shop.client_id)), Decimal(0))
    assert (paid.status, paid.amount_paid) == ("paid", Decimal("119.00"))
    assert paid.amount_paid + credits == Decimal("47.60") * 6
    assert sum((p.amount for p in invoice_store.payments(invoice.id)), Decimal(0)) == Decimal("119.00")
    assert len(invoice_store.gateway_events(invoice.id)) == 6
    assert get_client(shop.client_id).balance == Decimal("119.00") - Decimal("47.60") * 6


@pytest.fixture
def sandbox_pages(local_pages):
    """The local stack's stand-in for the gateway's hosted checkout page (registered by the local stack only)."""


def test_the_sandbox_checkout_page_refuses_an_expired_checkout(sandbox_pages, shop):
    invoice = shop.invoice()
    older, newer = shop.checkout(invoice), shop.checkout(invoice)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert shop.api.get(f"/local/pay/{older}").status == 410
    assert shop.api.post(f"/local/pay/{older}", raw="", headers=form).status == 410
    assert invoice_store.get(invoice.id).amount_paid == 0
    assert shop.api.get(f"/local/pay/{newer}").status == 200
    assert shop.api.post(f"/local/pay/{newer}", raw="", headers=form).status == 303
    assert invoice_store.get(invoice.id).status == "paid"
