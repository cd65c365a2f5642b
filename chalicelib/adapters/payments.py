"""Online payment of invoices: a hosted checkout page, and the gateway's signed webhook.

Both gateways speak Stripe's webhook format (`Stripe-Signature: t=<ts>,v1=<hmac>`) and verify it
with the same code (`stripe.Webhook.construct_event`), so the local sandbox exercises the very
path production takes. `stripe` is imported inside methods to keep it out of cold starts that
never touch payments.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

import urllib3
from aws_lambda_powertools import Logger

logger = Logger(service="b2b-portal", child=True)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class PaymentEvent:
    id: str  # the gateway's event id, used for idempotency
    invoice_id: str
    amount: Decimal
    currency: str  # ISO 4217, upper case like the rest of the app
    paid_at: datetime
    reference: str  # the gateway's payment id (Stripe PaymentIntent, else the Checkout Session)
    session_id: str
    expected_amount: Decimal | None  # what the checkout was created for (its metadata), when known


class InvalidSignature(Exception):
    """The webhook's signature is missing, wrong or too old: answer 400 and ignore it."""


class PaymentError(Exception):
    """The gateway refused the request: retrying will not help."""


class PaymentUnavailable(PaymentError):
    """The gateway could not be reached or answered 5xx/429: retry later."""


class PaymentGateway(Protocol):
    def create_checkout(self, invoice_id: str, number: str, amount: Decimal, currency: str,
                        success_url: str, cancel_url: str, customer_email: str | None) -> CheckoutSession:
        """A hosted page where the buyer pays `amount` of the invoice."""
        ...

    def expire_checkout(self, session_id: str) -> bool:
        """Close an open checkout so it can no longer be paid; False when it cannot be (paid or gone already)."""
        ...

    def parse_webhook(self, payload: bytes, signature_header: str) -> PaymentEvent | None:
        """The payment a verified webhook reports; None for events we ignore. Raises InvalidSignature."""
        ...


# Stripe takes amounts in the currency's minor unit (https://docs.stripe.com/currencies).
_ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
_THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())  # Stripe wants the last digit 0
_WHOLE_UNITS_ONLY = frozenset({"isk"})  # two decimals in the API, but whole krónur only


def minor_unit_exponent(currency: str) -> int:
    code = currency.lower()
    return 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """The exact amount in minor units; refuses amounts the currency cannot carry rather than round."""
    code = currency.lower()
    scaled = amount.scaleb(minor_unit_exponent(code))
    if amount <= 0 or scaled != scaled.to_integral_value():
        raise PaymentError(f"{amount} {currency.upper()} cannot be charged exactly")
    minor = int(scaled)
    if (code in _THREE_DECIMAL and minor % 10) or (code in _WHOLE_UNITS_ONLY and minor % 100):
        raise PaymentError(f"{amount} {currency.upper()} cannot be charged exactly")
    return minor


def from_minor_units(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_unit_exponent(currency))


# Stripe events that mean money arrived: a card payment completes the session as "paid"; a delayed
# method (SEPA debit, bank transfer, common in B2B) completes "unpaid" and succeeds later.
_PAID_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})


def _verified_event(payload: bytes, signature_header: str | None, secret: str, api_key: str | None = None) -> dict:
    import stripe  # noqa: PLC0415

    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret, api_key=api_key)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(str(exc)) from exc
    except ValueError as exc:  # not UTF-8 or not JSON: nothing Stripe signed
        raise InvalidSignature(f"malformed webhook payload: {exc}") from exc
    return event.to_dict()


def _payment_event(event: dict) -> PaymentEvent | None:
    if event.get("type") not in _PAID_EVENTS:
        return None
    session = event.get("data", {}).get("object", {})
    if session.get("payment_status") != "paid":
        return None
    invoice_id = (session.get("metadata") or {}).get("invoice_id") or session.get("client_reference_id")
    if not invoice_id:
        logger.warning("Paid checkout without an invoice id ignored", event_id=event.get("id"))
        return None
    currency = str(session["currency"])
    expected = (session.get("metadata") or {}).get("amount")
    return PaymentEvent(
        id=str(event["id"]),
        invoice_id=str(invoice_id),
        amount=from_minor_units(int(session["amount_total"]), currency),
        currency=currency.upper(),
        paid_at=datetime.fromtimestamp(int(event["created"]), tz=timezone.utc),
        reference=str(session.get("payment_intent") or session["id"]),
        session_id=str(session["id"]),
        expected_amount=Decimal(expected) if expected else None,
    )


