"""Start the embedded AWS (moto server), create the stack's resources and point the app at them."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

import requests

from infra.local.provision import Provisioned, provision

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalStack:
    """One moto server for the process; `reset()` empties it and creates the resources again."""

    port: int
    stage: str = "local"
    resources: Provisioned | None = None
    _server: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalStack":
        # The Step Functions interpreter makes its own AWS calls to localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ.update({
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION, "AWS_ENDPOINT_URL": self.endpoint_url,
        })
        import logging  # noqa: PLC0415

        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - moto is a dev dependency only

        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self._configure()
        self.reset()
        return self

    def _configure(self) -> None:
        requests.post(f"{self.endpoint_url}/moto-api/config", json={
            "stepfunctions": {"execute_state_machine": True},
            "lambda": {"use_docker": False},
        }, timeout=10).raise_for_status()

    def reset(self) -> Provisioned:
        """Empty every service and create infra/template.json's resources again; the app is pointed at them."""
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        self._configure()
        self.resources = provision(self.endpoint_url, REGION, self.stage)
        refs = self.resources.refs
        os.environ.update({
            "STAGE": self.stage,
            "TABLE_NAME": refs["MainTable"],
            "IDEMPOTENCY_TABLE_NAME": refs["IdempotencyTable"],
            "USER_POOL_ID": refs["UserPool"],
            "USER_POOL_CLIENT_ID": refs["UserPoolClient"],
            "DOCUMENTS_BUCKET": refs["DocumentsBucket"],
        })
        os.environ.setdefault("MAIL_SENDER", "portal@example.com")
        self._verify_sender(os.environ["MAIL_SENDER"])
        from chalicelib.config import settings  # noqa: PLC0415

        settings.cache_clear()
        return self.resources

    def _verify_sender(self, sender: str) -> None:
        import boto3  # noqa: PLC0415

        boto3.client("ses", endpoint_url=self.endpoint_url, region_name=REGION).verify_email_identity(EmailAddress=sender)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
