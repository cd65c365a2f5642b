"""Run-time configuration, read once per process.

The same names are set by `.chalice/config.json` on AWS and by the local stack (`infra/local`) on this
machine; no code path differs between the two. Secrets are the exception: a deployed stage reads them
from SSM Parameter Store (SecureString parameters under `SSM_PREFIX`, e.g. `/b2b-portal/prod/`) at cold
start, never from Lambda environment variables; only the local stack takes them from its environment.

A deployed stage fails closed: `require_deployable()` (run when the Lambda runtime imports the app)
refuses to start with every problem listed when a secret is missing or a placeholder, when payments or
the courier would fall back to a sandbox, or when the supplier's legal data is missing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Mapping

LOCAL_STAGE = "local"

# Secret name -> when a deployed stage needs it (None: always).
SECRETS: dict[str, tuple[str, str] | None] = {
    "REVIEW_LINK_SECRET": None,
    "STRIPE_API_KEY": ("PAYMENTS", "stripe"),
    "STRIPE_WEBHOOK_SECRET": ("PAYMENTS", "stripe"),
    "INNOSHIP_API_KEY": ("COURIER", "innoship"),
    # ANAF e-Factura OAuth2 (an app registered on anaf.ro with the company's qualified certificate)
    "ANAF_CLIENT_ID": ("EINVOICE", "anaf"),
    "ANAF_CLIENT_SECRET": ("EINVOICE", "anaf"),
    "ANAF_REFRESH_TOKEN": ("EINVOICE", "anaf"),
}
MIN_LINK_SECRET_LENGTH = 32
# Values that were ever shipped as examples or local defaults: a deployed stage must not run on them.
PLACEHOLDER_MARKS = ("set-per-stage", "see-docs", "changeme", "change-me", "placeholder", "local-only",
                     "local_sandbox", "example", "from-infra-stack", "todo", "xxx")

# Which real adapter each deployed stage may use; the sandboxes exist only in the local stack.
REAL_ADAPTERS = {"PAYMENTS": ("stripe",), "COURIER": ("innoship",)}


class ConfigurationError(RuntimeError):
    """The stage is not configured well enough to serve anyone; the message lists what is missing."""


@dataclass(frozen=True)
class SupplierDetails:
    """The supplier's legal identity as printed on invoices, delivery notes and statements."""

    name: str
    vat_number: str
    street: str
    city: str
    postcode: str
    country: str
    email: str
    registration_number: str
    iban: str
    county: str = ""  # ISO 3166-2 (RO-B); a Bucharest city names its sector ("Bucharest, Sector 3")


SUPPLIER_ENV = {  # field -> (environment variable, local demo value, required on a deployed stage)
    "name": ("SUPPLIER_NAME", "Demo Distribution SRL", True),
    "vat_number": ("SUPPLIER_VAT", "RO11223344", True),
    "street": ("SUPPLIER_STREET", "Bd. Unirii 1", True),
    "city": ("SUPPLIER_CITY", "Bucharest, Sector 3", True),
    "postcode": ("SUPPLIER_POSTCODE", "030119", True),
    "country": ("SUPPLIER_COUNTRY", "RO", True),
    "email": ("SUPPLIER_EMAIL", "billing@example.com", True),
    "registration_number": ("SUPPLIER_REG", "J40/1234/2020", False),
    "iban": ("SUPPLIER_IBAN", "RO49AAAA1B31007593840000", True),
    "county": ("SUPPLIER_COUNTY", "RO-B", False),
}


def accounting_currency() -> str:
    """The currency the supplier keeps its books (and VAT return) in: RON for a Romanian supplier."""
    return os.environ.get("ACCOUNTING_CURRENCY", "").strip().upper() or ("RON" if supplier().country.upper() == "RO" else "EUR")


def intra_community_goods_as_k() -> bool:
    """Report goods sold to EU businesses as intra-community supplies (K) rather than reverse charge (AE)."""
    return os.environ.get("VAT_INTRA_COMMUNITY_GOODS", "").strip().lower() in ("k", "1", "true", "yes")


def einvoice_kind() -> str:
    """`EINVOICE`: anaf (a Romanian supplier on a deployed stage), sandbox (local default), or none."""
    kind = os.environ.get("EINVOICE", "").strip().lower()
    if kind:
        return kind
    if supplier().country.upper() != "RO":
        return "none"
    return "sandbox" if stage() == LOCAL_STAGE else "anaf"


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_name: str
    idempotency_table_name: str
    user_pool_id: str
    user_pool_client_id: str
    documents_bucket: str
    mail_sender: str
    portal_url: str
    supplier_timezone: str
    aws_endpoint_url: str | None

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    @property
    def review_link_secret(self) -> str:
        return secret("REVIEW_LINK_SECRET")

    @property
    def token_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        # Locally the embedded Cognito serves its keys on the stack's endpoint.
        base = self.aws_endpoint_url or f"https://cognito-idp.{self.region}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"


def aws_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def table_name() -> str:
    return os.environ.get("TABLE_NAME", "b2b-local")


