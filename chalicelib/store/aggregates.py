"""Per-day aggregates for the reports, the once-only markers of the facts added to them, the products below
their minimum stock, and each contact's last sign-in. The layout (docs/data-model.md, "Report aggregates"):

    entity              pk                          sk                  notes
    daily aggregate     AGG#<kind>#<YYYY-MM>        <entity id>#<day>   kind: client, agent, product, contact
    receivable by due   AGG#receivable              <client id>#<due>   open amount per client and due date
    fact marker         AGGFACT#<source>            AGGFACT             written with the increments, once
    below minimum       STOCK_BELOW_MIN             <SKU>               present while available < min_stock

A report reads whole month partitions (one Query page each, a handful of items per entity and active day),
never the documents themselves; the number of calls depends on the period, not on how many orders there are.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Iterator

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import table_name
from chalicelib.domain.reports import MEASURES, RECEIVABLE, Fact
from chalicelib.store.attributes import DecimalAttribute, IntegerAttribute
from chalicelib.store.db import connection, failed_conditions
from chalicelib.store.models import Gsi1, TableItem, user_pk

MARKER_SK = "AGGFACT"
STOCK_PK = "STOCK_BELOW_MIN"


class AggregateItem(TableItem):
    """One entity's measures on one day; every measure is added to (ADD), never set."""

    kind = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    day = UnicodeAttribute()
    orders = DecimalAttribute(null=True)
    ordered = DecimalAttribute(null=True)
    invoiced = DecimalAttribute(null=True)
    invoices = DecimalAttribute(null=True)
    paid = DecimalAttribute(null=True)
    qty = DecimalAttribute(null=True)
    decided = DecimalAttribute(null=True)
    decision_minutes = DecimalAttribute(null=True)
    within_1h = DecimalAttribute(null=True)
    within_4h = DecimalAttribute(null=True)
    within_8h = DecimalAttribute(null=True)
    within_24h = DecimalAttribute(null=True)
    within_48h = DecimalAttribute(null=True)
    within_72h = DecimalAttribute(null=True)
    outstanding = DecimalAttribute(null=True)
    page_views = DecimalAttribute(null=True)
    logins = DecimalAttribute(null=True)


class FactMarker(TableItem):
    """A fact already added to the aggregates (its source names it)."""

    added_at = UTCDateTimeAttribute()


class StockBelowMinimumItem(TableItem):
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    unit = UnicodeAttribute(null=True)
    qty_available = IntegerAttribute()
    min_stock = IntegerAttribute()


class ContactLogin(TableItem):
    """A contact's user item, seen for the activity report: who, and the last sign-in (written alone)."""

    id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    last_login_at = UTCDateTimeAttribute(null=True)


def raw_item(pk: str, sk: str) -> dict[str, Any] | None:
    """Any item as stored, in DynamoDB's attribute-value form (what a stream image holds)."""
    return connection().get_item(table_name(), pk, sk, consistent_read=True).get("Item")


def partition(kind: str, day: date) -> str:
    return f"AGG#{RECEIVABLE}" if kind == RECEIVABLE else f"AGG#{kind}#{day.strftime('%Y-%m')}"


def month_partition(kind: str, month: str) -> str:
    return f"AGG#{kind}#{month}"


def _sort_key(entity: str, day: date) -> str:
    return f"{entity}#{day.isoformat()}"


def marker_pk(source: str) -> str:
    return f"AGGFACT#{source}"


def add_fact(fact: Fact) -> bool:
    """Add the fact's measures to its targets' day buckets, with its marker, in one transaction; False when
    the marker was there already (the fact was added before: a redelivered stream record)."""
    marker = FactMarker(marker_pk(fact.source), MARKER_SK, added_at=datetime.now(timezone.utc))
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(marker, condition=FactMarker.pk.does_not_exist())
            for kind, entity in fact.targets:
                item = AggregateItem(partition(kind, fact.day), _sort_key(entity, fact.day))
                actions = [AggregateItem.kind.set(kind), AggregateItem.entity_id.set(entity),
                           AggregateItem.day.set(fact.day.isoformat())]
                actions += [getattr(AggregateItem, name).add(value) for name, value in fact.measures.items()]
                tx.update(item, actions=actions)
    except TransactWriteError as exc:
        failed = failed_conditions(exc)  # the marker's put is the only conditional item
        if failed and any(failed):
            return False
        raise
    return True


def add_activity(kind: str, entity: str, day: date, measures: dict[str, Decimal]) -> None:
    """Count events that are not documents (page views, sign-ins): a plain ADD, no marker."""
    item = AggregateItem(partition(kind, day), _sort_key(entity, day))
    item.update(actions=[AggregateItem.kind.set(kind), AggregateItem.entity_id.set(entity),
                         AggregateItem.day.set(day.isoformat()),
                         *[getattr(AggregateItem, name).add(value) for name, value in measures.items()]])


