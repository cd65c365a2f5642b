"""Run-time configuration, read from the environment once per process.

The same names are set by `.chalice/config.json` on AWS and by the local stack
(`infra/local`) on this machine; no code path differs between the two.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


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
    review_link_secret: str

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


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        stage=env.get("STAGE", "local"),
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
        review_link_secret=env.get("REVIEW_LINK_SECRET", ""),
    )
