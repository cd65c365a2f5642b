"""Exchange rates for VAT in the accounting currency: the National Bank of Romania's daily reference rates.

Romanian VAT law (Fiscal Code art. 290) converts an invoice in another currency at the BNR rate of the day
the VAT becomes due; the rate is fixed on the invoice at issue and never looked up again.

- `BnrRates`: https://www.bnr.ro/nbrfxrates.xml, the day's `<Cube date=...>` of `<Rate currency=...
  multiplier=...>` values in RON. BNR publishes around 13:00 Bucharest time on banking days; before that,
  and on weekends and holidays, the latest published rate is the one that applies.
- `SandboxRates`: fixed rates for the local stack and tests; refused on a deployed stage.

`rate(currency, to)` answers "how many `to` for 1 `currency`" as a Decimal with the feed's precision.
"""
from __future__ import annotations

import os
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Protocol

import urllib3

BNR_URL = "https://www.bnr.ro/nbrfxrates.xml"
BNR_NS = "{http://www.bnr.ro/xsd}"
CACHE_SECONDS = 3600


class ExchangeRateUnavailable(RuntimeError):
    """No rate could be had right now (feed down, currency not quoted): the workflow step retries."""


@dataclass(frozen=True)
class ExchangeRate:
    currency: str  # 1 unit of this
    to: str  # is `rate` of this
    rate: Decimal
    day: date  # the publication the rate comes from
    source: str


class ExchangeRates(Protocol):
    def rate(self, currency: str, to: str) -> ExchangeRate: ...


def parse_bnr(xml: bytes) -> tuple[date, dict[str, Decimal]]:
    """The feed's day and RON per 1 unit of each currency (the `multiplier` applied: 100 HUF -> per 1 HUF)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ExchangeRateUnavailable(f"The BNR feed is not XML: {exc}") from exc
    cube = root.find(f".//{BNR_NS}Cube")
    if cube is None or not cube.get("date"):
        raise ExchangeRateUnavailable("The BNR feed has no rates (no Cube).")
    rates: dict[str, Decimal] = {"RON": Decimal(1)}
    for element in cube.findall(f"{BNR_NS}Rate"):
        try:
            value = Decimal((element.text or "").strip())
            multiplier = Decimal(element.get("multiplier") or 1)
        except InvalidOperation:
            continue
        if value > 0 and multiplier > 0:
            rates[element.get("currency", "").upper()] = value / multiplier
    return date.fromisoformat(cube.get("date", "")), rates


def _cross(rates: dict[str, Decimal], currency: str, to: str) -> Decimal:
    currency, to = currency.upper(), to.upper()
    if currency not in rates or to not in rates:
        raise ExchangeRateUnavailable(f"No BNR rate for {currency if currency not in rates else to}.")
    if to == "RON":
        return rates[currency]
    return (rates[currency] / rates[to]).quantize(Decimal("0.000001"))


class BnrRates:
    """The BNR daily XML feed, read at most once an hour per process."""

    def __init__(self, url: str = BNR_URL, timeout_seconds: float = 5.0) -> None:
        self.url = url
        self._http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
                                         retries=urllib3.util.Retry(total=2, backoff_factor=0.3,
                                                                    status_forcelist=(429, 500, 502, 503, 504)))
        self._lock = threading.Lock()
        self._cached: tuple[float, date, dict[str, Decimal]] | None = None

    def _rates(self) -> tuple[date, dict[str, Decimal]]:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < CACHE_SECONDS:
                return self._cached[1], self._cached[2]
            try:
                response = self._http.request("GET", self.url)
            except urllib3.exceptions.HTTPError as exc:
                raise ExchangeRateUnavailable(f"The BNR feed did not answer: {exc}") from exc
            if response.status != 200:
                raise ExchangeRateUnavailable(f"The BNR feed answered {response.status}.")
            day, rates = parse_bnr(response.data)
            self._cached = (time.monotonic(), day, rates)
            return day, rates

    def rate(self, currency: str, to: str) -> ExchangeRate:
        if currency.upper() == to.upper():
            return ExchangeRate(currency, to, Decimal(1), date.today(), "identity")
        day, rates = self._rates()
        return ExchangeRate(currency.upper(), to.upper(), _cross(rates, currency, to), day, "BNR")


# Fixed rates (RON per unit) close to BNR's of late 2026, for the local stack and tests only.
SANDBOX_RATES = {"RON": Decimal(1), "EUR": Decimal("4.9750"), "USD": Decimal("4.3120"), "GBP": Decimal("5.7050"),
                 "CHF": Decimal("5.3310"), "HUF": Decimal("0.012950"), "SEK": Decimal("0.4520"), "PLN": Decimal("1.1710")}


class SandboxRates:
    def __init__(self, rates: dict[str, Decimal] | None = None, day: date | None = None) -> None:
        self.rates = dict(rates or SANDBOX_RATES)
        self.day = day

    def rate(self, currency: str, to: str) -> ExchangeRate:
        if currency.upper() == to.upper():
            return ExchangeRate(currency, to, Decimal(1), self.day or date.today(), "identity")
        return ExchangeRate(currency.upper(), to.upper(), _cross(self.rates, currency, to), self.day or date.today(),
                            "sandbox")


@lru_cache(maxsize=1)
def rates_from_env() -> ExchangeRates:
    """`EXCHANGE_RATES` = bnr (deployed default), or sandbox (local default, refused elsewhere)."""
    from chalicelib.config import ConfigurationError, settings  # noqa: PLC0415

    local = settings().is_local
    kind = os.environ.get("EXCHANGE_RATES", "").strip().lower() or ("sandbox" if local else "bnr")
    if kind == "sandbox":
        if not local:
            raise ConfigurationError("EXCHANGE_RATES=sandbox: fixed rates exist only in the local stack.")
        return SandboxRates()
    if kind == "bnr":
        return BnrRates(os.environ.get("BNR_RATES_URL", BNR_URL))
    raise ConfigurationError(f"EXCHANGE_RATES must be 'bnr' (or 'sandbox' on the local stack), not {kind!r}")