def _checkout_params(invoice_id: str, number: str, amount: Decimal, currency: str,
                     success_url: str, cancel_url: str, customer_email: str | None) -> dict:
    metadata = {"invoice_id": invoice_id, "invoice_number": number, "amount": str(amount)}
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": currency.lower(),
                "unit_amount": to_minor_units(amount, currency),
                "product_data": {"name": f"Invoice {number}"},
            },
        }],
        "client_reference_id": invoice_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if customer_email:
        params["customer_email"] = customer_email
    return params


class StripeGateway:
    """Stripe Checkout (payment mode, one line for the invoice amount) and Stripe's webhooks."""

    def __init__(self, api_key: str, webhook_secret: str, *, api_base: str | None = None,
                 timeout_seconds: float = 15, max_network_retries: int = 2):
        self._api_key = api_key
        self._webhook_secret = webhook_secret
        self._api_base = api_base  # tests point it at a local server
        self._timeout_seconds = timeout_seconds
        self._max_network_retries = max_network_retries
        self._client: Any = None
        self._lock = threading.Lock()

    def create_checkout(self, invoice_id: str, number: str, amount: Decimal, currency: str,
                        success_url: str, cancel_url: str, customer_email: str | None) -> CheckoutSession:
        import stripe  # noqa: PLC0415

        params = _checkout_params(invoice_id, number, amount, currency, success_url, cancel_url, customer_email)
        try:
            session = self._stripe().v1.checkout.sessions.create(params=params)
        except stripe.StripeError as exc:
            status = getattr(exc, "http_status", None) or 0
            transient = isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or status >= 500
            raise (PaymentUnavailable if transient else PaymentError)(f"Stripe checkout for {number}: {exc}") from exc
        return CheckoutSession(id=session.id, url=session.url)

    def expire_checkout(self, session_id: str) -> bool:
        """`checkout.sessions.expire`; Stripe refuses (400) a session that is complete or expired already."""
        import stripe  # noqa: PLC0415

        try:
            self._stripe().v1.checkout.sessions.expire(session_id)
        except stripe.InvalidRequestError:
            return False
        except stripe.StripeError as exc:
            status = getattr(exc, "http_status", None) or 0
            transient = isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or status >= 500
            raise (PaymentUnavailable if transient else PaymentError)(f"Stripe expire {session_id}: {exc}") from exc
        return True

    def parse_webhook(self, payload: bytes, signature_header: str) -> PaymentEvent | None:
        return _payment_event(_verified_event(payload, signature_header, self._webhook_secret, self._api_key))

    def _stripe(self) -> Any:
        with self._lock:
            if self._client is None:
                import stripe  # noqa: PLC0415

                self._client = stripe.StripeClient(
                    self._api_key,
                    base_addresses={"api": self._api_base} if self._api_base else None,
                    max_network_retries=self._max_network_retries,
                    http_client=_urllib3_http_client(self._timeout_seconds),
                )
            return self._client


def _urllib3_http_client(timeout_seconds: float) -> Any:
    """Stripe's HTTP client on urllib3 with a timeout.

    Left to itself the stripe package uses `requests` when installed (tests) and bare urllib
    without any timeout otherwise (Lambda); this keeps both the same, and bounded.
    """
    import stripe  # noqa: PLC0415

    class Urllib3Client(stripe.HTTPClient):
        name = "urllib3"

        def __init__(self) -> None:
            super().__init__()
            self._pool = urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds), retries=False)

        def request(self, method, url, headers, post_data=None, *, _usage=None):
            try:
                response = self._pool.request(method.upper(), url, headers=dict(headers or {}), body=post_data)
            except urllib3.exceptions.HTTPError as exc:
                # The stripe client retries these with the same Idempotency-Key.
                raise stripe.APIConnectionError(f"Network error talking to Stripe: {exc}", should_retry=True) from exc
            return response.data.decode("utf-8"), response.status, {k.lower(): v for k, v in response.headers.items()}

        def close(self) -> None:
            self._pool.clear()

    return Urllib3Client()


