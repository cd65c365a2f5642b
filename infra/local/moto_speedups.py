"""Two changes to moto's speed (not its behaviour) so the local stack holds a supplier's real catalogue.
`LocalStack.start` installs them (for `make run`, the tests and the benchmark); tests/test_moto_speedups.py
runs the same operations with and without them and compares every answer, item and stream record.

1. Transactions. moto's `transact_write_items` deep-copies every table the transaction touches (all items, and the
stream's whole record log) so it can roll back, and swaps the copy in when the transaction is cancelled: a
transaction costs O(table size) in time and memory (30 parallel checkouts on 20k SKUs: minutes and gigabytes),
and the swap leaves stream readers on a stream nobody writes to any more. This version snapshots only the
items the transaction names (and the stream log's length) and restores exactly those on failure, under
the local stack's write lock: the same all-or-nothing result, at the cost of the transaction's own items.

2. Queries. moto's `Table.query` gathers its candidates from `all_items()`, which lists and *sorts* every
item of the table (with Python-level comparisons), then keeps those matching the key condition: seconds
per Query at 100k SKUs. Here a Query's candidates are the items of its own partition: for the table, the
hash key's item collection; for a GSI, a per-attribute map from value to items, rebuilt after any write.
moto still applies every condition, sort, filter and limit itself, so results are unchanged.
"""
from __future__ import annotations

import copy
import inspect
import threading
from collections import defaultdict
from typing import Any

_originals: dict[tuple[Any, str], Any] = {}  # (owner, attribute) -> what moto had before install()


def _replace(owner: Any, name: str, value: Any) -> None:
    _originals.setdefault((owner, name), getattr(owner, name))
    setattr(owner, name, value)


def install() -> None:
    """Both speed-ups; after `infra.local.stack.serialize_dynamodb_writes` (they wrap its locked writes)."""
    if not _originals:
        _generation[0] += 2  # partitions cached before an uninstall() may have missed writes since
        install_cheap_transaction_rollback()
        install_fast_queries()


def uninstall() -> None:
    """moto as it is (the equivalence test and the benchmark's "before")."""
    for (owner, name), value in _originals.items():
        setattr(owner, name, value)
    _originals.clear()


def installed() -> bool:
    return bool(_originals)


class _CopyWithoutTables:
    """Stands in for the `copy` module inside moto.dynamodb.models: tables are not copied (see above)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table  # noqa: PLC0415

        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def install_cheap_transaction_rollback() -> None:
    import moto.dynamodb.models as models  # noqa: PLC0415
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415

    from infra.local.stack import _WRITE_LOCK  # noqa: PLC0415 - the stack's own write serialisation

    original = DynamoDBBackend.transact_write_items
    _replace(models, "copy", _CopyWithoutTables())

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _WRITE_LOCK:
            touched, streams = [], {}
            for entry in transact_items:
                try:
                    op_type, op = next(iter(entry.items()))
                    table = self.tables[op["TableName"]]
                    hash_key, range_key = self.get_keys_value(table, _key_of(table, op_type, op))
                except Exception:  # noqa: BLE001 - a malformed item: moto's own validation reports it
                    continue
                touched.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
                if table.stream_shard is not None:
                    streams[id(table)] = (table.stream_shard, len(table.stream_shard.items))
            try:
                return original(self, transact_items)
            except Exception:
                for table, hash_key, range_key, item in reversed(touched):
                    if range_key is None:
                        if item is None:
                            table.items.pop(hash_key, None)
                        else:
                            table.items[hash_key] = item
                    elif item is None:
                        table.items.get(hash_key, {}).pop(range_key, None)
                        if hash_key in table.items and not table.items[hash_key]:
                            del table.items[hash_key]
                    else:
                        table.items[hash_key][range_key] = item
                for shard, length in streams.values():
                    del shard.items[length:]
                raise

    _replace(DynamoDBBackend, "transact_write_items", transact_write_items)


_generation = [0]
_local = threading.local()


def _bumping(method: Any) -> Any:
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        _generation[0] += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            _generation[0] += 1

    return write


def _partition(table: Any, attr: str) -> dict[Any, list[Any]]:
    """Items by their value of `attr` (a GSI's hash key), cached on the table until the next write."""
    from infra.local.stack import _WRITE_LOCK  # noqa: PLC0415

    cache = table.__dict__.setdefault("_b2b_partitions", {})
    generation = _generation[0]
    cached = cache.get(attr)
    if cached is not None and cached[0] == generation:
        return cached[1]
    with _WRITE_LOCK:
        by_value: dict[Any, list[Any]] = defaultdict(list)
        for hash_set in table.items.values():
            for item in (hash_set.values() if table.range_key_attr else [hash_set]):
                value = item.attrs.get(attr)
                if value is not None:
                    by_value[value].append(item)
    cache[attr] = (generation, by_value)
    return by_value


def install_fast_queries() -> None:
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        _replace(DynamoDBBackend, name, _bumping(getattr(DynamoDBBackend, name)))
    original_query, original_all_items = Table.query, Table.all_items
    signature = inspect.signature(original_query)

    def all_items(self: Any) -> list[Any]:
        override = getattr(_local, "candidates", None)
        if override is not None and override[0] is self:
            return list(override[1])
        return original_all_items(self)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        index_name, conditions, hash_key = bound.get("index_name"), bound.get("hash_key_conditions"), bound.get("hash_key")
        if index_name and conditions:
            attr, value = conditions[0]
            candidates = _partition(self, attr).get(value, [])
        elif not index_name and hash_key is not None:
            part = self.items.get(hash_key)
            candidates = [] if not part else (list(part.values()) if self.range_key_attr else [part])
        else:
            return original_query(self, *args, **kwargs)
        previous = getattr(_local, "candidates", None)
        _local.candidates = (self, candidates)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _local.candidates = previous

    _replace(Table, "query", query)
    _replace(Table, "all_items", all_items)
