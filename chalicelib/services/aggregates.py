"""The report aggregates kept up to date from the table's stream, and rebuilt from the documents.

The stream consumer calls `handle_change` for every record; the facts a document implies come from one
function (`facts_of`), whether it reads a stream image or a rebuild's scan, so both arrive at the same numbers.
Each fact is added once (its marker is written in the same transaction), so redelivered records change nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable, Protocol

from pynamodb.models import Model

from chalicelib.domain import reports as rules
from chalicelib.domain.reports import Fact
from chalicelib.store import aggregates as store
from chalicelib.store.models import InvoiceItem, OrderHistoryItem, OrderItem, PaymentItem, ProductItem


class Documents(Protocol):
    """Where the facts' related documents come from (the table, or a rebuild's scan)."""

    def order(self, order_id: str) -> OrderItem | None: ...

    def invoice(self, invoice_id: str) -> InvoiceItem | None: ...


class TableDocuments:
    """Related documents read from the table, one GetItem each (the stream consumer's side)."""

    def order(self, order_id: str) -> OrderItem | None:
        try:
            return OrderItem.get(f"ORDER#{order_id}", "ORDER")
        except OrderItem.DoesNotExist:
            return None

    def invoice(self, invoice_id: str) -> InvoiceItem | None:
        try:
            return InvoiceItem.get(f"INVOICE#{invoice_id}", "INVOICE")
        except InvoiceItem.DoesNotExist:
            return None


def order_values(order: OrderItem) -> dict[str, Any]:
    return {"id": order.id, "client_id": order.client_id, "sale_agent_id": order.sale_agent_id,
            "contact_id": order.contact_id, "total": order.total, "created_at": order.created_at,
            "lines": [{"sku": line.sku, "qty": line.qty, "line_total": line.line_total} for line in order.lines]}


def invoice_values(invoice: InvoiceItem) -> dict[str, Any]:
    return {"id": invoice.id, "client_id": invoice.client_id, "status": invoice.status, "total": invoice.total,
            "issue_date": invoice.issue_date, "due_date": invoice.due_date}


def kind_of(pk: str, sk: str) -> str | None:
    """Which document a key names, for the ones that carry facts."""
    if pk.startswith("ORDER#"):
        if sk == "ORDER":
            return "order"
        if sk.startswith("HISTORY#"):
            return "history"
    if pk.startswith("INVOICE#"):
        if sk == "INVOICE":
            return "invoice"
        if sk.startswith("PAYMENT#"):
            return "payment"
    if pk.startswith("PRODUCT#") and sk == "PRODUCT":
        return "product"
    return None


def facts_of(kind: str, item: Model, documents: Documents) -> list[Fact]:
    """The facts a document's stored state implies."""
    if kind == "order":
        return rules.order_placed(order_values(item))
    if kind == "history":
        if item.event not in rules.DECISIONS:
            return []
        order = documents.order(item.pk.removeprefix("ORDER#"))
        return rules.order_decided(order_values(order), item.at) if order else []
    if kind == "invoice":
        order = documents.order(item.order_id)
        return rules.invoice_issued(invoice_values(item), order.sale_agent_id if order else None)
    if kind == "payment":
        invoice = documents.invoice(item.invoice_id)
        if invoice is None:
            return []
        order = documents.order(invoice.order_id)
        return rules.payment_received({"id": item.id, "amount": item.amount, "paid_on": item.paid_on},
                                      invoice_values(invoice), order.sale_agent_id if order else None)
    return []


MODELS: dict[str, type[Model]] = {"order": OrderItem, "history": OrderHistoryItem, "invoice": InvoiceItem,
                                  "payment": PaymentItem, "product": ProductItem}


def _wanted(kind: str, event_name: str, old_image: dict[str, Any] | None) -> bool:
    """Only the changes that can bring a new fact: new documents, and an invoice leaving draft."""
    if event_name == "INSERT":
        return True
    if event_name == "MODIFY" and kind == "invoice":
        return (old_image or {}).get("status", {}).get("S") == "draft"
    return False


def handle_change(event_name: str, keys: dict[str, Any], new_image: dict[str, Any] | None = None,
                  old_image: dict[str, Any] | None = None, documents: Documents | None = None) -> int:
    """Bring the aggregates up to date with one stream record; returns the facts added (0 when redelivered)."""
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    kind = kind_of(pk, sk)
    if kind is None:
        return 0
    if kind == "product":
        _track_minimum(event_name, pk, new_image, old_image)
        return 0
    if not new_image or not _wanted(kind, event_name, old_image):
        return 0
    item = MODELS[kind].from_raw_data(new_image)
    return sum(store.add_fact(fact) for fact in facts_of(kind, item, documents or TableDocuments()))


def update_reports_for_product(sku: str) -> None:
    """Put the product on (or off) the below-minimum list as it is stored now."""
    pk = f"PRODUCT#{sku.upper()}"
    _track_minimum("MODIFY", pk, store.raw_item(pk, "PRODUCT"))


def current_image(keys: dict[str, Any]) -> dict[str, Any] | None:
    """The item as stored now, in the stream's image form (for a record replayed from its keys only)."""
    return store.raw_item(keys["pk"]["S"], keys["sk"]["S"])


def _track_minimum(event_name: str, pk: str, new_image: dict[str, Any] | None,
                   old_image: dict[str, Any] | None = None) -> None:
    """Keep the below-minimum list in step with the product (put or delete: safe to repeat), and announce the
    change that takes a product below its minimum (`stock.below_minimum`, for the automation rules)."""
    sku = pk.removeprefix("PRODUCT#")
    state = below_minimum_state(new_image) if event_name != "REMOVE" and new_image else None
    if state is None:
        store.clear_below_minimum(sku)
        return
    store.set_below_minimum(sku, *state)
    if old_image and below_minimum_state(old_image) is None:
        _announce_below_minimum(sku, state, old_image, new_image)


def _announce_below_minimum(sku: str, state: tuple[str, str | None, int, int], old_image: dict[str, Any],
                            new_image: dict[str, Any]) -> None:
    """Keyed by the day and the stock figures before and after: a redelivered record is the same event, a product
    that dips below its minimum again another day is a new one."""
    from chalicelib.services import events  # noqa: PLC0415 - the rebuild's side never announces
    from chalicelib.services.pricing import supplier_today  # noqa: PLC0415

    name, unit, available, minimum = state
    before = ProductItem.from_raw_data(old_image).qty_available
    events.announce("stock.below_minimum", f"{sku}:{supplier_today().isoformat()}:{before}>{available}",
                    sku=sku, name=name, unit=unit, qty_available=available, min_stock=minimum)


def below_minimum_state(image: dict[str, Any]) -> tuple[str, str | None, int, int] | None:
    """(name, unit, available, minimum) when the product's available stock is below its minimum."""
    raw_min = (image.get("min_stock") or {}).get("N")
    if raw_min is None:
        return None
    product = ProductItem.from_raw_data(image)
    minimum = int(Decimal(raw_min))
    if minimum <= 0 or product.qty_available >= minimum:
        return None
    return product.name, product.unit, product.qty_available, minimum


# --- rebuild from the documents ---------------------------------------------------------------------------

@dataclass
class ScannedDocuments:
    """Every document with facts, from one scan of the table (the rebuild's side)."""

    items: dict[str, list[Model]] = field(default_factory=dict)
    raw_products: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[str, OrderItem] = field(default_factory=dict)
    invoices: dict[str, InvoiceItem] = field(default_factory=dict)

    def order(self, order_id: str) -> OrderItem | None:
        return self.orders.get(order_id)

    def invoice(self, invoice_id: str) -> InvoiceItem | None:
        return self.invoices.get(invoice_id)


def scan_documents(pages: Iterable[dict[str, Any]]) -> ScannedDocuments:
    docs = ScannedDocuments()
    for page in pages:
        for raw in page.get("Items", []):
            kind = kind_of(raw["pk"]["S"], raw["sk"]["S"])
            if kind is None:
                continue
            if kind == "product":
                docs.raw_products.append(raw)
                continue
            item = MODELS[kind].from_raw_data(raw)
            docs.items.setdefault(kind, []).append(item)
            if kind == "order":
                docs.orders[item.id] = item
            elif kind == "invoice":
                docs.invoices[item.id] = item
    return docs


def all_facts(docs: ScannedDocuments) -> list[Fact]:
    """Every document's facts, in the order the stream would have seen them (an order's decisions by time, so
    the first decision is the one counted)."""
    facts: list[Fact] = []
    for kind in ("order", "invoice", "payment"):
        for item in docs.items.get(kind, []):
            facts += facts_of(kind, item, docs)
    for item in sorted(docs.items.get("history", []), key=lambda h: (h.pk, h.sk)):
        facts += facts_of("history", item, docs)
    return facts


def expected_aggregates(docs: ScannedDocuments) -> dict[tuple[str, str, date], dict[str, Decimal]]:
    """What the aggregates should hold: every document's facts, each once."""
    return rules.add_up(all_facts(docs))


def stored_aggregates(items: Iterable[store.AggregateItem]) -> dict[tuple[str, str, date], dict[str, Decimal]]:
    """The stored aggregates from the documents' facts (activity counters are not documents: left out)."""
    found: dict[tuple[str, str, date], dict[str, Decimal]] = {}
    for item in items:
        measures = {k: v for k, v in store.measures_of(item).items() if k not in ("page_views", "logins")}
        if measures:
            found[(item.kind, item.entity_id, date.fromisoformat(item.day))] = measures
    return found


def differences(expected: dict, stored: dict) -> list[str]:
    """Human lines for every bucket and measure where the two disagree (zeros count as absent)."""
    lines = []
    for key in sorted(set(expected) | set(stored), key=lambda k: (k[0], k[1], k[2])):
        want = {m: v for m, v in expected.get(key, {}).items() if v}
        have = {m: v for m, v in stored.get(key, {}).items() if v}
        if want != have:
            lines.append(f"{key[0]} {key[1]} {key[2]}: expected {want or '{}'}, stored {have or '{}'}")
    return lines


@dataclass
class RebuildResult:
    buckets: int
    differences: list[str]
    rewritten: bool
    below_minimum: int


def rebuild(scan_pages: Callable[[], Iterable[dict[str, Any]]], *, write: bool) -> RebuildResult:
    """Recompute the aggregates from the documents and compare them with the stored ones; with `write`, replace
    the stored ones (and the markers) with the recomputed ones when they differ."""
    docs = scan_documents(scan_pages())
    expected = expected_aggregates(docs)
    current = list(store.all_aggregates())
    diff = differences(expected, stored_aggregates(current))
    below = 0
    for raw in docs.raw_products:
        state = below_minimum_state(raw)
        if write:
            _track_minimum("MODIFY", raw["pk"]["S"], raw)
        below += state is not None
    if write and diff:
        activity = [i for i in current if i.kind == rules.CONTACT and (i.page_views or i.logins)]
        store.clear(current)
        store.write_all(expected, {fact.source for fact in all_facts(docs)})
        for item in activity:  # sign-ins and page views are no documents' facts: kept as they were
            store.add_activity(item.kind, item.entity_id, date.fromisoformat(item.day),
                               {k: v for k, v in (("page_views", item.page_views), ("logins", item.logins)) if v})
    return RebuildResult(len(expected), diff, bool(write and diff), below)
