"""Deliveries, invoices and the statement in the portal's pages and the staff's, in real headless Chromium,
with the fulfilment and invoicing workflows running on the local stack."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from pypdf import PdfReader

from chalicelib.config import settings
from chalicelib.services import fulfilment, invoicing, ordering
from chalicelib.services.ordering import Buyer
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.models import OrderItem, ProductItem
from chalicelib.store.products import find_products, get_product
from chalicelib.store.users import find_user
from tests.test_web_ordering import HQ, people, sign_in, submit  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser

PARCEL = {"weight_kg": Decimal("2.5"), "length_cm": 40, "width_cm": 30, "height_cm": 20}


@pytest.fixture(scope="module", autouse=True)
def document_pages(chalice_app):
    """The pages' blueprint on the app for this module, until app.py registers it."""
    from chalicelib.web.documents import web_documents  # noqa: PLC0415

    if "/deliveries" in chalice_app.routes:
        yield
        return
    before = set(chalice_app.routes)
    chalice_app.register_blueprint(web_documents)
    yield
    for path in set(chalice_app.routes) - before:
        chalice_app.routes.pop(path)


def configure(**changes):
    stored = settings_store.load()
    for name, value in changes.items():
        setattr(stored, name, value)
    settings_store.save(stored)


@dataclass(frozen=True)
class Account:
    client: str
    buyer: Buyer
    order: OrderItem


def accepted_order(world, workflows, **buyer_permissions) -> Account:
    """Acme SRL (VAT payer, approved automatically) with an accepted order: 4 cables at 19% VAT and 2 switches at 9%."""
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=50)
    world.product("NET-001", name="Gigabit switch", base_price=Decimal("100.00"), vat_rate=Decimal("9"), qty_on_hand=50)
    client = world.client("Acme SRL", vat_number="RO123", auto_approve=True, addresses=[HQ])
    contact_id, _ = world.buyer(client, **buyer_permissions)
    buyer = Buyer(contact_id, find_user(contact_id).email, client)
    placed = ordering.place(buyer, {"lines": [{"sku": "CAB-001", "qty": 4}, {"sku": "NET-001", "qty": 2}]})
    order = workflows.until(lambda: (o := order_store.get(placed.id)).status == "accepted" and o, what="acceptance")
    return Account(client, buyer, order)


def staff_member(world, role):
    user_id, _ = world.staff(role)
    return find_user(user_id).email


def shipped_note(workflows, order_id):
    """A delivery note for the whole order, taken through approval and packing to its AWB, as the warehouse would."""
    dn = fulfilment.create_delivery_note(order_id)
    workflows.until(lambda: dn_store.get(dn.id).approval_task_token, what="the warehouse's approval wait")
    fulfilment.approve(dn.id, "warehouse@supplier.example")
    fulfilment.record_packing(dn.id, [PARCEL])
    return workflows.until(lambda: (d := dn_store.get(dn.id)).status == "shipped" and d, what="the AWB")


def test_buyer_sees_the_shipped_delivery_with_tracking_and_downloads_the_invoice_pdf(people, http_server, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="shipping")
    acme = accepted_order(world, workflows)
    dn = shipped_note(workflows, acme.order.id)
    invoice = workflows.until(lambda: (i := invoice_store.find(f"inv_{dn.id}")) and i.pdf_key and i, what="the invoice")

    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.click(".sidebar >> text=Deliveries")
    buyer.wait_for_url("**/deliveries")
    row = buyer.locator(f'#deliveries tr[data-id="{dn.id}"]')
    assert row.locator(".number").inner_text() == dn.number and row.locator(".status").inner_text() == "Shipped"
    tracking = row.locator("a.tracking")
    assert tracking.inner_text() == dn.awb and tracking.get_attribute("href") == dn.tracking_url
    assert row.locator(".courier").inner_text() == dn.courier

    buyer.click(".sidebar >> text=Invoices")
    buyer.wait_for_url("**/invoices")
    row = buyer.locator(f'#invoices tr[data-id="{invoice.id}"]')
    assert row.locator(".number").inner_text() == invoice.number and row.locator(".status").inner_text() == "Unpaid"
    assert row.locator(".total").inner_text() == f"{invoice.total} EUR" and row.locator(".due-date").inner_text() == str(invoice.due_date)
    assert row.locator("a.xml").count() == 1  # a VAT payer gets the UBL e-invoice too
    with buyer.expect_download() as download:
        row.locator("a.pdf").click()
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    pdf = PdfReader(download.value.path())
    assert invoice.number in "".join(p.extract_text() for p in pdf.pages)

    buyer.goto(f"{http_server}/orders/{acme.order.id}")
    assert buyer.locator(f'#order-deliveries tr[data-id="{dn.id}"] a.tracking').inner_text() == dn.awb
    assert buyer.locator(f'#order-invoices tr[data-id="{invoice.id}"] .number').inner_text() == invoice.number


