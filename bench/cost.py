"""What 1,000 orders cost on AWS, from the counts the workflow benchmark measured.

Public on-demand list prices for us-east-1, written down from AWS's pricing pages as the author knew
them (not fetched at run time; check them before quoting): free tiers are ignored, first price tiers
are used. Change a constant here and the numbers follow.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
TARGET_PER_1000_ORDERS = 0.75  # dollars, emails included (issue 10)
PRICES_AS_OF = "2025-06 (us-east-1 list prices, first tier, no free tier; DynamoDB on-demand after the 2024-11-01 price cut)"

STEP_FUNCTIONS_STANDARD_PER_TRANSITION = 0.025 / 1_000
STEP_FUNCTIONS_EXPRESS_PER_REQUEST = 1.00 / 1_000_000
STEP_FUNCTIONS_EXPRESS_PER_GB_SECOND = 0.00001667  # first 1,000 GB-hours a month; 64 MB and 100 ms increments
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000166667  # x86; arm64 is 0.0000133334
API_GATEWAY_REST_PER_REQUEST = 3.50 / 1_000_000  # first 333 million a month; HTTP APIs are 1.00 per million
DYNAMODB_PER_WRITE_REQUEST_UNIT = 0.625 / 1_000_000  # was 1.25 before 2024-11-01
DYNAMODB_PER_READ_REQUEST_UNIT = 0.125 / 1_000_000  # was 0.25 before 2024-11-01
SES_PER_EMAIL = 0.10 / 1_000
EVENTBRIDGE_PER_EVENT = 1.00 / 1_000_000  # custom events, per 64 KB chunk
SQS_PER_REQUEST = 0.40 / 1_000_000  # standard queue, per 64 KB chunk
S3_PER_PUT = 0.005 / 1_000
S3_PER_GET = 0.0004 / 1_000

PRICES = {
    "step_functions_standard_per_transition": STEP_FUNCTIONS_STANDARD_PER_TRANSITION,
    "step_functions_express_per_request": STEP_FUNCTIONS_EXPRESS_PER_REQUEST,
    "step_functions_express_per_gb_second": STEP_FUNCTIONS_EXPRESS_PER_GB_SECOND,
    "lambda_per_request": LAMBDA_PER_REQUEST,
    "lambda_per_gb_second": LAMBDA_PER_GB_SECOND,
    "api_gateway_rest_per_request": API_GATEWAY_REST_PER_REQUEST,
    "dynamodb_per_wru": DYNAMODB_PER_WRITE_REQUEST_UNIT,
    "dynamodb_per_rru": DYNAMODB_PER_READ_REQUEST_UNIT,
    "ses_per_email": SES_PER_EMAIL,
    "eventbridge_per_event": EVENTBRIDGE_PER_EVENT,
    "sqs_per_request": SQS_PER_REQUEST,
    "s3_per_put": S3_PER_PUT,
    "s3_per_get": S3_PER_GET,
}


@dataclass(frozen=True)
class Invocation:
    """One Lambda invocation: billed per request and per GB-second, duration rounded up to the millisecond."""

    function: str
    ms: float
    memory_mb: int

    @property
    def gb_seconds(self) -> float:
        return math.ceil(self.ms) / 1000 * self.memory_mb / 1024


@dataclass
class OrderUsage:
    """What one order used, on average (the workflow benchmark divides its totals by the orders it ran)."""

    api_requests: float = 0.0
    invocations: list[Invocation] = field(default_factory=list)  # per order (may hold fractions via weight)
    invocation_weight: float = 1.0  # each listed invocation counts this many times (1 / orders measured)
    transitions: float = 0.0  # Standard
    express_requests: float = 0.0
    express_gb_seconds: float = 0.0
    rru: float = 0.0
    wru: float = 0.0
    emails: float = 0.0
    events: float = 0.0
    sqs_requests: float = 0.0
    s3_puts: float = 0.0
    s3_gets: float = 0.0


def cost_per_orders(usage: OrderUsage, orders: int = 1_000) -> dict[str, Any]:
    """Dollars for `orders` orders, by service, with the arithmetic behind each line."""
    n = orders
    invocations = len(usage.invocations) * usage.invocation_weight
    gb_seconds = sum(i.gb_seconds for i in usage.invocations) * usage.invocation_weight
    lines = {
        "api_gateway": usage.api_requests * n * API_GATEWAY_REST_PER_REQUEST,
        "lambda": invocations * n * LAMBDA_PER_REQUEST + gb_seconds * n * LAMBDA_PER_GB_SECOND,
        "dynamodb": usage.rru * n * DYNAMODB_PER_READ_REQUEST_UNIT + usage.wru * n * DYNAMODB_PER_WRITE_REQUEST_UNIT,
        "step_functions": usage.transitions * n * STEP_FUNCTIONS_STANDARD_PER_TRANSITION
                          + usage.express_requests * n * STEP_FUNCTIONS_EXPRESS_PER_REQUEST
                          + usage.express_gb_seconds * n * STEP_FUNCTIONS_EXPRESS_PER_GB_SECOND,
        "ses": usage.emails * n * SES_PER_EMAIL,
        "other": usage.events * n * EVENTBRIDGE_PER_EVENT + usage.sqs_requests * n * SQS_PER_REQUEST
                 + usage.s3_puts * n * S3_PER_PUT + usage.s3_gets * n * S3_PER_GET,
    }
    breakdown = {
        "api_gateway": f"{usage.api_requests:g} REST requests/order x {n} x ${API_GATEWAY_REST_PER_REQUEST * 1e6:.2f}/M",
        "lambda": (f"{invocations:.2f} invocations/order x {n} x ${LAMBDA_PER_REQUEST * 1e6:.2f}/M"
                   f" + {gb_seconds:.4f} GB-s/order x {n} x ${LAMBDA_PER_GB_SECOND}/GB-s"),
        "dynamodb": (f"{usage.rru:.1f} RRU/order x {n} x ${DYNAMODB_PER_READ_REQUEST_UNIT * 1e6:.3f}/M"
                     f" + {usage.wru:.1f} WRU/order x {n} x ${DYNAMODB_PER_WRITE_REQUEST_UNIT * 1e6:.3f}/M"),
        "step_functions": (f"{usage.transitions:g} Standard transitions/order x {n} x ${STEP_FUNCTIONS_STANDARD_PER_TRANSITION * 1e3:.3f}/1k"
                           + (f" + {usage.express_requests:g} Express executions/order x {n} x ${STEP_FUNCTIONS_EXPRESS_PER_REQUEST * 1e6:.2f}/M"
                              f" + {usage.express_gb_seconds:.5f} Express GB-s/order x {n} x ${STEP_FUNCTIONS_EXPRESS_PER_GB_SECOND}/GB-s"
                              if usage.express_requests else "")),
        "ses": f"{usage.emails:g} emails/order x {n} x ${SES_PER_EMAIL * 1e3:.2f}/1k",
        "other": (f"EventBridge {usage.events:g} events/order, SQS {usage.sqs_requests:g} requests/order,"
                  f" S3 {usage.s3_puts:g} PUT + {usage.s3_gets:g} GET/order"),
    }
    result: dict[str, Any] = dict(lines)
    result["total"] = sum(lines.values())
    result["target"] = TARGET_PER_1000_ORDERS * n / 1_000
    result["within_target"] = result["total"] <= result["target"]
    result["prices_as_of"] = PRICES_AS_OF
    result["region"] = REGION
    result["orders"] = n
    result["breakdown"] = breakdown
    return result


def memory_sizes(chalice_config: dict[str, Any], stage: str) -> tuple[int, dict[str, int]]:
    """(memory MB of the stage's functions, per-function overrides) from .chalice/config.json."""
    stage_config = chalice_config.get("stages", {}).get(stage, {})
    default = int(stage_config.get("lambda_memory_size", chalice_config.get("lambda_memory_size", 128)))
    overrides = {}
    for name, fn in {**chalice_config.get("lambda_functions", {}), **stage_config.get("lambda_functions", {})}.items():
        if "lambda_memory_size" in fn:
            overrides[name] = int(fn["lambda_memory_size"])
    return default, overrides
