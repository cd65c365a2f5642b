"""A deployed stage fails closed: secrets come from SSM, sandboxes exist only locally, legal data is required."""
from __future__ import annotations

import json
import os
import secrets as random_secrets
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from chalicelib import config
from chalicelib.adapters.courier import courier_from_env
from chalicelib.adapters.payments import gateway_from_env

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/b2b-portal/qa/"
STRONG = random_secrets.token_urlsafe(32)


def stage_env(name: str) -> dict[str, str]:
    """The Lambda environment `chalice deploy` would set for a stage of .chalice/config.json."""
    chalice = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**chalice.get("environment_variables", {}), **chalice["stages"][name]["environment_variables"]}


def ready_env() -> dict[str, str]:
    return {
        "STAGE": "qa", "SSM_PREFIX": PREFIX, "PAYMENTS": "stripe", "COURIER": "innoship",
        "INNOSHIP_BASE_URL": "https://api.innoship.com", "PORTAL_URL": "https://portal.acme-distribution.ro",
        "SUPPLIER_NAME": "Acme Distribution SRL", "SUPPLIER_VAT": "RO12345678", "SUPPLIER_STREET": "Str. Lipscani 10",
        "SUPPLIER_CITY": "Bucharest", "SUPPLIER_POSTCODE": "030031", "SUPPLIER_COUNTRY": "RO",
        "SUPPLIER_EMAIL": "billing@acme-distribution.ro", "SUPPLIER_IBAN": "RO49AAAA1B31007593840000",
    }


def ready_secrets() -> dict[str, str]:
    return {"REVIEW_LINK_SECRET": STRONG, "STRIPE_API_KEY": "sk_live_" + STRONG,
            "STRIPE_WEBHOOK_SECRET": "whsec_" + STRONG, "INNOSHIP_API_KEY": STRONG}


def test_a_complete_stage_may_start():
    assert config.deployment_problems(ready_env(), ready_secrets()) == []


def test_the_shipped_dev_stage_is_refused_with_every_reason():
    problems = "\n".join(config.deployment_problems(stage_env("dev"), {"REVIEW_LINK_SECRET": "set-per-stage-see-docs-deploy"}))

    assert "REVIEW_LINK_SECRET is a placeholder" in problems
    assert "SUPPLIER_IBAN is missing" in problems  # left empty in config.json until the supplier's data is filled in
    assert "PORTAL_URL must be the portal's public https address" in problems  # still the example.com placeholder


@pytest.mark.parametrize("value", ["set-per-stage-see-docs-deploy", "local-only-secret", "changeme", "short"])
def test_a_placeholder_or_weak_link_secret_is_refused(value):
    problems = config.deployment_problems(ready_env(), {**ready_secrets(), "REVIEW_LINK_SECRET": value})

    assert any("REVIEW_LINK_SECRET" in p for p in problems)


def test_a_secret_in_a_plain_environment_variable_is_refused():
    problems = config.deployment_problems({**ready_env(), "STRIPE_WEBHOOK_SECRET": "whsec_x"}, ready_secrets())

    assert problems == ["STRIPE_WEBHOOK_SECRET is set as a Lambda environment variable; keep it in SSM only."]


@pytest.mark.parametrize("variable, value", [("PAYMENTS", "sandbox"), ("PAYMENTS", ""), ("COURIER", "sandbox")])
def test_sandboxes_are_refused_on_a_deployed_stage(variable, value):
    problems = config.deployment_problems({**ready_env(), variable: value}, ready_secrets())

    assert any(p.startswith(f"{variable} must be") and "local stack" in p for p in problems)


@pytest.mark.parametrize("variable", ["SUPPLIER_NAME", "SUPPLIER_VAT", "SUPPLIER_IBAN", "SUPPLIER_STREET"])
def test_missing_supplier_legal_data_is_refused(variable):
    env = {k: v for k, v in ready_env().items() if k != variable}

    assert config.deployment_problems(env, ready_secrets()) == [
        f"The supplier's legal data {variable} is missing (printed on every invoice)."]


def test_the_factories_refuse_sandboxes_outside_the_local_stack(monkeypatch):
    monkeypatch.setenv("STAGE", "qa")
    monkeypatch.delenv("PAYMENTS", raising=False)
    monkeypatch.delenv("COURIER", raising=False)
    config.settings.cache_clear()
    gateway_from_env.cache_clear()
    courier_from_env.cache_clear()
    try:
        with pytest.raises(config.ConfigurationError, match="local stack"):
            gateway_from_env()
        monkeypatch.setenv("PAYMENTS", "sandbox")
        with pytest.raises(config.ConfigurationError, match="local stack"):
            gateway_from_env()
        with pytest.raises(config.ConfigurationError, match="local stack"):
            courier_from_env()
    finally:
        config.settings.cache_clear()
        gateway_from_env.cache_clear()
        courier_from_env.cache_clear()


def test_demo_supplier_data_exists_only_on_the_local_stack(monkeypatch):
    monkeypatch.delenv("SUPPLIER_IBAN", raising=False)
    monkeypatch.setenv("STAGE", "local")
    assert config.supplier().iban
    monkeypatch.setenv("STAGE", "qa")
    assert config.supplier().iban == ""


# --- on the embedded AWS: secrets from SSM, and a Lambda cold start that refuses ----------------------

def put_secrets(values: dict[str, str]) -> None:
    ssm = boto3.client("ssm")
    for name, value in values.items():
        ssm.put_parameter(Name=f"{PREFIX}{name}", Value=value, Type="SecureString", Overwrite=True)


def test_secrets_are_read_from_ssm_securestrings(stack, monkeypatch):
    put_secrets(ready_secrets())
    monkeypatch.setenv("SSM_PREFIX", PREFIX)
    monkeypatch.delenv("REVIEW_LINK_SECRET", raising=False)
    config._ssm_secrets.cache_clear()
    try:
        assert config.secret("REVIEW_LINK_SECRET") == STRONG
        assert config.settings().review_link_secret == STRONG
    finally:
        config._ssm_secrets.cache_clear()


def cold_start(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the app as the Lambda runtime would, in a fresh interpreter with only this environment."""
    base = {k: os.environ[k] for k in ("PATH", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_DEFAULT_REGION", "AWS_REGION") if k in os.environ}
    return subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**base, "PYTHONPATH": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": "b2b-portal-qa", **env})


def test_a_deployed_stage_with_its_secrets_in_ssm_starts(stack):
    put_secrets(ready_secrets())

    started = cold_start(ready_env())

    assert started.returncode == 0, started.stderr


def test_a_deployed_stage_with_the_placeholder_secret_refuses_to_start(stack):
    put_secrets({**ready_secrets(), "REVIEW_LINK_SECRET": "set-per-stage-see-docs-deploy"})

    refused = cold_start({k: v for k, v in ready_env().items() if k != "PAYMENTS"})

    assert refused.returncode != 0
    assert "Stage 'qa' refuses to start" in refused.stderr
    assert "The secret REVIEW_LINK_SECRET is a placeholder" in refused.stderr
    assert "PAYMENTS must be stripe on a deployed stage (is 'unset')" in refused.stderr
