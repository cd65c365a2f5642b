"""Couriers: book a shipment for a delivery note, and ask where it is.

`book` is idempotent per reference (our delivery note id): a courier books at most one shipment
per reference, and booking the same reference again returns the shipment already booked.

Failures come in two kinds so the Step Functions state machine can `Retry` one and fail fast on
the other: `CourierUnavailable` (timeouts, 5xx, 429, connection errors: try again later) and its
parent `CourierError` (the courier refused the request: a person has to look).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote

import urllib3
from aws_lambda_powertools import Logger

logger = Logger(service="b2b-portal", child=True)


@dataclass(frozen=True)
class Parcel:
    weight_kg: Decimal
    length_cm: int
    width_cm: int
    height_cm: int


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # our delivery note id, unique; the courier books at most one shipment per reference
    recipient_name: str
    street: str
    city: str
    postcode: str
    country: str  # ISO 3166-1 alpha-2
    phone: str | None
    email: str | None
    parcels: list[Parcel]
    cash_on_delivery: Decimal | None
    content: str


@dataclass(frozen=True)
class Shipment:
    awb: str
    courier: str  # the carrier's name, as the client sees it
    tracking_url: str


class TrackingStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    RETURNED = "returned"
    UNKNOWN = "unknown"


class CourierError(Exception):
    """The courier refused the request (4xx other than 429): retrying will not help."""


class CourierUnavailable(CourierError):
    """The courier could not be reached or answered 5xx/429: retry later."""


class Courier(Protocol):
    def book(self, request: ShipmentRequest) -> Shipment:
        """Book one shipment for `request.reference`; a repeat returns the shipment already booked."""
        ...

    def track(self, awb: str, courier: str | None = None) -> str:
        """A `TrackingStatus` value. `courier` is the `Shipment.courier` the AWB was booked with."""
        ...


# --- Innoship's REST API: every path and field name this module relies on -----------------------
# They follow Innoship's public API docs (docs.innoship.io, Swagger at api.innoship.com) and its
# public SDKs as far as known. They MUST be checked against the real sandbox before go-live;
# INNOSHIP_ORDER_BY_REFERENCE in particular is our assumption of a "find by externalOrderId" call.

INNOSHIP_API_KEY_HEADER = "X-Api-Key"
INNOSHIP_API_VERSION_HEADER = ("api-version", "1.0")
INNOSHIP_CREATE_ORDER = "/api/Order"  # POST, JSON body below
INNOSHIP_ORDER_BY_REFERENCE = "/api/Order/externalOrderId/{reference}"  # GET; 404 when none (UNVERIFIED)
INNOSHIP_TRACK = "/api/Track/by-awb/with-return"  # POST {"courier": id, "awbList": [awb]}; read-only
INNOSHIP_SERVICE_NATIONAL_STANDARD = 1
INNOSHIP_PARCEL_TYPE_PARCEL = 2

# Innoship names carriers by number; the name is what the client sees, and tracking needs the number.
INNOSHIP_CARRIERS = {
    1: "Cargus", 2: "DPD", 3: "FanCourier", 4: "GLS", 5: "Nemo", 6: "Sameday", 7: "ExpressOne",
    8: "Econt", 9: "TeamCourier", 10: "DHL Romania", 11: "Posta Romana", 16: "Bookurier",
    19: "Speedy Bulgaria", 38: "DHL Germany",
}
_UNNAMED_CARRIER = "Innoship carrier {id}"

# Innoship's clientStatusId of a tracking event -> ours. Below 100 the parcel is on its way
# (1 = label created, 2 = picked up, ... 47); 100 and up are final.
INNOSHIP_DELIVERED = frozenset({100})
INNOSHIP_RETURNED = frozenset({104, 110})
# Other final states (destroyed, lost, partial delivery, cancelled, tracking expired) map to
# "unknown": a person has to look at them.


def innoship_order(request: ShipmentRequest, *, service_id: int, client_location: str | None, now: datetime) -> dict:
    """The `POST /api/Order` body for one delivery note."""
    parcels = [
        {
            "sequenceNo": number,
            "type": INNOSHIP_PARCEL_TYPE_PARCEL,
            "weight": _json_number(parcel.weight_kg),
            "size": {"length": parcel.length_cm, "width": parcel.width_cm, "height": parcel.height_cm},
        }
        for number, parcel in enumerate(request.parcels, start=1)
    ]
    order: dict[str, Any] = {
        "serviceId": service_id,
        "shipmentDate": now.isoformat(),
        "payment": "Sender",
        "externalOrderId": request.reference,
        "addressTo": _without_none({
            "name": request.recipient_name,
            "contactPerson": request.recipient_name,
            "country": request.country,
            "localityName": request.city,
            "addressText": request.street,
            "postalCode": request.postcode,
            "phone": request.phone,
            "email": request.email,
        }),
        "content": {
            "envelopeCount": 0,
            "parcelsCount": len(parcels),
            "palettesCount": 0,
            "totalWeight": _json_number(sum((p.weight_kg for p in request.parcels), Decimal(0))),
            "contents": request.content,
            "parcels": parcels,
        },
    }
    if client_location:
        order["externalClientLocation"] = client_location  # the sender warehouse set up in Innoship
    if request.cash_on_delivery is not None:
        order["extra"] = {"cashOnDeliveryAmount": _json_number(request.cash_on_delivery)}
    return order


def innoship_shipment(body: Any) -> Shipment | None:
    """The shipment in an order answer (create or lookup; an object or a list of them), if any."""
    orders = body if isinstance(body, list) else [body]
    for order in orders:
        awb = _field(order, "courierShipmentId")
        if awb:
            carrier_id = _field(order, "courier")
            return Shipment(
                awb=str(awb),
                courier=INNOSHIP_CARRIERS.get(_as_int(carrier_id), _UNNAMED_CARRIER.format(id=carrier_id)),
                tracking_url=str(_field(order, "trackPageUrl") or ""),
            )
    return None


def innoship_status(body: Any, awb: str) -> TrackingStatus:
    """Our status from a `Track/by-awb/with-return` answer: the latest event decides."""
    items = body if isinstance(body, list) else [body]
    for item in items:
        if str(_field(item, "shipmentAwb") or awb) != awb:
            continue
        history = _field(item, "history") or []
        if not history:
            return TrackingStatus.UNKNOWN
        latest = max(history, key=lambda event: str(_field(event, "eventDate") or ""))
        status_id = _as_int(_field(latest, "clientStatusId"))
        if status_id in INNOSHIP_DELIVERED:
            return TrackingStatus.DELIVERED
        if status_id in INNOSHIP_RETURNED:
            return TrackingStatus.RETURNED
        if status_id is not None and 0 < status_id < 100:
            return TrackingStatus.IN_TRANSIT
        return TrackingStatus.UNKNOWN
    return TrackingStatus.UNKNOWN


def innoship_carrier_id(courier: str) -> int | None:
    """The carrier number behind a `Shipment.courier` name we produced."""
    for carrier_id, name in INNOSHIP_CARRIERS.items():
        if name == courier:
            return carrier_id
    prefix = _UNNAMED_CARRIER.split("{")[0]
    return _as_int(courier[len(prefix):]) if courier.startswith(prefix) else None


# --- end of the Innoship API description -----------------------------------------------------------

# 408 is a timeout too; every other 4xx means the courier refused the request.
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class InnoshipCourier:
    """Innoship over HTTPS: explicit timeouts, bounded retries, never two shipments per reference.

    `book` first looks the reference up, so a retry by Step Functions after an ambiguous failure
    returns the shipment already booked; within one call, every retry of the POST is preceded by
    the same lookup (a timed-out or 5xx POST may still have booked).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout_seconds: float = 10,
        retries: int = 3,
        *,
        backoff_seconds: float = 0.5,
        service_id: int = INNOSHIP_SERVICE_NATIONAL_STANDARD,
        client_location: str | None = None,
    ):
        self._base_url = base_url.rstrip("/")
        self._retries = retries
        self._backoff_seconds = backoff_seconds
        self._service_id = service_id
        self._client_location = client_location
        header, version = INNOSHIP_API_VERSION_HEADER
        self._http = urllib3.PoolManager(
            headers={
                INNOSHIP_API_KEY_HEADER: api_key,
                header: version,
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
            },
            timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
            retries=False,
        )

    def book(self, request: ShipmentRequest) -> Shipment:
        existing = self._find(request.reference)
        if existing:
            return existing
        body = json.dumps(
            innoship_order(request, service_id=self._service_id, client_location=self._client_location,
                           now=datetime.now(timezone.utc))
        ).encode()
        failure = ""
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(self._backoff_seconds * 2 ** (attempt - 1))
                existing = self._find(request.reference)
                if existing:
                    logger.info("Shipment found after a failed attempt", reference=request.reference, awb=existing.awb)
                    return existing
            try:
                response = self._http.request("POST", self._base_url + INNOSHIP_CREATE_ORDER, body=body)
            except urllib3.exceptions.HTTPError as exc:  # timeout, refused, reset: it may have booked
                failure = f"POST {INNOSHIP_CREATE_ORDER} failed: {exc}"
                logger.warning("Courier booking attempt failed", reference=request.reference, error=failure)
                continue
            if response.status in _TRANSIENT_STATUSES:
                failure = f"POST {INNOSHIP_CREATE_ORDER} answered {response.status}"
                logger.warning("Courier booking attempt failed", reference=request.reference, error=failure)
                continue
            if response.status >= 400:
                raise CourierError(f"Innoship refused the shipment for {request.reference}: "
                                   f"{response.status} {_text(response)}")
            shipment = innoship_shipment(_json(response))
            if shipment is None:
                raise CourierError(f"Innoship answered without an AWB for {request.reference}: {_text(response)}")
            return shipment
        raise CourierUnavailable(f"Innoship unavailable after {self._retries + 1} attempts: {failure}")

    def track(self, awb: str, courier: str | None = None) -> str:
        carrier_id = innoship_carrier_id(courier or "")
        if carrier_id is None:
            raise CourierError(f"Innoship tracks by carrier and AWB; unknown carrier {courier!r} for {awb}")
        body = json.dumps({"courier": carrier_id, "awbList": [awb]}).encode()
        # Tracking only reads, so its POST may be retried like a GET.
        response = self._read("POST", INNOSHIP_TRACK, body=body, retry_methods={"POST"})
        if response.status >= 400:
            raise CourierError(f"Innoship refused tracking {awb}: {response.status} {_text(response)}")
        return innoship_status(_json(response), awb)

    def _find(self, reference: str) -> Shipment | None:
        path = INNOSHIP_ORDER_BY_REFERENCE.format(reference=quote(reference, safe=""))
        response = self._read("GET", path)
        if response.status == 404:
            return None
        if response.status >= 400:
            raise CourierError(f"Innoship refused the lookup of {reference}: {response.status} {_text(response)}")
        return innoship_shipment(_json(response)) if response.data.strip() else None

    def _read(self, method: str, path: str, *, body: bytes | None = None,
              retry_methods: frozenset[str] | set[str] = frozenset({"GET"})) -> urllib3.BaseHTTPResponse:
        """A request that is safe to repeat, retried by urllib3; transient failures end as CourierUnavailable."""
        retry = urllib3.util.Retry(
            total=self._retries,
            allowed_methods=retry_methods,
            status_forcelist=_TRANSIENT_STATUSES,
            backoff_factor=self._backoff_seconds,
            raise_on_status=False,
            # Keep a step inside its Lambda timeout; longer waits are the state machine's Retry.
            respect_retry_after_header=False,
        )
        try:
            response = self._http.request(method, self._base_url + path, body=body, retries=retry)
        except urllib3.exceptions.HTTPError as exc:
            raise CourierUnavailable(f"{method} {path} failed: {exc}") from exc
        if response.status in _TRANSIENT_STATUSES:
            raise CourierUnavailable(f"{method} {path} answered {response.status} after {self._retries} retries")
        return response


