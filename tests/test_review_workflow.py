"""Order review end to end: portal order -> stream -> real Step Functions execution -> decision."""
from __future__ import annotations

from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from infra.local.provision import ACCOUNT_ID


def mails_to(email):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if email in m.destinations.get("ToAddresses", [])]


def shop(world, *, auto_approve=False, credit_limit="10000", qty_on_hand=100):
    agent_id, agent_token = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=qty_on_hand)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), qty_on_hand=qty_on_hand)
    client = world.client("Acme SRL", sale_agent_id=agent_id, auto_approve=auto_approve, credit_limit=Decimal(credit_limit),
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer_token = world.buyer(client)
    return client, buyer_token, agent_token


def place(api, token, lines=(("CAB-001", 3), ("NET-001", 1)), **extra):
    reply = api.post("/portal/orders", {"lines": [{"sku": s, "qty": q} for s, q in lines], **extra}, token)
    assert reply.status == 201, reply.text
    return reply.body


def waiting_for_agent(workflows, order_id):
    return workflows.until(lambda: order_store.get(order_id).review_task_token, what="the agent's wait")


def test_order_is_reviewed_and_approved_by_the_agent(api, world, workflows):
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    assert (order["status"], order["status_code"], order["total"]) == ("draft", 1, "154.70")
    waiting_for_agent(workflows, order["id"])

    queue = api.get("/admin/orders?status=draft", agent).body["items"]
    assert [o["id"] for o in queue] == [order["id"]]
    detail = api.get(f"/admin/orders/{order['id']}", agent).body
    assert detail["review"] == "pending" and detail["checks"]["credit"]["ok"] and detail["checks"]["stock"]["ok"]
    agent_mail = [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if m.subject.startswith("New order from Acme SRL")]
    assert len(agent_mail) == 1 and "154.70 EUR" in agent_mail[0].subject and "/review-links/" in agent_mail[0].body

    approved = api.post(f"/admin/orders/{order['id']}/approve", {}, agent)
    assert approved.status == 200 and (approved.body["status"], approved.body["status_code"]) == ("accepted", 4)
    assert workflows.finished(order["id"]) == "SUCCEEDED"
    again = api.post(f"/admin/orders/{order['id']}/reject", {"reason": "late"}, agent)
    assert again.status == 409

    seen = api.get(f"/portal/orders/{order['id']}", buyer).body
    assert seen["status"] == "accepted" and [h["event"] for h in seen["history"]] == ["placed", "approve"]
    assert order_store.get(order["id"]).accepted_event_sent
    assert "ConcludeReview" not in workflows.entered(order["id"])  # states are named for what they do
    assert api.get("/admin/orders?status=draft", agent).body["items"] == []


def test_trusted_client_is_approved_by_the_workflow_whose_history_shows_the_checks(api, world, workflows):
    _, buyer, _ = shop(world, auto_approve=True)
    order = place(api, buyer)
    assert workflows.finished(order["id"]) == "SUCCEEDED"
    stored = order_store.get(order["id"])
    assert (stored.status, stored.auto_approved, stored.review_task_token, stored.accepted_event_sent) == ("accepted", True, None, True)
    assert workflows.entered(order["id"]) == ["RunChecks", "Trusted?", "AutoApprove"]
    checks = workflows.output_of(order["id"], "RunChecks")["review"]
    assert checks["outcome"] == "auto_approve" and checks["trusted"] is True
    assert checks["checks"] == {"credit_ok": True, "credit_available": "10000.00", "order_total": "154.70", "stock_ok": True,
                                "short_skus": [], "prices_ok": True, "changed_price_skus": []}
    assert workflows.output_of(order["id"], "AutoApprove")["decision"] == {"decided_by": "system", "status": "accepted"}
    workflows.deliver()  # a redelivered record changes nothing
    assert order_store.get(order["id"]).version == stored.version
    about_the_order = [m.subject for m in mails_to(stored.contact_email) if m.subject.startswith(f"Order {stored.number}")]
    assert len(about_the_order) == 1 and "accepted" in about_the_order[0]  # one email, not "received" and then "accepted"


def test_manual_review_history_shows_the_wait_and_the_decision(api, world, workflows):
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    assert api.post(f"/admin/orders/{order['id']}/approve", {}, agent).status == 200
    assert workflows.finished(order["id"]) == "SUCCEEDED"
    assert workflows.entered(order["id"]) == ["RunChecks", "Trusted?", "NotifyReviewer", "WaitForDecision", "Conclude",
                                              "AwaitingClient?", "Reviewed"]
    assert workflows.output_of(order["id"], "RunChecks")["review"]["outcome"] == "needs_review"
    assert workflows.output_of(order["id"], "WaitForDecision")["decision"] == {"decision": "approved"}


def test_a_person_deciding_before_the_automatic_approval_wins(api, world, workflows):
    from chalicelib.services import review  # noqa: PLC0415

    _, buyer, agent = shop(world, auto_approve=True)
    order = place(api, buyer)
    review.reject(order["id"], "agent@supplier.example", "Not this month")  # before the stream delivered the order
    assert workflows.finished(order["id"]) == "SUCCEEDED"
    assert workflows.entered(order["id"]) == ["RunChecks", "Trusted?", "Conclude", "AwaitingClient?", "Reviewed"]
    assert order_store.get(order["id"]).status == "declined"


def test_review_steps_are_safe_to_retry(api, world, workflows):
    from infra.local import lambda_shim  # noqa: PLC0415

    _, buyer, _ = shop(world, auto_approve=True)
    try:
        lambda_shim.fail_next("run_checks", 1, after_running=True)
        lambda_shim.fail_next("auto_approve", 1, after_running=True)  # approved and announced, then "timed out"
        order = place(api, buyer)
        assert workflows.finished(order["id"], timeout=40) == "SUCCEEDED"
    finally:
        lambda_shim.clear_faults()
    stored = order_store.get(order["id"])
    assert [h.event for h in order_store.history(order["id"])] == ["placed", "auto_approve"]
    assert len([m for m in mails_to(stored.contact_email) if "accepted" in m.subject]) == 1


def test_a_step_that_keeps_failing_alerts_the_admins(api, world, workflows):
    from infra.local import lambda_shim  # noqa: PLC0415

    admin_id, _ = world.staff("admin")
    _, buyer, _ = shop(world, auto_approve=True)
    try:
        lambda_shim.fail_next("run_checks", 10)
        order = place(api, buyer)
        assert workflows.finished(order["id"], timeout=60) == "FAILED"
    finally:
        lambda_shim.clear_faults()
    assert workflows.entered(order["id"])[-2:] == ["AlertReviewFailed", "ReviewFailed"]
    tasks = [t for t in order_store.tasks_for(admin_id) if t.order_id == order["id"]]
    assert [t.kind for t in tasks] == ["order_review_failed_" + order["id"]]
    alert = [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if m.subject.startswith("Needs attention")]
    assert len(alert) == 1 and "InjectedFault" in alert[0].body


def test_credit_limit_exceeded_needs_review_even_for_a_trusted_client(api, world, workflows):
    _, buyer, agent = shop(world, auto_approve=True, credit_limit="100.00")
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    detail = api.get(f"/admin/orders/{order['id']}", agent).body
    assert detail["status"] == "draft" and detail["checks"]["credit"] == {"ok": False, "available": "100.00", "order_total": "154.70"}


def test_short_stock_needs_review(api, world, workflows):
    _, buyer, agent = shop(world, auto_approve=True, qty_on_hand=2)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    checks = api.get(f"/admin/orders/{order['id']}", agent).body["checks"]
    assert checks["stock"] == {"ok": False, "short_skus": ["CAB-001"]}


def test_agent_rejects_and_the_client_is_told_why(api, world, workflows):
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    assert api.post(f"/admin/orders/{order['id']}/reject", {"reason": "  "}, agent).status == 422
    rejected = api.post(f"/admin/orders/{order['id']}/reject", {"reason": "Discontinued item"}, agent)
    assert (rejected.body["status"], rejected.body["status_code"]) == ("declined", 3)
    assert workflows.finished(order["id"]) == "SUCCEEDED"
    buyer_email = order_store.get(order["id"]).contact_email
    declined = [m for m in mails_to(buyer_email) if "declined" in m.subject]
    assert len(declined) == 1 and "Discontinued item" in declined[0].body
    assert place(api, buyer)["status"] == "draft"  # the client can order again


def test_agent_modifies_and_the_client_accepts(api, world, workflows):
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    modified = api.post(f"/admin/orders/{order['id']}/modify", {
        "lines": [{"sku": "CAB-001", "qty": 5, "unit_price": "9.00"}], "message": "Switch is out; cable cheaper", "discount_percent": "10",
    }, agent)
    assert modified.status == 200 and modified.body["review"] == "modified"
    assert modified.body["proposal"]["total"] == "48.20"  # 5 x 9.00 = 45.00, -10% = 40.50, +19% VAT = 48.20
    workflows.until(lambda: order_store.get(order["id"]).client_task_token, what="the client's wait")

    shown = api.get(f"/portal/orders/{order['id']}", buyer).body
    assert shown["proposal"]["message"] == "Switch is out; cable cheaper"
    accepted = api.post(f"/portal/orders/{order['id']}/accept-changes", None, buyer)
    assert accepted.status == 200
    assert (accepted.body["status"], accepted.body["total"], [l["qty"] for l in accepted.body["lines"]]) == ("accepted", "48.20", [5])
    assert workflows.finished(order["id"]) == "SUCCEEDED"
    assert api.post(f"/portal/orders/{order['id']}/decline-changes", None, buyer).status == 409


def test_agent_modifies_and_the_client_declines(api, world, workflows):
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    api.post(f"/admin/orders/{order['id']}/modify", {"lines": [{"sku": "CAB-001", "qty": 1}], "message": "Only cables"}, agent)
    declined = api.post(f"/portal/orders/{order['id']}/decline-changes", None, buyer)
    assert declined.body["status"] == "declined"
    assert workflows.finished(order["id"]) == "SUCCEEDED"


def test_nobody_decides_in_time_so_the_manager_is_asked(api, world, workflows):
    manager_id, _ = world.staff("manager")
    _, buyer, agent = shop(world)
    settings = settings_store.load()
    settings.review_timeout_hours = Decimal("0.0003")  # about one second
    settings_store.save(settings)
    order = place(api, buyer)
    workflows.until(lambda: order_store.get(order["id"]).escalations >= 1, timeout=45, what="an escalation")
    tasks = list(order_store.tasks_for(manager_id))
    assert [t.kind for t in tasks][:1] == ["escalation"]
    assert any("Overdue review" in m.subject for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages)
    # still reviewable after the escalation, with the token of the new wait
    workflows.until(lambda: "Escalate" in workflows.entered(order["id"]) and order_store.get(order["id"]).review_task_token)
    assert api.post(f"/admin/orders/{order['id']}/approve", {}, agent).body["status"] == "accepted"
    assert workflows.finished(order["id"]) == "SUCCEEDED"


def test_redelivered_stream_record_starts_no_second_review(api, world, workflows):
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    from chalicelib.services import workflows as wf  # noqa: PLC0415

    wf.start_review(order["id"])
    from chalicelib.steps.stream import on_table_change  # noqa: PLC0415

    record = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": f"ORDER#{order['id']}"}, "sk": {"S": "ORDER"}},
                                                  "ApproximateCreationDateTime": 0, "SequenceNumber": "1", "SizeBytes": 1,
                                                  "StreamViewType": "NEW_AND_OLD_IMAGES"},
              "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/b2b-local/stream/x",
              "awsRegion": "us-east-1", "eventID": "redelivered"}
    assert on_table_change({"Records": [record]}, None) == {"batchItemFailures": []}
    approve = api.post(f"/admin/orders/{order['id']}/approve", {}, agent)
    assert approve.status == 200 and workflows.finished(order["id"]) == "SUCCEEDED"
    on_table_change({"Records": [record]}, None)  # a late redelivery after the review ended
    executions = workflows.sfn.list_executions(stateMachineArn=workflows.machine)["executions"]
    assert [e["name"] for e in executions] == [order["id"]]