def stage() -> str:
    return os.environ.get("STAGE", LOCAL_STAGE)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        stage=stage(),
        region=aws_region(),
        table_name=table_name(),
        idempotency_table_name=env.get("IDEMPOTENCY_TABLE_NAME", "b2b-local-idempotency"),
        user_pool_id=env.get("USER_POOL_ID", ""),
        user_pool_client_id=env.get("USER_POOL_CLIENT_ID", ""),
        documents_bucket=env.get("DOCUMENTS_BUCKET", "b2b-local-documents"),
        mail_sender=env.get("MAIL_SENDER", "portal@example.com"),
        portal_url=env.get("PORTAL_URL", "http://127.0.0.1:8000"),
        supplier_timezone=env.get("SUPPLIER_TIMEZONE", "UTC"),
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
    )


# --- secrets ------------------------------------------------------------------------------------

def secrets() -> dict[str, str]:
    """Every secret of this stage: from SSM under `SSM_PREFIX` when deployed (read once per process), else the environment."""
    prefix = os.environ.get("SSM_PREFIX", "").strip()
    if not prefix:
        return {name: os.environ[name] for name in SECRETS if os.environ.get(name)}
    return _ssm_secrets(prefix)


@lru_cache(maxsize=4)
def _ssm_secrets(prefix: str) -> dict[str, str]:
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - only deployed stages read SSM

    found = parameters.get_parameters(prefix, decrypt=True, recursive=False, max_age=3600, force_fetch=True)
    return {name: str(value) for name, value in found.items() if name in SECRETS and value}


def secret(name: str) -> str:
    value = secrets().get(name, "")
    if not value:
        raise ConfigurationError(f"The secret {name} is not configured for stage {stage()!r} "
                                 f"(SSM parameter {os.environ.get('SSM_PREFIX', '<SSM_PREFIX>')}{name}).")
    return value


# --- supplier's legal data -------------------------------------------------------------------------

def supplier() -> SupplierDetails:
    """The supplier's legal data from the stage's environment; demo values only on the local stack."""
    local = stage() == LOCAL_STAGE
    values = {}
    for field in fields(SupplierDetails):
        variable, demo, _required = SUPPLIER_ENV[field.name]
        values[field.name] = os.environ.get(variable, "").strip() or (demo if local else "")
    return SupplierDetails(**values)


# --- fail closed ---------------------------------------------------------------------------------

def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return not lowered or any(mark in lowered for mark in PLACEHOLDER_MARKS)


def deployment_problems(env: Mapping[str, str], stage_secrets: Mapping[str, str]) -> list[str]:
    """What keeps a deployed stage from serving safely; empty when it may start. Pure: no I/O."""
    stage_name = env.get("STAGE", "")
    problems = []
    if not stage_name or stage_name == LOCAL_STAGE:
        problems.append("STAGE is not set to a deployed stage name (the 'local' stage runs only on the embedded stack).")
    if not env.get("SSM_PREFIX", "").strip():
        problems.append("SSM_PREFIX is not set: secrets are read from SSM Parameter Store, e.g. /b2b-portal/<stage>/.")
    for name in SECRETS:
        if env.get(name):
            problems.append(f"{name} is set as a Lambda environment variable; keep it in SSM only.")
    for variable, allowed in REAL_ADAPTERS.items():
        kind = env.get(variable, "").strip().lower()
        if kind not in allowed:
            problems.append(f"{variable} must be {' or '.join(allowed)} on a deployed stage (is {kind or 'unset'!r}); "
                            "the sandbox exists only in the local stack.")
    for variable in ("EXCHANGE_RATES", "EINVOICE"):
        if env.get(variable, "").strip().lower() == "sandbox":
            problems.append(f"{variable}=sandbox: the sandbox exists only in the local stack.")
    for name, needed_when in SECRETS.items():
        if needed_when and env.get(needed_when[0], "").strip().lower() != needed_when[1]:
            continue
        value = stage_secrets.get(name, "")
        if not value:
            problems.append(f"The secret {name} is missing (SSM SecureString {env.get('SSM_PREFIX', '')}{name}).")
        elif is_placeholder(value):
            problems.append(f"The secret {name} is a placeholder; set a real value.")
    link_secret = stage_secrets.get("REVIEW_LINK_SECRET", "")
    if link_secret and len(link_secret) < MIN_LINK_SECRET_LENGTH:
        problems.append(f"The secret REVIEW_LINK_SECRET is shorter than {MIN_LINK_SECRET_LENGTH} characters.")
    if env.get("COURIER", "").strip().lower() == "innoship" and not env.get("INNOSHIP_BASE_URL", "").strip():
        problems.append("COURIER=innoship needs INNOSHIP_BASE_URL.")
    for variable, _demo, required in SUPPLIER_ENV.values():
        if required and not env.get(variable, "").strip():
            problems.append(f"The supplier's legal data {variable} is missing (printed on every invoice).")
    portal_url = env.get("PORTAL_URL", "")
    if not portal_url.startswith("https://") or is_placeholder(portal_url):
        problems.append(f"PORTAL_URL must be the portal's public https address (is {portal_url or 'unset'!r}).")
    return problems


def require_deployable() -> None:
    """On a deployed stage, refuse to start unless it is configured to serve safely (see module docstring)."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return  # not the Lambda runtime: the local stack, tests, or `chalice package/deploy` importing the app
    try:
        stage_secrets = secrets()
    except Exception as exc:  # noqa: BLE001 - unreadable SSM is one more reason not to start
        problems = [f"The secrets under SSM_PREFIX could not be read: {exc}"]
        stage_secrets = {}
    else:
        problems = []
    problems += deployment_problems(os.environ, stage_secrets)
    if problems:
        raise ConfigurationError(f"Stage {stage()!r} refuses to start:\n- " + "\n- ".join(problems))
