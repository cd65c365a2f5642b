"""`make rebuild-aggregates`: recompute the report aggregates from the documents and prove they match the ones the
table-stream consumer kept.

    make rebuild-aggregates                       # the proof on generated data (an embedded local stack)
    make rebuild-aggregates TABLE=b2b-prod        # a real table (AWS credentials of the stage): compare only
    make rebuild-aggregates TABLE=b2b-prod WRITE=1  # ... and replace what differs

With no TABLE, an embedded local stack is started, ORDERS generated sales documents are written, the stream is
delivered to the consumer twice (every record redelivered), then the rebuild compares. Exit status 1 when they differ.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta


def _scan_pages():
    import boto3

    from chalicelib.config import table_name

    return boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table_name())


def _report(result, seconds: float) -> int:
    print(f"{result.buckets} day buckets recomputed from the documents in {seconds:.1f} s; "
          f"{result.below_minimum} product(s) below their minimum")
    if result.differences:
        print(f"{len(result.differences)} bucket(s) differ from the stored aggregates:")
        for line in result.differences[:50]:
            print("  " + line)
        print("rewritten from the documents" if result.rewritten else "not rewritten (WRITE=1 to replace them)")
        return 0 if result.rewritten else 1
    print("the stored aggregates match the documents")
    return 0


def _proof(orders: int) -> int:
    from infra.local.stack import LocalStack, free_port

    stack = LocalStack(port=free_port()).start()
    try:
        from app import app
        from bench.reports import SalesWorld, generate
        from chalicelib.services import aggregates, workflows
        from infra.local.pollers import Pollers

        workflows.start_review = lambda order_id: None  # generated orders are decided already
        pollers = Pollers(app, stack.endpoint_url, "us-east-1", stream_arn=os.environ["MAIN_TABLE_STREAM_ARN"])
        world = SalesWorld(clients=[f"cli_{i:02d}" for i in range(8)], agents=["agt_1", "agt_2", "agt_3"],
                           contacts=[f"usr_{i}" for i in range(5)], start=date.today() - timedelta(days=120), days=120)
        generate(world, 0, orders)
        started = time.monotonic()
        delivered = pollers.drain(rounds=10_000)
        for poller in pollers.pollers:  # Lambda redelivers a batch after a timeout: every record once more
            if hasattr(poller, "_after"):
                poller._after = {}
        again = pollers.drain(rounds=10_000)
        print(f"{orders} orders: {delivered} stream records delivered, then {again} redelivered "
              f"({time.monotonic() - started:.1f} s)")
        started = time.monotonic()
        return _report(aggregates.rebuild(_scan_pages, write=False), time.monotonic() - started)
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", default=os.environ.get("TABLE"), help="a real table to check (else: the proof)")
    parser.add_argument("--write", action="store_true", default=os.environ.get("WRITE") == "1")
    parser.add_argument("--orders", type=int, default=int(os.environ.get("ORDERS", "60")))
    args = parser.parse_args()
    if not args.table:
        return _proof(args.orders)
    os.environ["TABLE_NAME"] = args.table
    from chalicelib.services import aggregates

    started = time.monotonic()
    return _report(aggregates.rebuild(_scan_pages, write=args.write), time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