class SandboxGateway:
    """A local stand-in for Stripe: a local pay page, and webhooks signed the way Stripe signs them."""

    def __init__(self, secret: str, base_url: str = "http://127.0.0.1:8000"):
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._lock = threading.Lock()
        self._sessions: dict[str, dict] = {}

    def create_checkout(self, invoice_id: str, number: str, amount: Decimal, currency: str,
                        success_url: str, cancel_url: str, customer_email: str | None) -> CheckoutSession:
        session_id = f"cs_local_{uuid.uuid4().hex}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "amount_total": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "client_reference_id": invoice_id,
            "metadata": {"invoice_id": invoice_id, "invoice_number": number, "amount": str(amount)},
            "customer_email": customer_email,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "payment_status": "unpaid",
            "status": "open",
            "url": f"{self._base_url}/local/pay/{session_id}",
        }
        with self._lock:
            self._sessions[session_id] = session
        return CheckoutSession(id=session_id, url=session["url"])

    def session(self, session_id: str) -> dict | None:
        """The checkout as the local pay page shows it (amount in minor units, as Stripe keeps it)."""
        with self._lock:
            session = self._sessions.get(session_id)
            return dict(session) if session else None

    def expire_checkout(self, session_id: str) -> bool:
        """Like Stripe: only an open session expires; its page then refuses to take money."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session["status"] != "open":
                return False
            session["status"] = "expired"
            return True

    def completed_event(self, session_id: str) -> dict:
        """The `checkout.session.completed` event Stripe would send once the buyer has paid (the session is complete).

        The event id is fixed per session, so paying twice delivers the same event twice, as a
        redelivering gateway would. An expired session cannot be paid: PaymentError.
        """
        with self._lock:
            stored = self._sessions.get(session_id)
            if stored is None:
                raise KeyError(session_id)
            if stored["status"] == "expired":
                raise PaymentError(f"Checkout {session_id} has expired")
            stored["status"] = "complete"
            session = dict(stored)
        suffix = session_id.removeprefix("cs_local_")
        paid = {**session, "payment_status": "paid", "status": "complete", "payment_intent": f"pi_local_{suffix}"}
        return {"id": f"evt_local_{suffix}", "object": "event", "type": "checkout.session.completed",
                "created": int(time.time()), "livemode": False, "data": {"object": paid}}

    def sign(self, event: dict, timestamp: int | None = None) -> tuple[bytes, str]:
        """The webhook body and its `Stripe-Signature` header."""
        payload = json.dumps(event).encode()
        return payload, stripe_signature_header(payload, self._secret, timestamp)

    def pay(self, session_id: str) -> tuple[bytes, str]:
        """What the local pay page posts to the webhook endpoint: the signed completed event."""
        return self.sign(self.completed_event(session_id))

    def parse_webhook(self, payload: bytes, signature_header: str) -> PaymentEvent | None:
        return _payment_event(_verified_event(payload, signature_header, self._secret))


def stripe_signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """`t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">`, Stripe's webhook signature scheme."""
    ts = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={signature}"


SANDBOX_SECRET = "whsec_local_sandbox"


@lru_cache(maxsize=1)
def gateway_from_env() -> PaymentGateway:
    """The configured gateway, one per process: `PAYMENTS` = stripe, or sandbox (the default) on the local stack only."""
    from chalicelib.config import ConfigurationError, secret, settings  # noqa: PLC0415

    local = settings().is_local
    kind = os.environ.get("PAYMENTS", "").strip().lower() or ("sandbox" if local else "")
    if kind == "sandbox":
        if not local:  # its webhook secret is in the source: anyone could forge a payment
            raise ConfigurationError("PAYMENTS=sandbox: the sandbox gateway exists only in the local stack.")
        return SandboxGateway(os.environ.get("PAYMENTS_SANDBOX_SECRET") or SANDBOX_SECRET, settings().portal_url)
    if kind == "stripe":
        return StripeGateway(secret("STRIPE_API_KEY"), secret("STRIPE_WEBHOOK_SECRET"))
    raise ConfigurationError(f"PAYMENTS must be 'stripe' (or 'sandbox' on the local stack), not {kind!r}")
