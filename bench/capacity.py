"""DynamoDB request units estimated from the items a call reads and writes.

moto answers `ReturnConsumedCapacity` with fixed numbers (1.0 or 0.5 per call, whatever the size), so
the cost model uses this estimate instead, following DynamoDB's published sizing rules:

- item size = attribute names + values (strings as UTF-8, numbers ~1 byte per 2 significant digits
  + 1, lists and maps 3 bytes + 1 per element, booleans and nulls 1 byte);
- reads: 4 KB units, half a unit when eventually consistent, a minimum of one unit per item read
  (GetItem, BatchGetItem) or per request (Query: the page's total size); transactions double;
- writes: 1 KB units per item; transactions double; every GSI that holds the item costs its own
  write (item size + 100 bytes of index overhead), twice when the write moves the item's index key
  (delete from the old key + put under the new one).

What it cannot see it approximates, and says so here: items a Query filter discarded are sized like
the ones it returned; deletes count one unit; an update's new image comes from `ReturnValues` or
from `lookup` (the local stack reads moto's table after the call).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, Callable, Iterable

Item = dict[str, Any]
Lookup = Callable[[str, Item], "Item | None"]  # (table, key) -> item as stored, after the call

GSI_OVERHEAD_BYTES = 100


def number_size(text: str) -> int:
    digits = str(Decimal(text).normalize()).lstrip("-").replace(".", "")
    if "E" in digits:
        digits = digits.split("E")[0]
    digits = digits.strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(number_size(n) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + sum(1 + value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + value_size(e) for k, e in v.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Item | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / 4096))
    if transactional:
        return units * 2.0
    return float(units) if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / 1024))
    return units * (2.0 if transactional else 1.0)


class Estimator:
    """Callable (operation, error code, API params, parsed response) -> (rru, wru)."""

    def __init__(self, gsis: dict[str, list[tuple[str, str]]] | None = None, lookup: Lookup | None = None):
        self.gsis = gsis or {}  # table -> [(hash attr, range attr)] of its global secondary indexes
        self.lookup = lookup

    def __call__(self, operation: str, error: str, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            return 0.0, 0.0
        if error:
            # A failed conditional write still consumes a write; a cancelled transaction consumes its reads/writes.
            return self._failed(operation, params)
        return handler(params, parsed)

    # --- reads ------------------------------------------------------------------------------
    def _GetItem(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        return read_units(item_size(parsed.get("Item")), consistent=bool(params.get("ConsistentRead"))), 0.0

    def _BatchGetItem(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        rru = 0.0
        for table, request in params.get("RequestItems", {}).items():
            found = parsed.get("Responses", {}).get(table, [])
            consistent = bool(request.get("ConsistentRead"))
            unprocessed = len(parsed.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))
            missing = max(len(request.get("Keys", [])) - len(found) - unprocessed, 0)
            rru += sum(read_units(item_size(i), consistent=consistent) for i in found)
            rru += missing * read_units(0, consistent=consistent)
        return rru, 0.0

    def _Query(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        items = parsed.get("Items", [])
        total = sum(item_size(i) for i in items)
        scanned, count = parsed.get("ScannedCount", len(items)), parsed.get("Count", len(items))
        if scanned > count:
            total = total * scanned / count if count else scanned * GSI_OVERHEAD_BYTES
        return read_units(int(total), consistent=bool(params.get("ConsistentRead"))), 0.0

    _Scan = _Query

    def _TransactGetItems(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        responses = parsed.get("Responses", [])
        return sum(read_units(item_size(r.get("Item")), transactional=True) for r in responses), 0.0

    # --- writes ------------------------------------------------------------------------------
    def _PutItem(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        return 0.0, self._write(params["TableName"], params.get("Item"), moved=set())

    def _UpdateItem(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        table = params["TableName"]
        image = parsed.get("Attributes") if params.get("ReturnValues") == "ALL_NEW" else None
        if image is None and self.lookup is not None:
            image = self.lookup(table, params["Key"])
        return 0.0, self._write(table, image or params["Key"], moved=set(names_in(params)))

    def _DeleteItem(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        return 0.0, write_units(item_size(parsed.get("Attributes")))

    def _BatchWriteItem(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        wru = 0.0
        for table, requests in params.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    wru += self._write(table, request["PutRequest"]["Item"], moved=set())
                else:
                    wru += write_units(0)
        return 0.0, wru

    def _TransactWriteItems(self, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        wru = 0.0
        for entry in params.get("TransactItems", []):
            (kind, body), = entry.items()
            table = body["TableName"]
            if kind == "Put":
                wru += self._write(table, body["Item"], moved=set(), transactional=True)
            elif kind == "Update":
                image = self.lookup(table, body["Key"]) if self.lookup else None
                wru += self._write(table, image or body["Key"], moved=set(names_in(body)), transactional=True)
            elif kind == "ConditionCheck":
                image = self.lookup(table, body["Key"]) if self.lookup else None
                wru += write_units(item_size(image), transactional=True)
            else:  # Delete
                wru += write_units(0, transactional=True)
        return 0.0, wru

    def _failed(self, operation: str, params: dict[str, Any]) -> tuple[float, float]:
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return 0.0, write_units(0)
        if operation == "TransactWriteItems":
            return 0.0, sum(write_units(0, transactional=True) for _ in params.get("TransactItems", []))
        if operation in ("GetItem", "Query", "BatchGetItem"):
            return read_units(0), 0.0
        return 0.0, 0.0

    def _write(self, table: str, image: Item | None, *, moved: set[str], transactional: bool = False) -> float:
        size = item_size(image)
        units = write_units(size, transactional=transactional)
        for hash_attr, range_attr in self.gsis.get(table, []):
            if image and hash_attr in image and range_attr in image:
                index_units = write_units(size + GSI_OVERHEAD_BYTES)
                units += index_units * (2 if {hash_attr, range_attr} & moved else 1)
        return units


def names_in(params: dict[str, Any]) -> Iterable[str]:
    """Attribute names an update expression names (PynamoDB always uses #placeholders)."""
    used = set(re.findall(r"#[A-Za-z0-9_]+", params.get("UpdateExpression", "")))
    return [name for placeholder, name in params.get("ExpressionAttributeNames", {}).items() if placeholder in used]