def test_warehouse_approves_and_packs_a_delivery_note_and_the_awb_appears(people, http_server, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    acme = accepted_order(world, workflows)
    find_products(["CAB-001"])["CAB-001"].update(actions=[ProductItem.qty_on_hand.set(3)])  # one cable short since
    warehouse = people()
    sign_in(warehouse, http_server, staff_member(world, "warehouse"), lands="**/agent/delivery-notes")  # its own work first
    assert "Delivery notes" in warehouse.inner_text(".sidebar") and "Invoices" not in warehouse.inner_text(".sidebar")

    warehouse.goto(f"{http_server}/agent/orders/{acme.order.id}")
    assert "4 × CAB-001, 2 × NET-001" in warehouse.inner_text("#fulfilment")
    submit(warehouse, "#create-delivery-note")
    assert "/agent/delivery-notes/dn_" in warehouse.url and "ready for packing" in warehouse.inner_text("#flash-notice")
    dn_id = warehouse.url.rsplit("/", 1)[1]
    workflows.until(lambda: dn_store.get(dn_id).approval_task_token, what="the warehouse's approval wait")
    warehouse.click(".sidebar >> text=Delivery notes")
    warehouse.wait_for_url("**/agent/delivery-notes")
    warehouse.click(f'#delivery-queue tr[data-id="{dn_id}"] a.number')
    warehouse.wait_for_url(f"**/agent/delivery-notes/{dn_id}")

    submit(warehouse, "#approve-note")
    assert "1 × CAB-001 back-ordered" in warehouse.inner_text("#flash-notice")
    assert "back-ordered on" in warehouse.inner_text("#backorder-note")
    assert (get_product("CAB-001").qty_on_hand, get_product("NET-001").qty_on_hand) == (0, 48)
    assert warehouse.inner_text('#note-lines tr[data-sku="CAB-001"] .qty') == "3"

    rows = warehouse.locator("#packing-rows tbody tr")
    for name, value in (("weight_kg", "2.5"), ("length_cm", "40"), ("width_cm", "30")):
        rows.nth(0).locator(f"input[name={name}]").fill(value)
    submit(warehouse, "#save-packing")
    assert "Parcel 1: Height is a whole number" in warehouse.inner_text("#packing-error")
    assert warehouse.locator("#packing-rows tbody tr").nth(0).locator("input[name=weight_kg]").input_value() == "2.5"
    warehouse.locator("#packing-rows tbody tr").nth(0).locator("input[name=height_cm]").fill("20")
    submit(warehouse, "#save-packing")
    assert "Packing list saved (1 parcel)" in warehouse.inner_text("#flash-notice")

    shipped = workflows.until(lambda: (d := dn_store.get(dn_id)).status == "shipped" and d, what="the AWB")
    warehouse.reload()
    assert warehouse.inner_text("#awb a.tracking") == shipped.awb and warehouse.inner_text("#note-status") == "Shipped"
    submit(warehouse, "#mark-delivered")
    assert warehouse.inner_text("#note-status") == "Delivered"
    assert warehouse.goto(f"{http_server}/agent/invoices").status == 403


def test_finance_records_a_partial_payment_and_the_buyer_sees_it_partially_paid(people, http_server, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    acme = accepted_order(world, workflows)
    finance = people()
    sign_in(finance, http_server, staff_member(world, "finance"), lands="**/agent/invoices")  # its own work first
    finance.goto(f"{http_server}/agent/orders/{acme.order.id}")
    submit(finance, "#issue-invoice")
    assert "/agent/invoices/inv_" in finance.url and "is issued" in finance.inner_text("#flash-notice")
    invoice = invoice_store.get(finance.url.rsplit("/", 1)[1])
    workflows.until(lambda: invoice_store.get(invoice.id).pdf_key, what="the invoice documents")

    half = (invoice.total / 2).quantize(Decimal("0.01"))
    finance.fill("#payment-amount", "12,3,4")
    submit(finance, "#record-payment")
    assert "decimal number such as 1234.50" in finance.inner_text("#payment-error")
    assert finance.get_attribute("#payment-amount", "aria-invalid") == "true"
    finance.fill("#payment-amount", str(half))
    finance.fill("#payment-reference", "BT-0042")
    submit(finance, "#record-payment")
    assert f"{invoice.total - half:.2f} EUR is still due" in finance.inner_text("#flash-notice")
    assert finance.inner_text("h1 .status") == "Partially paid"
    assert finance.inner_text("#payments .amount") == f"{half} EUR" and "BT-0042" in finance.inner_text("#payments")
    finance.fill("#payment-amount", str(invoice.total))
    submit(finance, "#record-payment")
    assert "more than is due" in finance.inner_text("#payment-error")  # refused, explained, nothing recorded
    assert len(invoice_store.payments(invoice.id)) == 1
    finance.goto(f"{http_server}/agent/orders/{acme.order.id}")
    assert finance.query_selector("#issue-invoice") is None and invoice.number in finance.inner_text("#order-invoices")

    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/invoices")
    row = buyer.locator(f'#invoices tr[data-id="{invoice.id}"]')
    assert row.locator(".status").inner_text() == "Partially paid"
    assert row.locator(".amount-due").inner_text() == f"{invoice.total - half:.2f} EUR"
    row.locator(".number").click()
    buyer.wait_for_url(f"**/invoices/{invoice.id}")
    assert buyer.inner_text("#amount-due") == f"{invoice.total - half:.2f} EUR" and "BT-0042" in buyer.inner_text("#payments")
    assert [r.get_attribute("data-rate") for r in buyer.query_selector_all("#vat-breakdown tbody tr")] == ["9", "19"]


@pytest.fixture
def sandbox_checkout(local_pages):
    """The local stack's stand-in for the gateway's hosted checkout, registered before any browser connects
    (a kept-alive connection goes on with the routes it started with)."""


def test_buyer_pays_the_rest_online_through_the_checkout(sandbox_checkout, people, http_server, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    acme = accepted_order(world, workflows)
    invoice = invoicing.issue(acme.order.id)
    invoicing.record_payment(invoice.id, amount=Decimal("100.00"), paid_on=supplier_today(), method="bank_transfer",
                             reference=None, actor="tests")
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/invoices/{invoice.id}")
    forged = buyer.request.post(f"{http_server}/invoices/{invoice.id}/pay", form={"csrf": "forged"}, max_redirects=0)
    assert forged.status == 403

    # The gateway sends the buyer to the portal's public address, which this test's server is not: the
    # button's redirect is caught on its way there and the checkout opened on this server instead.
    with buyer.expect_request(lambda r: "/local/pay/" in r.url) as checkout:
        buyer.click("#pay-online")
    buyer.wait_for_url(lambda url: not url.startswith(http_server))  # nothing answers there: an error page
    assert checkout.value.url.startswith(f"{settings().portal_url}/local/pay/cs_local_")
    path = urlparse(checkout.value.url).path
    buyer.goto(f"{http_server}{path}")
    assert invoice.number in buyer.inner_text("body") and "165.60 EUR" in buyer.inner_text("body")
    with buyer.expect_request(lambda r: r.url.endswith(f"/invoices/{invoice.id}?paid=1")) as back:
        buyer.click("#pay")  # the gateway's webhook is handled; the buyer is sent back to the invoice
    assert back.value.url == f"{settings().portal_url}/invoices/{invoice.id}?paid=1"
    buyer.wait_for_url(lambda url: not url.startswith(http_server))

    buyer.goto(f"{http_server}/invoices/{invoice.id}?paid=1")
    assert buyer.inner_text("h1 .status") == "Paid" and buyer.inner_text("#amount-due") == "0.00 EUR"
    assert buyer.query_selector("#pay-online") is None and buyer.query_selector("#paid-notice") is None


def test_statement_shows_opening_and_closing_balances(people, http_server, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    acme = accepted_order(world, workflows)
    invoice = invoicing.issue(acme.order.id)
    invoicing.record_payment(invoice.id, amount=Decimal("50.00"), paid_on=supplier_today(), method="bank_transfer",
                             reference="BT-9", actor="tests")
    owed = f"{invoice.total - Decimal('50.00'):.2f} EUR"
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.click(".sidebar >> text=Statement")
    buyer.wait_for_url("**/statement")
    assert buyer.inner_text("#opening-balance") == "0.00 EUR" and buyer.inner_text("#closing-balance") == owed
    assert [r.get_attribute("data-kind") for r in buyer.query_selector_all("#statement tr[data-kind]")] == ["invoice", "payment"]
    assert invoice.number in buyer.inner_text("#statement")
    document = buyer.request.get(f"{http_server}{buyer.get_attribute('#statement-pdf', 'href')}")
    assert document.ok and document.body().startswith(b"%PDF")

    tomorrow = (supplier_today() + timedelta(days=1)).isoformat()
    buyer.fill("#from", tomorrow)
    buyer.fill("#to", tomorrow)
    submit(buyer, "#show-statement")
    assert buyer.inner_text("#opening-balance") == owed and buyer.inner_text("#closing-balance") == owed
    assert "Nothing was invoiced or paid" in buyer.inner_text("#statement")

    answer = buyer.goto(f"{http_server}/statement?from={tomorrow}&to={supplier_today()}")
    assert answer.status == 422 and "before the 'from' day" in buyer.inner_text("#statement-error")


def test_buyer_without_download_documents_sees_no_download_links_and_is_refused_the_urls(people, http_server, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    acme = accepted_order(world, workflows, orders=True, deliveries=True, invoices=True)
    dn = fulfilment.create_delivery_note(acme.order.id)
    invoice = invoicing.render_documents(invoicing.issue(acme.order.id).id)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    for path, row in (("/deliveries", f'#deliveries tr[data-id="{dn.id}"]'), ("/invoices", f'#invoices tr[data-id="{invoice.id}"]'),
                      (f"/invoices/{invoice.id}", "#invoice-number"), ("/statement", "#statement"),
                      (f"/orders/{acme.order.id}", "#order-invoices")):
        buyer.goto(f"{http_server}{path}")
        assert buyer.locator(row).count() == 1 and buyer.locator("a.download").count() == 0, path
    assert buyer.locator(f'#order-deliveries tr[data-id="{dn.id}"] .status').inner_text() == "Preparing"
    for path in (f"/invoices/{invoice.id}/pdf", f"/invoices/{invoice.id}/e-invoice", f"/deliveries/{dn.id}/pdf", "/statement/pdf"):
        answer = buyer.goto(f"{http_server}{path}")
        assert answer.status == 403 and "may not download documents" in buyer.inner_text("#problem"), path

    other = world.client("Other SRL", addresses=[HQ])
    stranger = people()
    sign_in(stranger, http_server, find_user(world.buyer(other)[0]).email)
    for path in (f"/invoices/{invoice.id}", f"/invoices/{invoice.id}/pdf", f"/deliveries/{dn.id}/pdf"):
        answer = stranger.goto(f"{http_server}{path}")
        assert answer.status == 404 and invoice.number not in stranger.content(), path
