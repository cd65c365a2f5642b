"""The local stack's stand-in for EventBridge Scheduler (moto runs no schedules): a timer that hands every
recurring order whose wake-up moment has come to services/recurring.fire, as its schedule would on AWS.

`tick(now)` is one pass; `start()` runs it every `interval` seconds with the real clock. Tests call `tick` with
later moments to drive time forward instead of sleeping."""
from __future__ import annotations

import logging
import threading
from datetime import datetime

log = logging.getLogger(__name__)


def tick(now: datetime | None = None) -> int:
    """Fire what is due at `now` (default: the clock); returns how many wake-ups were handled."""
    from chalicelib.services import recurring  # noqa: PLC0415 - after the stack set the environment

    return recurring.fire_due(now)


def start(interval: float = 60.0) -> threading.Event:
    """Run `tick` every `interval` seconds until the returned event is set."""
    from infra.local.pollers import keep_running  # noqa: PLC0415

    stop = threading.Event()
    keep_running("recurring-orders", tick, interval, stop)
    return stop
