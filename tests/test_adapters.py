"""The courier and payment adapters, against local fakes of Innoship and Stripe on 127.0.0.1.

Pure tests: no AWS and no local stack; nothing leaves this machine.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

import pytest

from chalicelib.adapters import courier as courier_module
from chalicelib.adapters import payments as payments_module
from chalicelib.adapters.courier import (
    CourierError,
    CourierUnavailable,
    InnoshipCourier,
    Parcel,
    SandboxCourier,
    Shipment,
    ShipmentRequest,
    TrackingStatus,
    courier_from_env,
)
from chalicelib.adapters.payments import (
    InvalidSignature,
    PaymentError,
    PaymentUnavailable,
    SandboxGateway,
    StripeGateway,
    from_minor_units,
    gateway_from_env,
    to_minor_units,
)
from chalicelib.config import ConfigurationError

API_KEY = "innoship-test-key"
WEBHOOK_SECRET = "whsec_test_secret"
PAID_AT = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


# --- a local HTTP server that answers from a test's own handler --------------------------------------

@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


class LocalServer:
    """A threaded HTTP server on 127.0.0.1; `respond(seen) -> (status, body)` decides each answer."""

    def __init__(self, respond):
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                            self.rfile.read(length))
                server.seen.append(seen)
                status, body = respond(seen)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as the timeout tests intend

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def requests(self, method: str, path_prefix: str = "") -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.startswith(path_prefix)]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()


# --- a fake Innoship ------------------------------------------------------------------------------------

@dataclass
class FakeInnoship:
    """Books shipments like Innoship; `create_script` lists what the next POSTs do:
    an HTTP status to answer without booking, or ("book_then_stall", seconds)."""

    create_script: deque = field(default_factory=deque)
    lookup_script: deque = field(default_factory=deque)
    orders: list[dict] = field(default_factory=list)
    history: dict[str, list[dict]] = field(default_factory=dict)

    def respond(self, seen: Seen):
        if seen.headers.get("x-api-key") != API_KEY:
            return 401, {"message": "bad key"}
        if seen.method == "POST" and seen.path == "/api/Order":
            return self._create(json.loads(seen.body))
        if seen.method == "GET" and seen.path.startswith("/api/Order/externalOrderId/"):
            if self.lookup_script:
                return self.lookup_script.popleft(), {"message": "scripted"}
            reference = unquote(seen.path.rsplit("/", 1)[1])
            found = [o for o in self.orders if o["externalOrderId"] == reference]
            return (200, self._answer(found[0])) if found else (404, {"message": "not found"})
        if seen.method == "POST" and seen.path == "/api/Track/by-awb/with-return":
            query = json.loads(seen.body)
            return 200, [{"courier": query["courier"], "shipmentAwb": awb, "history": self.history.get(awb, [])}
                         for awb in query["awbList"]]
        return 404, {"message": "no such route"}

    def _create(self, order: dict):
        action = self.create_script.popleft() if self.create_script else None
        if isinstance(action, int):
            return action, {"message": f"scripted {action}"}
        order = {**order, "awb": f"5749{len(self.orders) + 1:09d}"}
        self.orders.append(order)
        if action and action[0] == "book_then_stall":
            time.sleep(action[1])
        return 200, self._answer(order)

    @staticmethod
    def _answer(order: dict) -> dict:
        return {"clientOrderId": 1, "courier": 3, "courierShipmentId": order["awb"],
                "trackPageUrl": f"https://track.example/{order['awb']}", "price": {"amount": 15.5}}


@pytest.fixture
def innoship():
    fake = FakeInnoship()
    with LocalServer(fake.respond) as server:
        fake.server = server
        fake.url = server.url
        yield fake


def innoship_client(fake, **overrides) -> InnoshipCourier:
    options = {"timeout_seconds": 2, "retries": 2, "backoff_seconds": 0.01, **overrides}
    return InnoshipCourier(fake.url, API_KEY, **options)


def delivery_note(reference: str = "DN-2026-000042", **changes) -> ShipmentRequest:
    values = dict(
        reference=reference,
        recipient_name="Acme Distribution SRL",
        street="Str. Fabricii 12",
        city="Cluj-Napoca",
        postcode="400620",
        country="RO",
        phone="+40 722 000 111",
        email="receiving@acme.example",
        parcels=[Parcel(Decimal("12.5"), 60, 40, 40), Parcel(Decimal("3"), 30, 20, 10)],
        cash_on_delivery=Decimal("1234.50"),
        content="Lighting fixtures",
    )
    return ShipmentRequest(**{**values, **changes})


# --- Innoship ---------------------------------------------------------------------------------------------

def test_innoship_books_the_delivery_note_with_its_reference_and_api_key(innoship):
    shipment = innoship_client(innoship).book(delivery_note())

    assert shipment == Shipment(awb="5749000000001", courier="FanCourier",
                                tracking_url="https://track.example/5749000000001")
    [post] = innoship.server.requests("POST", "/api/Order")
    assert post.headers["x-api-key"] == API_KEY
    assert post.headers["api-version"] == "1.0"
    order = json.loads(post.body)
    assert order["externalOrderId"] == "DN-2026-000042"
    assert order["addressTo"] == {
        "name": "Acme Distribution SRL", "contactPerson": "Acme Distribution SRL", "country": "RO",
        "localityName": "Cluj-Napoca", "addressText": "Str. Fabricii 12", "postalCode": "400620",
        "phone": "+40 722 000 111", "email": "receiving@acme.example",
    }
    assert order["content"]["parcelsCount"] == 2
    assert order["content"]["totalWeight"] == 15.5
    assert order["content"]["parcels"][0] == {
        "sequenceNo": 1, "type": 2, "weight": 12.5, "size": {"length": 60, "width": 40, "height": 40}}
    assert order["extra"] == {"cashOnDeliveryAmount": 1234.5}
    # The reference was looked up first, so a Step Functions retry cannot book twice.
    assert len(innoship.server.requests("GET", "/api/Order/externalOrderId/DN-2026-000042")) == 1


def test_innoship_without_cash_on_delivery_sends_no_extra(innoship):
    innoship_client(innoship).book(delivery_note(cash_on_delivery=None, phone=None))

    order = json.loads(innoship.server.requests("POST", "/api/Order")[0].body)
    assert "extra" not in order
    assert "phone" not in order["addressTo"]


def test_innoship_500_is_retried_and_books_one_shipment(innoship):
    innoship.create_script.append(500)

    shipment = innoship_client(innoship).book(delivery_note())

    assert len(innoship.server.requests("POST", "/api/Order")) == 2
    assert len(innoship.orders) == 1
    assert shipment.awb == innoship.orders[0]["awb"]


def test_innoship_timeout_after_booking_finds_the_shipment_instead_of_booking_again(innoship):
    innoship.create_script.append(("book_then_stall", 1.0))

    shipment = innoship_client(innoship, timeout_seconds=0.3).book(delivery_note())

    assert len(innoship.orders) == 1, "exactly one shipment on the courier's side"
    assert shipment.awb == innoship.orders[0]["awb"]
    assert len(innoship.server.requests("POST", "/api/Order")) == 1


def test_innoship_booking_an_already_booked_reference_returns_it_without_posting(innoship):
    first = innoship_client(innoship).book(delivery_note())
    again = innoship_client(innoship).book(delivery_note())

    assert again == first
    assert len(innoship.server.requests("POST", "/api/Order")) == 1


def test_innoship_400_is_a_courier_error_and_not_retried(innoship):
    innoship.create_script.append(400)

    with pytest.raises(CourierError) as refused:
        innoship_client(innoship).book(delivery_note())

    assert not isinstance(refused.value, CourierUnavailable)
    assert len(innoship.server.requests("POST", "/api/Order")) == 1
    assert innoship.orders == []


def test_innoship_503_every_time_is_unavailable_after_the_configured_retries(innoship):
    innoship.create_script.extend([503, 503, 503, 503])

    with pytest.raises(CourierUnavailable):
        innoship_client(innoship, retries=2).book(delivery_note())

    assert len(innoship.server.requests("POST", "/api/Order")) == 3
    assert innoship.orders == []


def test_innoship_429_is_transient(innoship):
    innoship.create_script.extend([429, 429])

    with pytest.raises(CourierUnavailable):
        innoship_client(innoship, retries=1).book(delivery_note())


def test_innoship_lookup_is_retried_by_urllib3_on_a_passing_503(innoship):
    innoship.lookup_script.append(503)

    shipment = innoship_client(innoship).book(delivery_note())

    assert shipment.awb == innoship.orders[0]["awb"]
    assert len(innoship.server.requests("GET", "/api/Order/externalOrderId/")) == 2


def test_innoship_unreachable_is_unavailable():
    with LocalServer(lambda seen: (200, {})) as server:
        url = server.url
    courier = InnoshipCourier(url, API_KEY, timeout_seconds=0.5, retries=1, backoff_seconds=0.01)

    with pytest.raises(CourierUnavailable):
        courier.book(delivery_note())


@pytest.mark.parametrize(("statuses", "expected"), [
    ([1, 2, 20], TrackingStatus.IN_TRANSIT),
    ([2, 30, 100], TrackingStatus.DELIVERED),
    ([2, 40, 104], TrackingStatus.RETURNED),
    ([2, 102], TrackingStatus.UNKNOWN),  # lost: a person has to look
    ([], TrackingStatus.UNKNOWN),
])
def test_innoship_tracking_reads_the_latest_event(innoship, statuses, expected):
    innoship.history["5749000000001"] = [
        {"clientStatusId": status, "clientStatusDescription": "...", "eventDate": f"2026-11-2{day}T10:00:00",
         "isFinalStatus": status >= 100}
        for day, status in reversed(list(enumerate(statuses)))  # newest first: order must not matter
    ]

    assert innoship_client(innoship).track("5749000000001", "FanCourier") == expected
    [query] = innoship.server.requests("POST", "/api/Track")
    assert json.loads(query.body) == {"courier": 3, "awbList": ["5749000000001"]}


def test_innoship_tracking_needs_the_carrier(innoship):
    with pytest.raises(CourierError):
        innoship_client(innoship).track("5749000000001")


def test_innoship_carrier_without_a_name_still_tracks(innoship):
    assert courier_module.innoship_shipment({"courier": 99, "courierShipmentId": "X1"}).courier == "Innoship carrier 99"
    assert courier_module.innoship_carrier_id("Innoship carrier 99") == 99


# --- Sandbox courier ----------------------------------------------------------------------------------------

def test_sandbox_same_reference_gives_the_same_awb_and_one_booking():
    courier = SandboxCourier("http://127.0.0.1:8000")

    first = courier.book(delivery_note("DN-1"))
    again = courier.book(delivery_note("DN-1"))
    other = courier.book(delivery_note("DN-2"))

    assert again == first
    assert other.awb != first.awb
    assert first.courier == "Sandbox Courier"
    assert first.tracking_url == f"http://127.0.0.1:8000/local/track/{first.awb}"
    assert courier.bookings("DN-1") == 1
    assert courier.attempts("DN-1") == 2
    assert courier.track(first.awb) == TrackingStatus.IN_TRANSIT
    assert SandboxCourier("http://elsewhere").book(delivery_note("DN-1")).awb == first.awb


def test_sandbox_fail_next_raises_then_books_once():
    courier = SandboxCourier()
    courier.fail_next(2)

    for _ in range(2):
        with pytest.raises(CourierUnavailable):
            courier.book(delivery_note("DN-1"))
    courier.book(delivery_note("DN-1"))

    assert courier.bookings("DN-1") == 1
    assert courier.attempts("DN-1") == 3


def test_sandbox_permanent_failure_is_a_courier_error():
    courier = SandboxCourier()
    courier.fail_next(1, transient=False)

    with pytest.raises(CourierError) as refused:
        courier.book(delivery_note())

    assert not isinstance(refused.value, CourierUnavailable)
    assert courier.bookings("DN-2026-000042") == 0


def test_sandbox_timeout_after_booking_then_retry_is_still_one_shipment():
    courier = SandboxCourier()
    courier.fail_next(1, after_booking=True)

    with pytest.raises(CourierUnavailable):
        courier.book(delivery_note())
    shipment = courier.book(delivery_note())

    assert courier.bookings("DN-2026-000042") == 1
    assert courier.shipment(shipment.awb) == shipment


def test_sandbox_parallel_bookings_of_one_reference_book_once():
    courier = SandboxCourier()
    awbs = set()
    threads = [threading.Thread(target=lambda: awbs.add(courier.book(delivery_note()).awb)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(awbs) == 1
    assert courier.bookings("DN-2026-000042") == 1


def test_courier_from_env(monkeypatch):
    courier_from_env.cache_clear()
    monkeypatch.delenv("COURIER", raising=False)
    assert isinstance(courier_from_env(), SandboxCourier)
    assert courier_from_env() is courier_from_env()

    courier_from_env.cache_clear()
    monkeypatch.setenv("COURIER", "innoship")
    monkeypatch.setenv("INNOSHIP_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INNOSHIP_API_KEY", "k")
    assert isinstance(courier_from_env(), InnoshipCourier)

    courier_from_env.cache_clear()
    monkeypatch.delenv("INNOSHIP_API_KEY")
    with pytest.raises(ConfigurationError):
        courier_from_env()
    courier_from_env.cache_clear()


# --- Stripe webhooks, signed here the way Stripe signs them -------------------------------------------------

def stripe_signed(event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={ts},v1={signature}"


def checkout_completed(event_type="checkout.session.completed", payment_status="paid", **session) -> dict:
    return {
        "id": "evt_1PaidInvoice", "object": "event", "type": event_type, "created": int(PAID_AT.timestamp()),
        "data": {"object": {
            "id": "cs_test_a1", "object": "checkout.session", "mode": "payment",
            "amount_total": 123450, "currency": "eur", "payment_status": payment_status,
            "payment_intent": "pi_3Paid", "client_reference_id": "INV#01",
            "metadata": {"invoice_id": "INV#01", "invoice_number": "INV-2026-0007"}, **session,
        }},
    }


@pytest.fixture
def stripe_gateway() -> StripeGateway:
    return StripeGateway("sk_test_local", WEBHOOK_SECRET)


def test_stripe_paid_checkout_becomes_a_payment_event(stripe_gateway):
    event = stripe_gateway.parse_webhook(*stripe_signed(checkout_completed()))

    assert event == payments_module.PaymentEvent(
        id="evt_1PaidInvoice", invoice_id="INV#01", amount=Decimal("1234.50"), currency="EUR",
        paid_at=PAID_AT, reference="pi_3Paid", session_id="cs_test_a1", expected_amount=None,
    )


def test_stripe_event_carries_the_amount_the_checkout_was_created_for(stripe_gateway):
    metadata = {"invoice_id": "INV#01", "invoice_number": "INV-2026-0007", "amount": "1234.50"}
    event = stripe_gateway.parse_webhook(*stripe_signed(checkout_completed(metadata=metadata)))
    assert event.expected_amount == Decimal("1234.50") == event.amount


def test_stripe_zero_decimal_amount_comes_back_whole(stripe_gateway):
    event = stripe_gateway.parse_webhook(*stripe_signed(checkout_completed(amount_total=1500, currency="jpy")))

    assert (event.amount, event.currency) == (Decimal("1500"), "JPY")


def test_stripe_delayed_payment_counts_when_it_succeeds(stripe_gateway):
    assert stripe_gateway.parse_webhook(*stripe_signed(checkout_completed(payment_status="unpaid"))) is None
    succeeded = checkout_completed("checkout.session.async_payment_succeeded")

    assert stripe_gateway.parse_webhook(*stripe_signed(succeeded)).invoice_id == "INV#01"


def test_stripe_other_event_types_are_ignored(stripe_gateway):
    assert stripe_gateway.parse_webhook(*stripe_signed(checkout_completed("checkout.session.expired"))) is None
    assert stripe_gateway.parse_webhook(*stripe_signed({"id": "evt_2", "object": "event",
                                                        "type": "customer.created", "created": 1,
                                                        "data": {"object": {}}})) is None


def test_stripe_webhook_signed_with_another_secret_is_refused(stripe_gateway):
    with pytest.raises(InvalidSignature):
        stripe_gateway.parse_webhook(*stripe_signed(checkout_completed(), secret="whsec_someone_else"))


def test_stripe_tampered_webhook_is_refused(stripe_gateway):
    payload, header = stripe_signed(checkout_completed())

    with pytest.raises(InvalidSignature):
        stripe_gateway.parse_webhook(payload.replace(b"123450", b"999999"), header)


def test_stripe_webhook_older_than_the_tolerance_is_refused(stripe_gateway):
    with pytest.raises(InvalidSignature):
        stripe_gateway.parse_webhook(*stripe_signed(checkout_completed(), timestamp=int(time.time()) - 600))


@pytest.mark.parametrize("header", ["", "garbage", "t=123", "v1=abc"])
def test_stripe_webhook_without_a_usable_signature_is_refused(stripe_gateway, header):
    payload, _ = stripe_signed(checkout_completed())

    with pytest.raises(InvalidSignature):
        stripe_gateway.parse_webhook(payload, header)


# --- Stripe Checkout against a local fake of the API ------------------------------------------------------------

def fake_stripe(status: int = 200):
    def respond(seen: Seen):
        if status != 200:
            return status, {"error": {"type": "invalid_request_error" if status < 500 else "api_error",
                                      "message": "scripted"}}
        return 200, {"id": "cs_test_b2", "object": "checkout.session",
                     "url": "https://checkout.stripe.com/c/pay/cs_test_b2"}
    return LocalServer(respond)


def test_stripe_checkout_sends_the_invoice_amount_in_minor_units():
    with fake_stripe() as server:
        gateway = StripeGateway("sk_test_local", WEBHOOK_SECRET, api_base=server.url)
        session = gateway.create_checkout("INV#01", "INV-2026-0007", Decimal("1234.50"), "EUR",
                                          "http://127.0.0.1:8000/invoices/INV%2301?paid=1",
                                          "http://127.0.0.1:8000/invoices/INV%2301", "buyer@acme.example")

    assert session == payments_module.CheckoutSession(id="cs_test_b2", url="https://checkout.stripe.com/c/pay/cs_test_b2")
    [post] = server.requests("POST", "/v1/checkout/sessions")
    assert post.headers["authorization"] == "Bearer sk_test_local"
    assert post.headers.get("idempotency-key")
    form = {key: values[0] for key, values in parse_qs(post.body.decode()).items()}
    assert form == {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "123450",
        "line_items[0][price_data][product_data][name]": "Invoice INV-2026-0007",
        "client_reference_id": "INV#01",
        "metadata[invoice_id]": "INV#01",
        "metadata[invoice_number]": "INV-2026-0007",
        "metadata[amount]": "1234.50",
        "payment_intent_data[metadata][invoice_id]": "INV#01",
        "payment_intent_data[metadata][invoice_number]": "INV-2026-0007",
        "payment_intent_data[metadata][amount]": "1234.50",
        "success_url": "http://127.0.0.1:8000/invoices/INV%2301?paid=1",
        "cancel_url": "http://127.0.0.1:8000/invoices/INV%2301",
        "customer_email": "buyer@acme.example",
    }


def test_stripe_expire_posts_to_the_session_and_a_closed_session_is_not_an_error():
    def respond(seen: Seen):
        if seen.path.endswith("/cs_done/expire"):
            return 400, {"error": {"type": "invalid_request_error", "message": "Only open sessions can be expired."}}
        return 200, {"id": "cs_open", "object": "checkout.session", "status": "expired"}

    with LocalServer(respond) as server:
        gateway = StripeGateway("sk_test_local", WEBHOOK_SECRET, api_base=server.url, max_network_retries=0)
        assert gateway.expire_checkout("cs_open") is True
        assert gateway.expire_checkout("cs_done") is False
    assert [r.path for r in server.requests("POST")] == ["/v1/checkout/sessions/cs_open/expire",
                                                         "/v1/checkout/sessions/cs_done/expire"]


@pytest.mark.parametrize(("status", "error"), [(400, PaymentError), (503, PaymentUnavailable)])
def test_stripe_checkout_failures_are_split_into_refused_and_unavailable(status, error):
    with fake_stripe(status) as server:
        gateway = StripeGateway("sk_test_local", WEBHOOK_SECRET, api_base=server.url, max_network_retries=0)
        with pytest.raises(error) as raised:
            gateway.create_checkout("INV#01", "INV-2026-0007", Decimal("10"), "EUR", "http://s", "http://c", None)

    assert isinstance(raised.value, PaymentUnavailable) == (status == 503)


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("1234.50", "EUR", 123450), ("0.01", "usd", 1), ("1500", "JPY", 1500), ("1500.00", "JPY", 1500),
    ("5.120", "KWD", 5120), ("40", "ISK", 4000),
])
def test_minor_units_are_exact(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(("amount", "currency"), [
    ("10.005", "EUR"), ("1500.5", "JPY"), ("5.125", "KWD"), ("40.10", "ISK"), ("0", "EUR"), ("-1", "EUR"),
])
def test_amounts_a_currency_cannot_carry_are_refused_not_rounded(amount, currency):
    with pytest.raises(PaymentError):
        to_minor_units(Decimal(amount), currency)


# --- Sandbox gateway --------------------------------------------------------------------------------------------

def test_sandbox_checkout_pays_through_the_stripe_verification_path():
    gateway = SandboxGateway("whsec_local", "http://127.0.0.1:8000")
    session = gateway.create_checkout("INV#01", "INV-2026-0007", Decimal("99.90"), "EUR",
                                      "http://127.0.0.1:8000/ok", "http://127.0.0.1:8000/cancel", None)

    assert session.url == f"http://127.0.0.1:8000/local/pay/{session.id}"
    assert gateway.session(session.id)["amount_total"] == 9990
    payload, header = gateway.pay(session.id)
    event = gateway.parse_webhook(payload, header)
    assert (event.invoice_id, event.amount, event.currency) == ("INV#01", Decimal("99.90"), "EUR")
    assert gateway.parse_webhook(*gateway.pay(session.id)).id == event.id, "a redelivery has the same event id"
    # Genuine Stripe format: Stripe's own gateway accepts it when it shares the secret.
    assert StripeGateway("sk_unused", "whsec_local").parse_webhook(payload, header) == event


def test_sandbox_expired_checkout_cannot_be_paid_and_a_paid_one_cannot_expire():
    gateway = SandboxGateway("whsec_local")
    older = gateway.create_checkout("INV#01", "INV-1", Decimal("10"), "EUR", "http://ok", "http://no", None)
    paid = gateway.create_checkout("INV#01", "INV-1", Decimal("10"), "EUR", "http://ok", "http://no", None)
    gateway.pay(paid.id)

    assert gateway.expire_checkout(older.id) is True and gateway.session(older.id)["status"] == "expired"
    with pytest.raises(PaymentError):
        gateway.pay(older.id)
    assert gateway.expire_checkout(paid.id) is False and gateway.session(paid.id)["status"] == "complete"
    assert gateway.expire_checkout("cs_local_unknown") is False


def test_sandbox_webhook_with_a_bad_signature_is_refused():
    gateway = SandboxGateway("whsec_local")
    payload, header = gateway.sign(checkout_completed(), timestamp=int(time.time()))

    assert gateway.parse_webhook(payload, header).invoice_id == "INV#01"
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(payload, header.replace("v1=", "v1=0"))
    with pytest.raises(InvalidSignature):
        SandboxGateway("whsec_other").parse_webhook(payload, header)


def test_gateway_from_env(monkeypatch):
    gateway_from_env.cache_clear()
    monkeypatch.delenv("PAYMENTS", raising=False)
    monkeypatch.delenv("PAYMENTS_SANDBOX_SECRET", raising=False)
    sandbox = gateway_from_env()
    assert isinstance(sandbox, SandboxGateway)
    assert gateway_from_env() is sandbox

    gateway_from_env.cache_clear()
    monkeypatch.setenv("PAYMENTS", "stripe")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    assert isinstance(gateway_from_env(), StripeGateway)

    gateway_from_env.cache_clear()
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    with pytest.raises(ConfigurationError):
        gateway_from_env()
    gateway_from_env.cache_clear()