class SandboxCourier:
    """An in-process courier for the local stack and tests.

    The AWB is derived from the reference, so booking a reference again returns the same AWB.
    `fail_next` injects failures; `bookings` and `attempts` let tests count what reached it.
    """

    name = "Sandbox Courier"

    def __init__(self, base_url: str = "http://127.0.0.1:8000"):
        self._base_url = base_url.rstrip("/")
        self._lock = threading.Lock()
        self._shipments: dict[str, Shipment] = {}
        self._bookings: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()
        self._faults: list[tuple[bool, bool]] = []  # (transient, after_booking), oldest first

    def fail_next(self, n: int = 1, transient: bool = True, *, after_booking: bool = False) -> None:
        """Make the next `n` calls of `book` raise CourierUnavailable (or CourierError if not transient).

        With `after_booking` the shipment is booked before the error is raised, as when a courier
        times out after it has accepted the request.
        """
        if after_booking and not transient:
            raise ValueError("a failure after booking is a timeout, so it is transient")
        with self._lock:
            self._faults.extend([(transient, after_booking)] * n)

    def book(self, request: ShipmentRequest) -> Shipment:
        with self._lock:
            self._attempts[request.reference] += 1
            fault = self._faults.pop(0) if self._faults else None
            if fault and not fault[1]:
                kind = CourierUnavailable if fault[0] else CourierError
                raise kind(f"sandbox: injected failure booking {request.reference}")
            shipment = self._shipments.get(request.reference)
            if shipment is None:
                awb = self.awb_for(request.reference)
                shipment = Shipment(awb=awb, courier=self.name, tracking_url=f"{self._base_url}/local/track/{awb}")
                self._shipments[request.reference] = shipment
                self._bookings[request.reference] += 1
            if fault:
                raise CourierUnavailable(f"sandbox: injected timeout after booking {request.reference}")
            return shipment

    def track(self, awb: str, courier: str | None = None) -> str:
        return TrackingStatus.IN_TRANSIT

    @staticmethod
    def awb_for(reference: str) -> str:
        digest = hashlib.sha256(reference.encode()).hexdigest()
        return f"SBX{int(digest[:15], 16) % 10**10:010d}"

    def bookings(self, reference: str) -> int:
        """Shipments booked for the reference: 1 after any number of successful `book` calls."""
        with self._lock:
            return self._bookings[reference]

    def attempts(self, reference: str) -> int:
        """Calls of `book` for the reference, failed ones included."""
        with self._lock:
            return self._attempts[reference]

    def shipment(self, awb: str) -> Shipment | None:
        """The booked shipment with this AWB (for the local tracking page)."""
        with self._lock:
            return next((s for s in self._shipments.values() if s.awb == awb), None)

    def reset(self) -> None:
        with self._lock:
            self._shipments.clear()
            self._bookings.clear()
            self._attempts.clear()
            self._faults.clear()


