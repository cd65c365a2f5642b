"""boto3 clients, created on first use (keeps boto3 work out of import time) and reused while warm."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.config import aws_region


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3  # noqa: PLC0415 - imported lazily for cold start

    return boto3.session.Session().client(service, region_name=aws_region())
