"""Local-only stand-ins for the outside world's pages: the payment gateway's hosted checkout and the
courier's tracking page. Registered by the local stack only, never deployed."""
from __future__ import annotations

import html
from decimal import Decimal

from chalice import Blueprint, Response

from chalicelib.adapters.courier import courier_from_env
from chalicelib.adapters.payments import from_minor_units, gateway_from_env
from chalicelib.web.kit import url
from chalicelib.services import payments

sandbox_pages = Blueprint(__name__)
STYLE = "<style>body{font:15px system-ui;margin:48px auto;max-width:520px}button{font:inherit;padding:8px 16px}</style>"


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>{STYLE}{body}",
                    status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


@sandbox_pages.route("/local/pay/{session_id}", methods=["GET"])
def checkout_page(session_id):
    session = gateway_from_env().session(session_id)
    if session is None:
        return _page("Unknown checkout", "<h1>Unknown checkout</h1><p>This local checkout is gone (the stack restarted).</p>", 404)
    if session["status"] != "open":
        return _page("Checkout closed", "<h1>This checkout is closed</h1><p>It expired or was paid; start a new payment from the invoice.</p>", 410)
    amount = from_minor_units(session["amount_total"], session["currency"])
    number = html.escape(session["metadata"]["invoice_number"])
    return _page("Sandbox checkout", (
        f"<h1>Sandbox checkout</h1><p>Invoice <strong>{number}</strong>: {Decimal(amount):,.2f} {session['currency'].upper()}</p>"
        f"<form method=post action='{html.escape(url('/local/pay/' + session_id))}'><button id=pay type=submit>Pay</button></form>"
        f"<p><a href='{html.escape(session['cancel_url'])}'>Cancel</a></p>"))


@sandbox_pages.route("/local/pay/{session_id}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def pay(session_id):
    gateway = gateway_from_env()
    session = gateway.session(session_id)
    if session is None:
        return _page("Unknown checkout", "<h1>Unknown checkout</h1>", 404)
    if session["status"] != "open":
        return _page("Checkout closed", "<h1>This checkout is closed</h1><p>It expired or was paid; nothing was charged.</p>", 410)
    payload, signature = gateway.pay(session_id)
    payments.handle_webhook(payload, signature)  # what the gateway's webhook call would do
    return Response("", status_code=303, headers={"Location": session["success_url"]})


@sandbox_pages.route("/local/track/{awb}", methods=["GET"])
def tracking_page(awb):
    shipment = courier_from_env().shipment(awb)
    courier = html.escape(shipment.courier) if shipment else "Sandbox Courier"
    return _page(f"Tracking {awb}", f"<h1>Parcel {html.escape(awb)}</h1><p>{courier}: in transit.</p>")
