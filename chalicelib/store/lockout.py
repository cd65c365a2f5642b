"""Failed sign-in counters, per account and per IP address (`LOCKOUT#account#<email>` / `LOCKOUT#ip#<ip>`, sk
`LOCKOUT`). Each counts the failures of one window with an atomic ADD; DynamoDB's TTL (`expires_at`) removes
old counters, but TTL is lazy (and the local stack never expires items), so the window is also checked here."""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.store.models import TableItem

LOCKOUT_SK = "LOCKOUT"


class LockoutCounterItem(TableItem):
    """Failures in the current window (from `window_start`), and the lock's end once they reached the limit."""

    failures = NumberAttribute(default=0)
    window_start = NumberAttribute(default=0)  # epoch seconds
    locked_until = NumberAttribute(null=True)  # epoch seconds
    expires_at = NumberAttribute(null=True)  # DynamoDB TTL attribute (epoch seconds)


@dataclass(frozen=True)
class Counter:
    key: str
    failures: int
    locked_until: int | None


def counter_pk(kind: str, value: str) -> str:
    return f"LOCKOUT#{kind}#{value.strip().lower()}"


def read(keys: list[str]) -> dict[str, Counter]:
    """The counters that exist among `keys` (one BatchGetItem)."""
    found = LockoutCounterItem.batch_get([(key, LOCKOUT_SK) for key in keys])
    return {item.pk: Counter(item.pk, int(item.failures or 0), int(item.locked_until) if item.locked_until else None)
            for item in found}


def add_failure(key: str, now: int, window: int) -> int:
    """Count one failure in `key`'s current window, atomically; a counter whose window is over starts again at 1."""
    item = LockoutCounterItem(key, LOCKOUT_SK)
    try:
        item.update(  # PynamoDB reads the new values back into `item` (ALL_NEW)
            actions=[LockoutCounterItem.failures.add(1), LockoutCounterItem.expires_at.set(now + 2 * window)],
            condition=LockoutCounterItem.window_start > now - window,
        )
        return int(item.failures)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    # No counter yet, or its window ended: start a new window (a concurrent start in the same second is one
    # failure lost, never a lock missed by more than that).
    try:
        item.update(actions=[LockoutCounterItem.failures.set(1), LockoutCounterItem.window_start.set(now),
                             LockoutCounterItem.locked_until.remove(),
                             LockoutCounterItem.expires_at.set(now + 2 * window)],
                    condition=LockoutCounterItem.window_start.does_not_exist() | (LockoutCounterItem.window_start <= now - window))
        return 1
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return add_failure(key, now, window)  # someone else started the window meanwhile: count in it


def lock(key: str, until: int) -> None:
    LockoutCounterItem(key, LOCKOUT_SK).update(actions=[LockoutCounterItem.locked_until.set(until),
                                                        LockoutCounterItem.expires_at.set(until + 3600)])


def clear(key: str) -> None:
    try:
        LockoutCounterItem(key, LOCKOUT_SK).delete()
    except DeleteError:
        pass
