"""/local/outbox: the mail the embedded SES received, newest first (registered by the local stack only,
so it never exists in a deployed API). Also lists the password-reset codes the embedded Cognito would
have emailed, since Cognito sends those itself on AWS."""
from __future__ import annotations

import html
import json

from chalice import Blueprint, Response
from moto.cognitoidp.models import cognitoidp_backends
from moto.ses.models import ses_backends

from infra.local.provision import ACCOUNT_ID

outbox = Blueprint(__name__)
REGION = {"name": "us-east-1"}


def sent_mail() -> list[dict[str, object]]:
    backend = ses_backends[ACCOUNT_ID][REGION["name"]]
    return [
        {"id": m.id, "from": m.source, "to": m.destinations.get("ToAddresses", []), "subject": m.subject, "body": m.body}
        for m in reversed(backend.sent_messages)
    ]


def reset_codes() -> list[dict[str, str]]:
    codes = []
    for pool in cognitoidp_backends[ACCOUNT_ID][REGION["name"]].user_pools.values():
        for user in pool.users.values():
            if getattr(user, "confirmation_code", None):
                email = next((a["Value"] for a in user.attributes if a["Name"] == "email"), user.username)
                codes.append({"email": email, "code": user.confirmation_code})
    return codes


@outbox.route("/local/outbox", methods=["GET"])
def show_outbox():
    mails, codes = sent_mail(), reset_codes()
    if "text/html" not in (outbox.current_request.headers.get("accept") or ""):
        return Response(json.dumps({"items": mails, "password_reset_codes": codes, "next_cursor": None}),
                        headers={"Content-Type": "application/json"})
    rows = "".join(
        f"<article><h3>{html.escape(str(m['subject']))}</h3><p>To {html.escape(', '.join(m['to']))} · from "
        f"{html.escape(str(m['from']))}</p><div class=body>{m['body']}</div></article>" for m in mails
    ) or "<p>No mail yet.</p>"
    code_rows = "".join(f"<li>{html.escape(c['email'])}: <code>{html.escape(c['code'])}</code></li>" for c in codes)
    page = (
        "<!doctype html><meta charset=utf-8><title>Local outbox</title>"
        "<style>body{font:15px system-ui;margin:24px;max-width:900px}article{border:1px solid #ddd;"
        "border-radius:8px;padding:12px 16px;margin:12px 0}</style><h1>Local outbox</h1>"
        f"{'<h2>Password reset codes</h2><ul>' + code_rows + '</ul>' if codes else ''}<h2>Mail, newest first</h2>{rows}"
    )
    return Response(page, headers={"Content-Type": "text/html; charset=utf-8"})