@lru_cache(maxsize=1)
def courier_from_env() -> Courier:
    """The configured courier, one per process: `COURIER` = innoship, or sandbox (the default) on the local stack only."""
    from chalicelib.config import ConfigurationError, secret, settings  # noqa: PLC0415 - no app config at import

    local = settings().is_local
    kind = os.environ.get("COURIER", "").strip().lower() or ("sandbox" if local else "")
    if kind == "sandbox":
        if not local:
            raise ConfigurationError("COURIER=sandbox: the sandbox courier exists only in the local stack.")
        return SandboxCourier(settings().portal_url)
    if kind == "innoship":
        base_url = os.environ.get("INNOSHIP_BASE_URL", "").strip()
        if not base_url:
            raise ConfigurationError("COURIER=innoship needs INNOSHIP_BASE_URL")
        return InnoshipCourier(base_url, secret("INNOSHIP_API_KEY"),
                               client_location=os.environ.get("INNOSHIP_CLIENT_LOCATION") or None)
    raise ConfigurationError(f"COURIER must be 'innoship' (or 'sandbox' on the local stack), not {kind!r}")


def _field(obj: Any, name: str) -> Any:
    """A JSON field by name, whatever its casing (.NET APIs answer camelCase or PascalCase)."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    lowered = name.lower()
    return next((value for key, value in obj.items() if key.lower() == lowered), None)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _json_number(value: Decimal) -> int | float:
    # The API takes JSON numbers; float keeps the shortest repr, so 12.5 goes out as 12.5.
    return int(value) if value == value.to_integral_value() else float(value)


def _without_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _json(response: urllib3.BaseHTTPResponse) -> Any:
    try:
        return json.loads(response.data or b"null")
    except ValueError as exc:
        raise CourierError(f"Innoship answered {response.status} with no JSON: {_text(response)}") from exc


def _text(response: urllib3.BaseHTTPResponse) -> str:
    return response.data[:500].decode("utf-8", "replace")
