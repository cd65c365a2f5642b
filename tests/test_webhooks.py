"""Outgoing webhooks (adapters/webhooks.py): which addresses a deployed stage may call, and no redirects."""
from __future__ import annotations

import socket

import pytest

from chalicelib.adapters import webhooks
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import automation
from tests.support.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def deployed(app_settings):
    app_settings(STAGE="prod")


def resolving_to(monkeypatch, address):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)


def rule(url):
    return {"name": "Hook", "trigger": {"event": "order.placed"}, "actions": [
        {"type": "email", "to": "agent", "subject": "x", "body": "y"}, {"type": "webhook", "url": url}]}


@pytest.mark.parametrize("url, words", [
    ("http://hooks.example.com/x", "https://"),
    ("https://127.0.0.1/x", "private or reserved"),
    ("https://10.1.2.3/x", "private or reserved"),
    ("https://169.254.169.254/latest/meta-data", "private or reserved"),
    ("https://[::1]:8443/x", "private or reserved"),
    ("https://[fd00::1]/x", "private or reserved"),
])
def test_a_deployed_stage_refuses_plain_http_and_private_addresses(deployed, url, words):
    assert words in webhooks.refusal(url, resolve=False)
    answer = webhooks.post(url, {"a": 1}, secret=None, delivery_id="d", timeout=1)
    assert not answer.ok and not answer.retryable and words in answer.error


def test_a_host_name_is_checked_by_the_addresses_it_resolves_to(deployed, monkeypatch):
    assert webhooks.refusal("https://hooks.example.com/x", resolve=False) is None  # at save: no DNS
    resolving_to(monkeypatch, "192.168.1.20")
    assert "private or reserved" in webhooks.refusal("https://hooks.example.com/x", resolve=True)
    resolving_to(monkeypatch, "93.184.215.14")
    assert webhooks.refusal("https://hooks.example.com/x", resolve=True) is None

    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", no_such_host)
    assert "cannot be resolved" in webhooks.refusal("https://nowhere.example/x", resolve=True)


def test_saving_a_rule_on_a_deployed_stage_names_the_refused_address(deployed):
    with pytest.raises(ValidationFailed) as refused:
        automation.check_rule(rule("http://hooks.example.com/x"))
    assert refused.value.field == "actions[1].url" and "https://" in str(refused.value)
    assert automation.check_rule(rule("https://hooks.example.com/x"))["actions"][1]["url"] == "https://hooks.example.com/x"


def test_the_local_stack_calls_local_receivers(receiver):
    assert webhooks.refusal(receiver.url, resolve=True) is None
    assert automation.check_rule(rule(receiver.url))
    assert webhooks.post(receiver.url, {"a": 1}, secret="s3cret-key", delivery_id="d", timeout=5).ok


def test_a_redirect_is_not_followed(receiver):
    elsewhere = Receiver()
    try:
        receiver.redirect_to = elsewhere.url
        answer = webhooks.post(receiver.url, {"a": 1}, secret=None, delivery_id="d", timeout=5)
        assert not answer.ok and answer.status == 302 and answer.retryable
        assert len(receiver.requests) == 1
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()
