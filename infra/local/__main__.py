"""`make run`: the whole platform on this machine, no AWS account: `python -m infra.local`."""
from __future__ import annotations

import os
import signal
import sys
import time


def main() -> int:
    from infra.local import gateway
    from infra.local.stack import LocalStack, free_port

    _log_loudly()

    port = int(os.environ.get("PORT", "8000"))
    base_path = gateway.normalize_base_path(os.environ.get("BASE_PATH"))  # e.g. /api, as API Gateway's stage
    started = time.monotonic()
    stack = LocalStack(port=int(os.environ.get("MOTO_PORT") or free_port())).start()
    os.environ.setdefault("PORTAL_URL", f"http://127.0.0.1:{port}{base_path}")

    from chalice.config import Config

    from app import app
    from infra.local import lambda_shim, seed
    from infra.local.outbox import outbox
    from infra.local.pollers import Pollers
    from infra.local.sandbox_pages import sandbox_pages
    from infra.local.mail_drop import mail_drop

    gateway.install()
    app.register_blueprint(outbox)
    app.register_blueprint(sandbox_pages)
    app.register_blueprint(mail_drop)
    lambda_shim.register_functions(app, stack.stage, stack.endpoint_url, "us-east-1")
    pollers = Pollers(app, stack.endpoint_url, "us-east-1", stream_arn=os.environ["MAIN_TABLE_STREAM_ARN"])
    demo = seed.seed()
    pollers.start()
    daily = _daily_reminders()
    from infra.local import scheduler as local_timer  # noqa: PLC0415 - recurring orders (moto runs no schedules)

    recurring_timer = local_timer.start()

    from infra.local.timers import AutomationTimer

    automation_timer = AutomationTimer().start()  # delayed and date-relative automation runs

    server = gateway.local_server(app, Config.create(chalice_stage="local", app_name=app.app_name), "127.0.0.1", port,
                                  base_path)
    print(f"\nB2B portal running at http://127.0.0.1:{port}{base_path}  (ready in {time.monotonic() - started:.1f}s)")
    print(f"  Embedded AWS (moto):   {stack.endpoint_url}   e.g. aws --endpoint-url {stack.endpoint_url} dynamodb list-tables")
    print(f"  Outbox (local only):   http://127.0.0.1:{port}{base_path}/local/outbox")
    print(f"  Order mail drop:       http://127.0.0.1:{port}{base_path}/local/mail-drop")
    print(f"  Admin (API):           {demo.admin} / {seed.ADMIN_PASSWORD}")
    for who, password in {**demo.staff, **demo.buyers}.items():
        print(f"  Login:                 {who} / {password}")
    print(f"  {demo.products} demo products. Ctrl-C stops.\n", flush=True)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started from a script that ignores SIGINT
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        daily.set()
        recurring_timer.set()
        automation_timer.set()
        pollers.stop()
        server.server.server_close()
        stack.stop()
    return 0


def _log_loudly() -> None:
    """The local stack's own warnings and errors (a failing poller, a dead-lettered record) on stderr."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    local = logging.getLogger("infra.local")
    local.addHandler(handler)
    local.setLevel(logging.INFO)
    local.propagate = False


def _daily_reminders():
    """moto runs no EventBridge schedules: the daily overdue-reminder run starts here, a minute after
    start-up and then every 24 hours (or on demand: POST /admin/reminders/run). A failed run is logged
    and tried again a minute later."""
    import threading

    from chalicelib.services import invoicing
    from chalicelib.services.pricing import supplier_today
    from infra.local.pollers import keep_running

    stop = threading.Event()
    due = [time.monotonic()]

    def run_when_due() -> None:
        if time.monotonic() >= due[0]:
            invoicing.start_reminders(supplier_today())
            due[0] = time.monotonic() + 24 * 3600

    keep_running("daily-reminders", run_when_due, 60, stop)
    return stop


if __name__ == "__main__":
    sys.exit(main())