def test_the_agent_sees_the_review_as_a_task_until_it_is_decided(api, world, workflows):
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    tasks = api.get("/admin/tasks", agent).body["items"]
    assert [(t["kind"], t["order_id"]) for t in tasks] == [("review", order["id"])]
    api.post(f"/admin/orders/{order['id']}/approve", {}, agent)
    workflows.finished(order["id"])
    assert api.get("/admin/tasks", agent).body["items"] == []


def test_a_record_that_cannot_start_its_review_is_reported_alone(world, monkeypatch):
    from chalicelib.services import workflows as wf  # noqa: PLC0415
    from chalicelib.steps.stream import on_table_change  # noqa: PLC0415

    started = []

    def start_review(order_id):
        if order_id == "so_bad":
            raise RuntimeError("Step Functions is throttling")
        started.append(order_id)

    monkeypatch.setattr(wf, "start_review", start_review)

    def record(order_id, sequence):
        return {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}},
                                                    "ApproximateCreationDateTime": 0, "SequenceNumber": sequence, "SizeBytes": 1,
                                                    "StreamViewType": "NEW_AND_OLD_IMAGES"},
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/b2b-local/stream/x",
                "awsRegion": "us-east-1", "eventID": sequence}

    reply = on_table_change({"Records": [record("so_1", "100"), record("so_bad", "101"), record("so_2", "102")]}, None)
    assert reply == {"batchItemFailures": [{"itemIdentifier": "101"}]}
    assert started == ["so_1", "so_2"]


