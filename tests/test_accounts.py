"""Portal accounts: lockout after repeated wrong passwords, the profile, email preferences, password change."""
from __future__ import annotations

from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.services import lockout, mail
from chalicelib.store import lockout as lockout_store
from infra.local.provision import ACCOUNT_ID
from tests.support.world import PASSWORD


def mails_to(email):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
            if email in m.destinations.get("ToAddresses", [])]


def email_of(api, token):
    return api.get("/portal/me", token).body["contact"]["email"]


def test_after_five_wrong_passwords_the_account_is_locked_even_for_the_right_one(api, world):
    client = world.client("Acme SRL")
    _, token = world.buyer(client)
    email = email_of(api, token)
    for attempt in range(lockout.ACCOUNT_LIMIT):
        wrong = api.post("/auth/login", {"email": email, "password": f"Wrong-{attempt}"})
        assert wrong.status == 401 and wrong.error["code"] == "invalid_credentials"
    locked = api.post("/auth/login", {"email": email, "password": PASSWORD})
    assert locked.status == 429 and locked.error["code"] == "too_many_attempts"
    assert "15 more minutes" in locked.error["message"]
    counter = lockout_store.read([lockout_store.counter_pk("account", email)])
    assert list(counter.values())[0].failures == lockout.ACCOUNT_LIMIT


def test_a_lock_ends_and_a_good_sign_in_clears_the_account_count(api, world, monkeypatch):
    client = world.client("Acme SRL")
    _, token = world.buyer(client)
    email = email_of(api, token)
    for attempt in range(lockout.ACCOUNT_LIMIT - 1):
        assert api.post("/auth/login", {"email": email, "password": "nope"}).status == 401
    assert api.post("/auth/login", {"email": email, "password": PASSWORD}).status == 200
    assert lockout_store.read([lockout_store.counter_pk("account", email)]) == {}
    for attempt in range(lockout.ACCOUNT_LIMIT):
        api.post("/auth/login", {"email": email, "password": "nope"})
    assert api.post("/auth/login", {"email": email, "password": PASSWORD}).status == 429
    later = lockout.now() + lockout.LOCK_SECONDS + 1
    monkeypatch.setattr(lockout, "now", lambda: later)
    assert api.post("/auth/login", {"email": email, "password": PASSWORD}).status == 200


def test_one_address_guessing_many_accounts_is_locked_out(api, world, monkeypatch):
    monkeypatch.setattr(lockout, "IP_LIMIT", 3)
    for n in range(3):
        assert api.post("/auth/login", {"email": f"guess{n}@nowhere.example", "password": "x"}).status == 401
    client = world.client("Acme SRL")
    _, token = world.buyer(client)
    refused = api.post("/auth/login", {"email": email_of(api, token), "password": PASSWORD})
    assert refused.status == 429 and refused.error["code"] == "too_many_attempts"


def test_the_profile_shows_the_person_and_the_company_read_only(api, world):
    agent_id, _ = world.staff("agent")
    client = world.client("Acme SRL", vat_number="RO123", sale_agent_id=agent_id, credit_limit=Decimal("5000"),
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, token = world.buyer(client)
    profile = api.get("/portal/profile", token)
    assert profile.status == 200
    assert profile.body["company"]["name"] == "Acme SRL" and profile.body["company"]["vat_number"] == "RO123"
    assert profile.body["notify"] == dict.fromkeys(("order_updates", "invoices", "proposals", "comments", "approvals"), True)

    changed = api.call("PATCH", "/portal/profile", {"first_name": "Ana", "last_name": "Pop", "phone": "+40 721 000 000",
                                                    "notify": {"order_updates": False}}, token=token)
    assert changed.status == 200, changed.text
    assert (changed.body["first_name"], changed.body["phone"], changed.body["notify"]["order_updates"]) == \
        ("Ana", "+40 721 000 000", False)
    assert api.get("/portal/me", token).body["contact"]["name"] == "Ana Pop"
    company = api.call("PATCH", "/portal/profile", {"company": {"name": "Hacked"}}, token=token)
    assert company.status == 422 and company.error["code"] == "unknown_field"
    bad_phone = api.call("PATCH", "/portal/profile", {"phone": "<script>"}, token=token)
    assert bad_phone.status == 422 and bad_phone.error["field"] == "phone"


def test_email_preferences_decide_which_optional_emails_go(api, world):
    client = world.client("Acme SRL")
    _, token = world.buyer(client)
    email = email_of(api, token)
    api.call("PATCH", "/portal/profile", {"notify": {"order_updates": False}}, token=token)
    assert not mail.wanted("order_accepted", email) and not mail.wanted("shipped", email)
    assert mail.wanted("invoice_issued", email) and mail.wanted("invitation", email)
    assert mail.wanted("invoice_overdue", email)  # reminders always go
    before = len(mails_to(email))
    assert mail.send("order_declined", email, order={"number": "SO-1", "reason": None}) is None
    assert len(mails_to(email)) == before
    refused = mail.deliver("order_declined", email, order={"number": "SO-1", "reason": None})
    assert not refused.delivered and "turned these emails off" in refused.error


def test_change_password_needs_the_current_one(api, world):
    client = world.client("Acme SRL")
    _, token = world.buyer(client)
    email = email_of(api, token)
    wrong = api.post("/portal/profile/password", {"current_password": "nope", "new_password": "Brand-New-Pass-1"}, token)
    assert wrong.status == 422 and wrong.error["field"] == "current_password"
    weak = api.post("/portal/profile/password", {"current_password": PASSWORD, "new_password": "short"}, token)
    assert weak.status == 422 and weak.error["code"] == "weak_password"
    assert api.post("/portal/profile/password", {"current_password": PASSWORD, "new_password": "Brand-New-Pass-1"}, token).status == 204
    assert api.post("/auth/login", {"email": email, "password": "Brand-New-Pass-1"}).status == 200


def test_a_company_change_request_reaches_the_agent(api, world):
    agent_id, agent_token = world.staff("agent")
    client = world.client("Acme SRL", sale_agent_id=agent_id)
    _, token = world.buyer(client)
    sent = api.post("/portal/profile/company-change-request", {"message": "Our VAT number is now RO999"}, token)
    assert sent.status == 202
    agent_email = next(m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if "asks to change" in m.subject)
    assert "RO999" in agent_email.body and "Acme SRL" in agent_email.subject
    empty = api.post("/portal/profile/company-change-request", {"message": "  "}, token)
    assert empty.status == 422
