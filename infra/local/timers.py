"""The local stack's timer for delayed and date-relative automation runs (EventBridge Scheduler on AWS; moto
runs no schedules) and for the abandoned-cart sweep (an hourly schedule on AWS). Each tick fires the timers due
by the clock it is given, so tests move time forward instead of sleeping."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Callable

from infra.local.pollers import keep_running


class AutomationTimer:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.clock = clock

    def tick(self, now: datetime | None = None) -> int:
        """Fire every automation timer due at `now` (default: the clock) and announce the carts abandoned by
        then; returns how many runs started."""
        from chalicelib.services import automation, cart  # noqa: PLC0415 - after the stack set the environment

        now = now or self.clock()
        cart.announce_abandoned(now)
        return automation.fire_due_timers(now)

    def start(self, interval: float = 30.0) -> threading.Event:
        stop = threading.Event()
        keep_running("automation-timer", self.tick, interval, stop)
        return stop