def test_a_step_leaves_no_order_id_in_the_log_context(world):
    from chalicelib.steps import logger, workflow_step  # noqa: PLC0415

    @workflow_step
    def step(event, context):
        logger.info("inside")
        return logger.get_current_keys()

    inside = step({"order_id": "so_1", "delivery_note_id": "dn_1"}, None)
    assert inside["correlation_id"] == "so_1" and inside["delivery_note_id"] == "dn_1"
    assert "correlation_id" not in logger.get_current_keys() and "delivery_note_id" not in logger.get_current_keys()
    step({"order_id": "so_2"}, None)
    assert "delivery_note_id" not in step({"order_id": "so_3"}, None)


def _failing_waits(monkeypatch, error_type, times):
    """The next `times` writes of the review's wait token fail in DynamoDB with `error_type`."""
    from moto.core.exceptions import JsonRESTError  # noqa: PLC0415
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415

    original = DynamoDBBackend.update_item
    left = {"n": times}

    def update_item(self, *args, **kwargs):
        if "review_task_token" in str(args) + str(kwargs) and left["n"] > 0:
            left["n"] -= 1
            raise JsonRESTError(error_type, "injected by the test")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)
    return left


def test_a_throttled_wait_is_retried_not_read_as_decided(api, world, workflows, monkeypatch):
    _, buyer, agent = shop(world)
    left = _failing_waits(monkeypatch, "ProvisionedThroughputExceededException", 2)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    assert left["n"] == 0 and order_store.get(order["id"]).review == "pending"
    assert workflows.entered(order["id"]).count("Conclude") == 0
    assert api.post(f"/admin/orders/{order['id']}/approve", {}, agent).status == 200
    assert workflows.finished(order["id"]) == "SUCCEEDED"


