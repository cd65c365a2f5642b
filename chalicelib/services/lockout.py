"""Slowing down password guessing: after too many failed sign-ins for one account, or from one IP address,
sign-in is refused (429 `too_many_attempts`), also with the right password, until the lock ends."""
from __future__ import annotations

import math
import time

from chalicelib.domain.errors import DomainError, Unauthenticated
from chalicelib.services import accounts
from chalicelib.store import lockout as store

WINDOW_SECONDS = 15 * 60
ACCOUNT_LIMIT = 5  # failures per account in a window
IP_LIMIT = 20  # failures per IP address in a window (an office behind one address shares it)
LOCK_SECONDS = 15 * 60


def now() -> int:
    return int(time.time())


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


def _keys(email: str, ip: str | None) -> tuple[str, str | None]:
    return store.counter_pk("account", email), store.counter_pk("ip", ip) if ip else None


def _refuse(until: int, now: int) -> TooManyAttempts:
    minutes = max(1, math.ceil((until - now) / 60))
    return TooManyAttempts(
        f"Too many failed sign-ins. Sign-in is locked for {minutes} more minute{'s' if minutes != 1 else ''}; "
        "try again then, or reset your password.")


def sign_in(email: str, password: str, ip: str | None) -> accounts.SignedIn | accounts.NewPasswordRequired:
    """Sign in unless the account or the address is locked; count a wrong password, clear the account's count on
    success (never the address's: one valid account must not reset an attacker's budget)."""
    now_ = now()
    account_key, ip_key = _keys(email, ip)
    keys = [account_key] + ([ip_key] if ip_key else [])
    counters = store.read(keys)
    for counter in counters.values():
        if counter.locked_until and counter.locked_until > now_:
            raise _refuse(counter.locked_until, now_)
    try:
        result = accounts.login(email, password)
    except Unauthenticated as exc:
        if exc.code == "invalid_credentials":
            _count_failure(account_key, ip_key, now_)
        raise
    if account_key in counters:
        store.clear(account_key)
    return result


def _count_failure(account_key: str, ip_key: str | None, now: int) -> None:
    for key, limit in ((account_key, ACCOUNT_LIMIT), (ip_key, IP_LIMIT)):
        if key and store.add_failure(key, now, WINDOW_SECONDS) >= limit:
            store.lock(key, now + LOCK_SECONDS)
