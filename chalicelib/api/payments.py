"""POST /payments/webhook: the payment gateway's callback (public; the signature is the authentication)."""
from __future__ import annotations

from chalicelib.api.http import ApiBlueprint, json_response
from chalicelib.services import payments

payments_api = ApiBlueprint(__name__)


@payments_api.route("/payments/webhook", methods=["POST"], content_types=["application/json"])
def gateway_webhook():
    request = payments_api.current_request
    signature = request.headers.get("stripe-signature", "")
    return json_response(payments.handle_webhook(request.raw_body or b"", signature))