def test_any_other_dynamodb_error_in_a_wait_alerts_instead_of_concluding(api, world, workflows, monkeypatch):
    admin_id, _ = world.staff("admin")
    _, buyer, _ = shop(world)
    _failing_waits(monkeypatch, "ValidationException", 1)
    order = place(api, buyer)
    assert workflows.finished(order["id"], timeout=30) == "FAILED"
    assert workflows.entered(order["id"])[-3:] == ["WaitForDecision", "AlertReviewFailed", "ReviewFailed"]
    assert order_store.get(order["id"]).review == "pending"  # still in the queue for a person
    assert [t.kind for t in order_store.tasks_for(admin_id) if t.order_id == order["id"]] == [f"order_review_failed_{order['id']}"]


def test_a_modification_the_client_never_answers_expires(api, world, workflows, monkeypatch):
    from chalicelib.services import review  # noqa: PLC0415

    monkeypatch.setattr(review, "CLIENT_ANSWER_SECONDS", 1)
    _, buyer, agent = shop(world)
    order = place(api, buyer)
    waiting_for_agent(workflows, order["id"])
    api.post(f"/admin/orders/{order['id']}/modify", {"lines": [{"sku": "CAB-001", "qty": 1}], "message": "Only cables"}, agent)
    assert workflows.finished(order["id"], timeout=30) == "SUCCEEDED"
    assert order_store.get(order["id"]).status == "expired"
    assert workflows.entered(order["id"])[-5:] == ["WaitForClient", "ClientTimedOut", "Conclude", "AwaitingClient?", "Reviewed"]
    assert [h.event for h in order_store.history(order["id"])][-1] == "expire"
