"""Sales documents generated at scale for the reports: orders (with their lines), staff decisions, invoices and
payments, written as the store writes them (its key helpers) in batch writes. Used by the reports benchmark
(`python -m bench --only reports`) and by tests/test_aggregates.py (the rebuild proves the stream's sums).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

SKUS = tuple(f"RPT-{i:03d}" for i in range(20))


@dataclass
class SalesWorld:
    clients: list[str]
    agents: list[str]
    contacts: list[str]
    start: date
    days: int
    orders: list[Any] = field(default_factory=list)
    invoices: list[Any] = field(default_factory=list)
    payments: list[Any] = field(default_factory=list)
    decisions: list[Any] = field(default_factory=list)


def _items(world: SalesWorld, n: int, rng: random.Random) -> list[Any]:
    """Order n and the documents that followed it, as store items."""
    from chalicelib.store import invoices as invoice_store  # noqa: PLC0415
    from chalicelib.store import orders as order_store  # noqa: PLC0415
    from chalicelib.store.models import (  # noqa: PLC0415
        DeliveryAddressMap, InvoiceItem, LineMap, OrderHistoryItem, OrderItem, PaymentItem, VatMap,
    )

    day = world.start + timedelta(days=n % world.days)
    created = datetime.combine(day, time(8, 0), tzinfo=timezone.utc) + timedelta(minutes=n % 480)
    client = world.clients[n % len(world.clients)]
    agent = world.agents[client_index(world, client) % len(world.agents)] if world.agents else None
    lines = []
    for k in range(1 + n % 3):
        price = Decimal(10 + (n * 7 + k) % 90)
        qty = 1 + (n + k) % 5
        sku = SKUS[(n + k * 3) % len(SKUS)]
        lines.append(LineMap(sku=sku, name=f"Product {sku}", unit="pcs", qty=qty, unit_price=price,
                             vat_rate=Decimal(19), line_total=price * qty, price_source="base", price_list_id=None))
    subtotal = sum((line.line_total for line in lines), Decimal(0))
    vat = (subtotal * Decimal("0.19")).quantize(Decimal("0.01"))
    order = OrderItem(id=f"so_rpt{n:07d}", number=f"SO-R{n:07d}", client_id=client, client_name=f"Client {client}",
                      contact_id=world.contacts[n % len(world.contacts)], contact_email="buyer@client.example",
                      sale_agent_id=agent, status="accepted", review="approved", lines=lines, subtotal=subtotal,
                      vat_total=vat, total=subtotal + vat, currency="EUR",
                      delivery_address=DeliveryAddressMap(label="HQ", line1="Str. 1", city="Cluj", postcode="400000", country="RO"),
                      created_at=created, updated_at=created, version=1)
    order.pk, order.sk = order_store.order_pk(order.id), "ORDER"
    order_store._index(order)
    items: list[Any] = [order]
    world.orders.append(order)
    if n % 5 != 4:  # four in five decided by staff (the fifth was auto-approved: no decision)
        for k, hours in enumerate((1 + (n % 30), 2 + (n % 30))[: 1 + n % 2]):  # some decided twice: the first counts
            at = created + timedelta(hours=hours, minutes=k)
            history = OrderHistoryItem(order.pk, f"HISTORY#{at.isoformat()}#{n % 997:06d}", at=at, actor=agent or "admin",
                                       event="approve" if k == 0 else "modify", status="accepted")
            items.append(history)
            world.decisions.append(history)
    if n % 10 < 7:  # seven in ten invoiced
        issue = day + timedelta(days=1)
        invoice = InvoiceItem(id=f"inv_rpt{n:07d}", number=f"INV-R{n:07d}", order_id=order.id, order_number=order.number,
                              source_id=order.id, client_id=client, client_name=order.client_name,
                              contact_email="buyer@client.example", status="unpaid", issue_date=issue,
                              due_date=issue + timedelta(days=30), payment_term_days=30, currency="EUR", lines=lines,
                              vat_breakdown=[VatMap(rate=Decimal(19), taxable=subtotal, vat=vat)], subtotal=subtotal,
                              vat_total=vat, total=order.total, amount_paid=Decimal(0),
                              created_at=created, version=1)
        invoice.pk, invoice.sk = invoice_store.invoice_pk(invoice.id), "INVOICE"
        if n % 3 == 0:  # a third paid, half of those in two payments
            parts = [invoice.total] if n % 2 else [(invoice.total / 2).quantize(Decimal("0.01"))] * 2
            parts[-1] = invoice.total - sum(parts[:-1], Decimal(0))
            for k, amount in enumerate(parts):
                payment = PaymentItem(invoice.pk, f"PAYMENT#pay_rpt{n:07d}_{k}", id=f"pay_rpt{n:07d}_{k}",
                                      invoice_id=invoice.id, amount=amount, paid_on=issue + timedelta(days=5 + k * 10),
                                      method="bank_transfer", recorded_by="finance", created_at=created)
                items.append(payment)
                world.payments.append(payment)
            invoice.amount_paid, invoice.status = invoice.total, "paid"
        invoice_store._index(invoice)
        items.append(invoice)
        world.invoices.append(invoice)
    return items


def client_index(world: SalesWorld, client: str) -> int:
    return world.clients.index(client)


def generate(world: SalesWorld, first: int, count: int, *, seed: int = 14) -> None:
    """Write orders first..first+count-1 and what followed them (batch writes; the table's stream sees each)."""
    from chalicelib.store.models import TableItem  # noqa: PLC0415

    rng = random.Random(seed + first)
    with TableItem.batch_write() as batch:
        for n in range(first, first + count):
            for item in _items(world, n, rng):
                batch.save(item)


# --- the benchmark: every report at a constant number of AWS calls as the orders grow -----------------------

REPORT_PERIOD = 120  # days of generated sales; reports ask for the whole period


def measure(sizes: tuple[int, ...] = (1_000, 10_000), runs: int = 2) -> list[dict[str, Any]]:
    """Each report's AWS calls (and scans, and time) per request at each size of the order book."""
    from bench.local import Harness  # noqa: PLC0415
    from chalicelib.domain.reports import REPORTS  # noqa: PLC0415
    from chalicelib.services import aggregates  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    h = Harness().start()
    rows: list[dict[str, Any]] = []
    try:
        world = World()
        _, admin = world.staff("admin")
        agents = [world.staff("agent")[0] for _ in range(3)]
        group = world.group("Installers")
        clients = [world.client(f"Client {i:02d}", sale_agent_id=agents[i % 3], group_id=group if i % 2 else None)
                   for i in range(12)]
        contacts = [world.buyer(clients[i])[0] for i in range(3)]
        for i, sku in enumerate(SKUS[:5]):  # a few products below their minimum
            world.product(sku, qty_on_hand=i)
            _set_min_stock(sku, 10)
            aggregates.update_reports_for_product(sku)
        today = date.today()
        sales = SalesWorld(clients=clients, agents=[agents[i % 3] for i in range(12)], contacts=contacts,
                           start=today - timedelta(days=REPORT_PERIOD - 1), days=REPORT_PERIOD)
        written = 0
        query = f"?from={sales.start.isoformat()}&to={today.isoformat()}"
        for size in sizes:
            with h.direct_writes():
                generate(sales, written, size - written)
            written = size
            _keep_aggregates(sales, h)  # what the stream consumer would have kept
            for name in REPORTS:
                scopes = [h.request(f"report:{name}", "GET", f"/admin/reports/{name}{query}", token=admin)[1]
                          for _ in range(runs)]
                last = scopes[-1]
                rows.append({"report": name, "orders": size, "aws_calls": max(s.count() for s in scopes),
                             "scans": len(last.scans), "calls_by_operation": last.by_operation(),
                             "ms_p50": round(sorted(s.app_ms for s in scopes)[len(scopes) // 2], 1),
                             "ms_total_p50": round(sorted(s.wall_ms for s in scopes)[len(scopes) // 2], 1)})
    finally:
        h.stop()
    return rows


def _keep_aggregates(sales: SalesWorld, h: Any) -> None:
    """The buckets the stream consumer keeps, from the generated documents (the same facts; moto's Scan of a 10k-order
    table is too slow to rebuild from the table itself), written with direct batch writes."""
    from chalicelib.services import aggregates  # noqa: PLC0415
    from chalicelib.store import aggregates as store  # noqa: PLC0415

    docs = aggregates.ScannedDocuments(
        items={"order": sales.orders, "history": sales.decisions, "invoice": sales.invoices, "payment": sales.payments},
        orders={o.id: o for o in sales.orders}, invoices={i.id: i for i in sales.invoices})
    with h.direct_writes():
        store.write_all(aggregates.expected_aggregates(docs), ())


def _scan_pages():
    import boto3  # noqa: PLC0415

    from chalicelib.config import table_name  # noqa: PLC0415

    return boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table_name())


def _set_min_stock(sku: str, minimum: int) -> None:
    import boto3  # noqa: PLC0415

    from chalicelib.config import table_name  # noqa: PLC0415

    boto3.client("dynamodb").update_item(TableName=table_name(), Key={"pk": {"S": f"PRODUCT#{sku}"}, "sk": {"S": "PRODUCT"}},
                                         UpdateExpression="SET min_stock = :m", ExpressionAttributeValues={":m": {"N": str(minimum)}})


def markdown(rows: list[dict[str, Any]]) -> str:
    sizes = sorted({r["orders"] for r in rows})
    by = {(r["report"], r["orders"]): r for r in rows}
    lines = ["| report | " + " | ".join(f"AWS calls at {s:,} orders" for s in sizes) + " | scans | ms (app, largest) |",
             "|---|" + "---|" * len(sizes) + "---|---|"]
    for name in dict.fromkeys(r["report"] for r in rows):
        calls = [by[(name, s)]["aws_calls"] for s in sizes]
        lines.append(f"| {name} | " + " | ".join(str(c) for c in calls)
                     + f" | {max(by[(name, s)]['scans'] for s in sizes)} | {by[(name, sizes[-1])]['ms_p50']} |")
    constant = all(len({by[(n, s)]["aws_calls"] for s in sizes}) == 1 for n in dict.fromkeys(r["report"] for r in rows))
    lines.append("")
    lines.append("Constant from the smallest to the largest order book: " + ("yes" if constant else "NO"))
    return "\n".join(lines)