def write_all(buckets: dict[tuple[str, str, date], dict[str, Decimal]], sources: Iterable[str]) -> None:
    """Store recomputed buckets and the markers of the facts they hold (BatchWriteItem): the rebuild's write."""
    now = datetime.now(timezone.utc)
    with AggregateItem.batch_write() as batch:
        for (kind, entity, day), measures in buckets.items():
            batch.save(AggregateItem(partition(kind, day), _sort_key(entity, day), kind=kind, entity_id=entity,
                                     day=day.isoformat(), **measures))
    with FactMarker.batch_write() as batch:
        for source in sources:
            batch.save(FactMarker(marker_pk(source), MARKER_SK, added_at=now))


def measures_of(item: AggregateItem) -> dict[str, Decimal]:
    return {name: getattr(item, name) for name in MEASURES if getattr(item, name, None) is not None}


def month(kind: str, month_key: str) -> Iterator[AggregateItem]:
    """Every entity's day buckets of one month (one Query, paged by DynamoDB)."""
    return AggregateItem.query(month_partition(kind, month_key))


def entity_month(kind: str, entity: str, month_key: str) -> Iterator[AggregateItem]:
    return AggregateItem.query(month_partition(kind, month_key), AggregateItem.sk.startswith(f"{entity}#"))


def receivables(client_id: str | None = None) -> Iterator[AggregateItem]:
    """Open amounts by client and due date (all clients, or one)."""
    if client_id:
        return AggregateItem.query(f"AGG#{RECEIVABLE}", AggregateItem.sk.startswith(f"{client_id}#"))
    return AggregateItem.query(f"AGG#{RECEIVABLE}")


def all_aggregates() -> Iterator[AggregateItem]:
    """Every aggregate item (the rebuild's comparison only: a Scan)."""
    return AggregateItem.scan(AggregateItem.pk.startswith("AGG#"))


def clear(items: Iterable[AggregateItem], markers: bool = True) -> None:
    """Delete aggregate items (and every fact marker): the rebuild's fresh start."""
    with AggregateItem.batch_write() as batch:
        for item in items:
            batch.delete(item)
    if markers:
        with FactMarker.batch_write() as batch:
            for marker in FactMarker.scan(FactMarker.pk.startswith("AGGFACT#")):
                batch.delete(marker)


# --- products below their minimum -----------------------------------------------------------------------

def set_below_minimum(sku: str, name: str, unit: str | None, qty_available: int, min_stock: int) -> None:
    StockBelowMinimumItem(STOCK_PK, sku, sku=sku, name=name, unit=unit, qty_available=qty_available,
                          min_stock=min_stock).save()


def clear_below_minimum(sku: str) -> None:
    StockBelowMinimumItem(STOCK_PK, sku).delete()


def below_minimum() -> list[StockBelowMinimumItem]:
    return list(StockBelowMinimumItem.query(STOCK_PK))


# --- sign-ins --------------------------------------------------------------------------------------------

def record_login(user_id: str, at: datetime) -> None:
    ContactLogin(user_pk(user_id), "USER").update(actions=[ContactLogin.last_login_at.set(at)])


def last_logins(user_ids: Iterable[str]) -> dict[str, ContactLogin]:
    """Name, email, client and last sign-in of these users (BatchGetItem, 100 keys a call)."""
    keys = [(user_pk(u), "USER") for u in sorted(set(user_ids))]
    return {login.pk.removeprefix("USER#"): login for login in (ContactLogin.batch_get(keys) if keys else [])}


# --- the names reports show -------------------------------------------------------------------------------

class ClientRow(TableItem):
    """A client as the reports see it (name, group, agent), listed by the CLIENTS index."""

    id = UnicodeAttribute()
    name = UnicodeAttribute()
    group_id = UnicodeAttribute(null=True)
    sale_agent_id = UnicodeAttribute(null=True)
    credit_limit = DecimalAttribute(null=True)
    balance = DecimalAttribute(null=True)
    uninvoiced_accepted = DecimalAttribute(null=True)  # services/credit.py: part of the credit exposure
    currency = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_name = Gsi1()


class NamedItem(TableItem):
    """A group or staff member, for its name."""

    id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)


def all_clients() -> list[ClientRow]:
    """Every client, by name (the CLIENTS index: one Query page per 1 MB)."""
    return list(ClientRow.by_name.query("CLIENTS"))


def clients(client_ids: Iterable[str]) -> dict[str, ClientRow]:
    keys = [(f"CLIENT#{c}", "CLIENT") for c in sorted(set(client_ids))]
    return {c.id: c for c in (ClientRow.batch_get(keys) if keys else [])}


def names(keys: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Names by pk (groups: GROUP#<id>/GROUP, staff: USER#<id>/USER), one BatchGetItem per 100."""
    wanted = sorted(set(keys))
    return {item.pk: item.name or "" for item in (NamedItem.batch_get(wanted) if wanted else [])}


def all_groups() -> dict[str, str]:
    """Every client group's name by id (the GROUPS index)."""
    return {g.id: g.name or "" for g in NamedGroup.by_name.query("GROUPS")}


class NamedGroup(TableItem):
    id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_name = Gsi1()
