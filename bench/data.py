"""Benchmark worlds: a catalogue of N SKUs priced through all five levels, and documents at scale.

Products go in through the application's own bulk path (`setup.import_products`, batched writes);
price items, invoices and orders as correctly shaped store items (the store models and their key
helpers), in batched writes. `Harness.direct_writes()` carries those batches into moto in-process.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

CATEGORIES = [("Cables", "CAB"), ("Networking", "NET"), ("Power", "PWR"), ("Storage", "STO"), ("Tools", "TLS"),
              ("Lighting", "LGT"), ("Security", "SEC"), ("Accessories", "ACC"), ("Audio", "AUD"), ("Office", "OFF")]
NOUNS = ["cable", "switch", "router", "adapter", "battery", "camera", "sensor", "drive", "panel", "bulb",
         "charger", "keyboard", "speaker", "monitor", "printer", "antenna", "relay", "socket", "tester", "bracket"]
ADJECTIVES = ["wireless", "compact", "industrial", "outdoor", "modular", "rugged", "silent", "digital", "smart", "slim"]
VARIANTS = ["basic", "pro", "max", "mini", "plus"]



def lists_pricing(n: int) -> list[tuple[str, str]]:
    """(level, price factor) of the lists that price the n-th SKU of its category. Overlapping on purpose, so
    precedence matters; every page of 50 holds all five levels (client, group, promotion, default, base)."""
    levels = []
    if n % 10 == 0:
        levels.append(("client", "0.80"))
    if n % 6 in (0, 1):
        levels.append(("group", "0.85"))
    if n % 13 == 3:
        levels.append(("promotion", "0.70"))
    if n % 4 in (0, 1):
        levels.append(("default", "0.95"))
    return levels


def product_row(i: int) -> dict[str, Any]:
    """The i-th product of the benchmark catalogue (deterministic)."""
    category, prefix = CATEGORIES[i % len(CATEGORIES)]
    rnd = random.Random(i)
    name = f"{rnd.choice(ADJECTIVES).title()} {rnd.choice(NOUNS)} {rnd.choice(VARIANTS).title()}"
    return {
        "sku": f"{prefix}-{i // len(CATEGORIES):06d}", "name": name, "category": category, "unit": "pcs",
        "base_price": Decimal(10 + i % 400) + Decimal(i % 100) / 100, "currency": "EUR", "vat_rate": Decimal("19"),
        "min_qty": None, "max_qty": None, "portal_visible": True, "qty_on_hand": 1000,
    }


def sku_at(i: int) -> str:
    return product_row(i)["sku"]


def list_price(i: int, factor: str) -> Decimal:
    return (Decimal(factor) * (Decimal(10) + i % 50)).quantize(Decimal("0.01"))


@dataclass
class CatalogueWorld:
    client_id: str
    buyer_token: str
    admin_token: str
    lists: dict[str, str]  # level -> price list id
    skus: int = 0
    load_seconds: dict[int, float] = field(default_factory=dict)


def build_catalogue_world(harness: Any) -> CatalogueWorld:
    """A client in a group, with its own list, its group's list, an active (and an expired) promotion and a default list."""
    from chalicelib.services import price_lists, setup  # noqa: PLC0415
    from chalicelib.services.pricing import supplier_today  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    world = World()
    admin = world.admin_token()
    group = setup.create_group("Bench resellers").id
    client = world.client("Bench client SRL", group_id=group, credit_limit=Decimal("100000000"), vat_number="RO999",
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    today = supplier_today()
    lists = {
        "client": price_lists.create({"name": "Bench client list", "currency": "EUR", "client_id": client}).id,
        "group": price_lists.create({"name": "Bench group list", "currency": "EUR", "group_id": group}).id,
        "promotion": price_lists.create({"name": "Bench promotion", "currency": "EUR", "is_promotion": True,
                                         "valid_from": today - timedelta(days=5), "valid_to": today + timedelta(days=30)}).id,
        "expired_promotion": price_lists.create({"name": "Bench old promotion", "currency": "EUR", "is_promotion": True,
                                                 "valid_from": today - timedelta(days=90), "valid_to": today - timedelta(days=60)}).id,
        "default": price_lists.create({"name": "Bench default", "currency": "EUR", "is_default": True}).id,
    }
    return CatalogueWorld(client, buyer, admin, lists)


def grow_catalogue(harness: Any, world: CatalogueWorld, size: int, chunk: int = 5000) -> float:
    """Add products (and their list prices) until the catalogue holds `size` SKUs; returns seconds taken."""
    import time  # noqa: PLC0415

    from chalicelib.services import setup  # noqa: PLC0415
    from chalicelib.store.models import PriceItem, price_item_sk, price_list_pk  # noqa: PLC0415

    started = time.perf_counter()
    with harness.direct_writes():
        for first in range(world.skus, size, chunk):
            indexes = range(first, min(first + chunk, size))
            setup.import_products([product_row(i) for i in indexes])
            with PriceItem.batch_write() as batch:
                for i in indexes:
                    sku = sku_at(i)
                    for level, factor in lists_pricing(i // len(CATEGORIES)):
                        batch.save(PriceItem(price_list_pk(world.lists[level]), price_item_sk(sku), sku=sku,
                                             price=list_price(i, factor)))
    world.skus = size
    seconds = time.perf_counter() - started
    world.load_seconds[size] = seconds
    return seconds


# --- documents ----------------------------------------------------------------------------------

@dataclass
class DocumentWorld:
    client_id: str
    client_name: str
    buyer_token: str
    buyer_email: str
    contact_id: str
    agent_token: str
    admin_token: str
    order_id: str = ""
    invoices: int = 0  # all invoices in the table
    client_invoices: int = 0  # the buyer's client's
    drafts: int = 0
    overdue_ids: list[str] = field(default_factory=list)
    serial: int = 0


def build_document_world(harness: Any) -> DocumentWorld:
    from chalicelib.services import setup  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    world = World()
    admin = world.admin_token()
    _, agent = world.staff("agent")
    client = world.client("Bench documents SRL", credit_limit=Decimal("100000000"),
                          addresses=[{"label": "HQ", "line1": "Str. 2", "city": "Iasi", "postcode": "700000", "country": "RO"}])
    contact_id, buyer = world.buyer(client)
    from chalicelib.store.users import find_user  # noqa: PLC0415

    email = find_user(contact_id).email
    with harness.direct_writes():
        setup.import_products([product_row(i) for i in range(200)])
    return DocumentWorld(client, "Bench documents SRL", buyer, email, contact_id, agent, admin)


def _money(n: int) -> Decimal:
    return Decimal(100 + n % 900) + Decimal(n % 100) / 100


def _line(n: int) -> Any:
    from chalicelib.store.models import LineMap  # noqa: PLC0415

    price = _money(n)
    return LineMap(sku=sku_at(n % 200), name=f"Product {n % 200}", unit="pcs", qty=2, unit_price=price,
                   vat_rate=Decimal("19"), line_total=price * 2, price_source="base", price_list_id=None)


def invoice_item(world: DocumentWorld, n: int, *, client_id: str, issue: date, due: date, status: str = "unpaid") -> Any:
    from chalicelib.store import invoices as invoice_store  # noqa: PLC0415
    from chalicelib.store.models import InvoiceItem, VatMap  # noqa: PLC0415

    line = _line(n)
    vat = (line.line_total * Decimal("0.19")).quantize(Decimal("0.01"))
    invoice = InvoiceItem(
        id=f"inv_bench{n:07d}", number=f"INV-{issue.year}-B{n:07d}", order_id=f"so_bench{n:07d}",
        order_number=f"SO-{issue.year}-B{n:07d}", source_id=f"so_bench{n:07d}", client_id=client_id,
        client_name=world.client_name if client_id == world.client_id else f"Other client {n % 50}",
        contact_email=world.buyer_email, status=status, issue_date=issue, due_date=due, payment_term_days=30,
        currency="EUR", lines=[line], vat_breakdown=[VatMap(rate=Decimal("19"), taxable=line.line_total, vat=vat)],
        subtotal=line.line_total, vat_total=vat, total=line.line_total + vat, amount_paid=Decimal(0),
        created_at=datetime.combine(issue, datetime.min.time(), tzinfo=timezone.utc), version=1,
    )
    invoice.pk, invoice.sk = invoice_store.invoice_pk(invoice.id), invoice_store.INVOICE_SK
    invoice_store._index(invoice)  # the store's own key layout (gsi1 by client, gsi2 by order, gsi3 by status/due)
    return invoice


def draft_order(world: DocumentWorld, n: int, created: datetime) -> Any:
    from chalicelib.store import orders as order_store  # noqa: PLC0415
    from chalicelib.store.models import DeliveryAddressMap, OrderItem  # noqa: PLC0415

    line = _line(n)
    vat = (line.line_total * Decimal("0.19")).quantize(Decimal("0.01"))
    order = OrderItem(
        id=f"so_draft{n:07d}", number=f"SO-{created.year}-D{n:07d}", client_id=f"cli_other{n % 50:03d}",
        client_name=f"Other client {n % 50}", contact_id="usr_bench", contact_email="buyer@other.example",
        sale_agent_id=None, status="draft", review="pending", lines=[line], subtotal=line.line_total, vat_total=vat,
        total=line.line_total + vat, currency="EUR",
        delivery_address=DeliveryAddressMap(label="HQ", line1="Str. 3", city="Brasov", postcode="500000", country="RO"),
        created_at=created, updated_at=created, version=1,
    )
    order.pk, order.sk = order_store.order_pk(order.id), order_store.ORDER_SK
    order_store._index(order)  # the store's own key layout (gsi1 by client, gsi2 by status)
    return order


def grow_documents(harness: Any, world: DocumentWorld, *, invoices: int, client_invoices: int, drafts: int,
                   overdue: int, today: date) -> None:
    """Bring the table to `invoices` invoices (`client_invoices` of them the buyer's client's) and `drafts`
    draft orders; `overdue` invoices are due and not yet reminded (earlier overdue ones are settled first, so
    every reminder run has the same work whatever the table's size). Other invoices are due in the future."""
    from chalicelib.store.models import InvoiceItem, OrderItem  # noqa: PLC0415

    with harness.direct_writes():
        with InvoiceItem.batch_write() as batch:
            for invoice_id in world.overdue_ids:  # last stage's overdue invoices: paid meanwhile
                from chalicelib.store import invoices as invoice_store  # noqa: PLC0415

                paid = invoice_store.get(invoice_id)
                paid.status, paid.amount_paid = "paid", paid.total
                invoice_store._index(paid)
                batch.save(paid)
            world.overdue_ids = []
            for k in range(overdue):
                world.serial += 1
                issue = today - timedelta(days=33)
                item = invoice_item(world, world.serial, client_id=world.client_id, issue=issue, due=today - timedelta(days=3))
                world.overdue_ids.append(item.id)
                batch.save(item)
            world.client_invoices += overdue
            world.invoices += overdue
            while world.invoices < invoices:
                world.serial += 1
                mine = world.client_invoices < client_invoices
                issue = today - timedelta(days=world.serial % 25)
                item = invoice_item(world, world.serial, client_id=world.client_id if mine else f"cli_other{world.serial % 50:03d}",
                                    issue=issue, due=issue + timedelta(days=30 + world.serial % 30))
                batch.save(item)
                world.invoices += 1
                world.client_invoices += int(mine)
        with OrderItem.batch_write() as batch:
            start = datetime.now(timezone.utc) - timedelta(days=30)
            while world.drafts < drafts:
                world.drafts += 1
                batch.save(draft_order(world, world.drafts, start + timedelta(seconds=world.drafts)))


def attach_documents(harness: Any, world: DocumentWorld, today: date) -> None:
    """A delivery note and an invoice for the order the buyer placed, so its detail page reads both."""
    from chalicelib.store import delivery_notes as dn_store  # noqa: PLC0415
    from chalicelib.store import orders as order_store  # noqa: PLC0415
    from chalicelib.store.models import DeliveryNoteItem, ShipLineMap  # noqa: PLC0415

    order = order_store.get(world.order_id)
    at = datetime.now(timezone.utc)
    dn = DeliveryNoteItem(id=f"dn_{order.id}", number="DN-B-000001", order_id=order.id, order_number=order.number,
                          client_id=order.client_id, status="shipped", awb="AWB123", courier="Sandbox", version=1,
                          lines=[ShipLineMap(sku=m.sku, name=m.name, unit=m.unit, qty=m.qty) for m in order.lines],
                          created_at=at, updated_at=at, shipped_at=at)
    dn.pk, dn.sk = dn_store.dn_pk(dn.id), dn_store.DN_SK
    dn_store._index(dn)
    world.serial += 1
    invoice = invoice_item(world, world.serial, client_id=world.client_id, issue=today, due=today + timedelta(days=30))
    invoice.order_id, invoice.order_number = order.id, order.number
    from chalicelib.store import invoices as invoice_store  # noqa: PLC0415

    invoice_store._index(invoice)
    with harness.direct_writes():
        with DeliveryNoteItem.batch_write() as batch:
            batch.save(dn)
            batch.save(invoice)
    world.invoices += 1
    world.client_invoices += 1
