"""Schemathesis against the app over HTTP on the local stack: a bounded run (fixed seed, two examples per
operation and generation mode, each operation with its own audience's token). `make fuzz` runs the same probes
for longer and with every token on every operation (tests/support/fuzz.py)."""
from __future__ import annotations

from tests.support.fuzz import run, seed_world

SEED = 20261127
EXAMPLES = 2


def test_no_server_errors_schema_violations_or_undocumented_statuses(http_server):
    findings = run(http_server, seed_world(), seed=SEED, max_examples=EXAMPLES, every_role=False)
    assert findings.requests > 300  # every operation was reached, not a skipped run
    assert findings.total() == 0, findings.report()
