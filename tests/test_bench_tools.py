"""The benchmark's tools, without the local stack: the botocore counting hooks, the request-unit estimate,
the cost arithmetic, transition counting, the import-time parser and the target checks."""
from __future__ import annotations

import threading

import botocore.session
import pytest
from botocore.stub import Stubber

from bench import capacity, cost, report
from bench.coldstart import parse_importtime, summarise_importtime
from bench.counting import Recorder, consumed_units, install, uninstall
from bench.workflow import count_transitions


def ddb_client(recorder: Recorder | None = None):
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return recorder.instrument(client) if recorder else client


KEY = {"pk": {"S": "A"}, "sk": {"S": "B"}}


# --- counting hook ----------------------------------------------------------------------------------

def test_calls_in_a_scope_are_counted_by_service_and_operation_with_consumed_capacity():
    recorder = Recorder()
    client = ddb_client(recorder)
    with Stubber(client) as stub:
        stub.add_response("get_item", {"Item": KEY, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}})
        stub.add_response("query", {"Items": [], "Count": 0, "ScannedCount": 0})
        stub.add_response("get_item", {})
        with recorder.scope("request") as scope:
            client.get_item(TableName="t", Key=KEY)
            client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "A"}})
            client.get_item(TableName="t", Key=KEY)
    assert scope.count() == 3
    assert scope.by_operation() == {"dynamodb.GetItem": 2, "dynamodb.Query": 1}
    assert scope.calls[0].consumed == 0.5 and scope.consumed == 0.5
    assert all(c.ms >= 0 and c.phase == "request" for c in scope.calls)
    assert scope.app_ms <= scope.wall_ms


def test_calls_outside_any_scope_are_not_counted_unless_a_background_scope_is_set():
    recorder = Recorder()
    client = ddb_client(recorder)
    with Stubber(client) as stub:
        stub.add_response("get_item", {})
        stub.add_response("get_item", {})
        with recorder.scope("request") as scope:
            pass
        client.get_item(TableName="t", Key=KEY)
        assert scope.count() == 0
        from bench.counting import Scope

        recorder.background = Scope("background")
        client.get_item(TableName="t", Key=KEY)
    assert recorder.background.by_operation() == {"dynamodb.GetItem": 1}


def test_nested_scopes_all_see_the_call_tagged_with_the_innermost_phase():
    recorder = Recorder()
    client = ddb_client(recorder)
    with Stubber(client) as stub:
        stub.add_response("get_item", {})
        stub.add_response("get_item", {})
        with recorder.scope("request") as outer:
            with recorder.scope("authorizer") as inner:
                client.get_item(TableName="t", Key=KEY)
            client.get_item(TableName="t", Key=KEY)
    assert inner.count() == 1 and outer.count() == 2
    assert outer.by_operation("authorizer") == {"dynamodb.GetItem": 1}
    assert outer.count("request") == 1


def test_another_threads_calls_do_not_land_in_this_threads_scope():
    recorder = Recorder()
    client = ddb_client(recorder)
    with Stubber(client) as stub:
        stub.add_response("get_item", {})
        with recorder.scope("request") as scope:
            worker = threading.Thread(target=lambda: client.get_item(TableName="t", Key=KEY))
            worker.start()
            worker.join()
    assert scope.count() == 0


def test_errors_are_counted_with_their_code():
    recorder = Recorder()
    client = ddb_client(recorder)
    with Stubber(client) as stub:
        stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
        with recorder.scope("request") as scope:
            with pytest.raises(client.exceptions.ConditionalCheckFailedException):
                client.put_item(TableName="t", Item=KEY)
    assert [(c.name, c.error) for c in scope.calls] == [("dynamodb.PutItem", "ConditionalCheckFailedException")]


def test_a_scan_is_flagged_loudly(capsys):
    recorder = Recorder()
    client = ddb_client(recorder)
    with Stubber(client) as stub:
        stub.add_response("scan", {"Items": [], "Count": 0, "ScannedCount": 0})
        with recorder.scope("catalogue_page") as scope:
            client.scan(TableName="t")
    assert len(scope.scans) == 1 and recorder.scans_seen == [("catalogue_page", "Scan")]
    assert "SCAN" in capsys.readouterr().err


def test_return_consumed_capacity_is_added_only_where_the_operation_takes_it_and_only_in_a_scope():
    recorder = Recorder()
    client = ddb_client()
    model = client.meta.service_model
    params, context = {"TableName": "t", "Key": KEY}, {}
    recorder.before_parameter_build(params, model.operation_model("GetItem"), context)
    assert "ReturnConsumedCapacity" not in params  # no scope open: left alone
    with recorder.scope("request"):
        recorder.before_parameter_build(params, model.operation_model("GetItem"), context)
        assert params["ReturnConsumedCapacity"] == "TOTAL"
        kept = {"TableName": "t", "Key": KEY, "ReturnConsumedCapacity": "INDEXES"}
        recorder.before_parameter_build(kept, model.operation_model("GetItem"), {})
        assert kept["ReturnConsumedCapacity"] == "INDEXES"
        describe = {"TableName": "t"}
        recorder.before_parameter_build(describe, model.operation_model("DescribeTable"), {})
        assert "ReturnConsumedCapacity" not in describe


def test_install_instruments_every_client_created_afterwards():
    recorder = Recorder()
    install(recorder)
    try:
        client = ddb_client()
        assert getattr(client, "_b2b_bench_instrumented", False)
        with Stubber(client) as stub:
            stub.add_response("get_item", {})
            with recorder.scope("request") as scope:
                client.get_item(TableName="t", Key=KEY)
        assert scope.count() == 1
    finally:
        uninstall()
    assert not getattr(ddb_client(), "_b2b_bench_instrumented", False)


def test_consumed_units_sums_dicts_and_lists():
    assert consumed_units(None) is None
    assert consumed_units({"CapacityUnits": 1.5}) == 1.5
    assert consumed_units([{"CapacityUnits": 1}, {"CapacityUnits": 0.5}]) == 1.5


# --- request units ----------------------------------------------------------------------------------

def test_item_sizes_follow_dynamodb_rules():
    assert capacity.item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert capacity.number_size("123.45") == 4  # 5 significant digits -> 3 bytes + 1
    assert capacity.number_size("100") == 2
    assert capacity.item_size({"b": {"BOOL": True}, "n": {"NULL": True}}) == 1 + 1 + 1 + 1
    assert capacity.value_size({"L": [{"S": "ab"}, {"S": "c"}]}) == 3 + (1 + 2) + (1 + 1)
    assert capacity.value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert capacity.value_size({"SS": ["a", "bc"]}) == 3


def test_request_units_round_up_and_halve_for_eventual_reads():
    assert capacity.read_units(0) == 0.5
    assert capacity.read_units(4096) == 0.5 and capacity.read_units(4097) == 1.0
    assert capacity.read_units(100, consistent=True) == 1.0
    assert capacity.read_units(100, transactional=True) == 2.0
    assert capacity.write_units(1) == 1.0 and capacity.write_units(1025) == 2.0
    assert capacity.write_units(100, transactional=True) == 2.0


def test_estimator_counts_gsi_writes_and_doubles_moved_index_keys():
    big = {"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER"}, "gsi1pk": {"S": "C"}, "gsi1sk": {"S": "1"},
           "gsi2pk": {"S": "ORDERS#draft"}, "gsi2sk": {"S": "1"}, "blob": {"S": "x" * 1500}}
    estimate = capacity.Estimator(gsis={"t": [("gsi1pk", "gsi1sk"), ("gsi2pk", "gsi2sk")]}, lookup=lambda table, key: big)
    # a put of a 1.6 KB item: 2 units on the table + 2 per GSI holding it
    assert estimate("PutItem", "", {"TableName": "t", "Item": big}, {}) == (0.0, 6.0)
    # a transactional update that moves the status index: table x2, gsi2 twice (delete + put), gsi1 once
    update = {"TransactItems": [{"Update": {"TableName": "t", "Key": {"pk": big["pk"], "sk": big["sk"]},
                                            "UpdateExpression": "SET #0 = :0, #1 = :1",
                                            "ExpressionAttributeNames": {"#0": "status", "#1": "gsi2pk"}}}]}
    assert estimate("TransactWriteItems", "", update, {}) == (0.0, 2 * 2 + 2 + 2 * 2)
    assert estimate("GetItem", "", {"ConsistentRead": True}, {"Item": big}) == (1.0, 0.0)
    assert estimate("Query", "", {}, {"Items": [big] * 3, "Count": 3, "ScannedCount": 3}) == (1.0, 0.0)
    batch = {"RequestItems": {"t": {"Keys": [{}, {}, {}]}}}
    assert estimate("BatchGetItem", "", batch, {"Responses": {"t": [big]}}) == (1.5, 0.0)
    assert estimate("PutItem", "ConditionalCheckFailedException", {"TableName": "t", "Item": big}, {}) == (0.0, 1.0)


def test_update_expression_names_are_matched_whole():
    params = {"UpdateExpression": "SET #10 = :0", "ExpressionAttributeNames": {"#1": "gsi2pk", "#10": "status"}}
    assert list(capacity.names_in(params)) == ["status"]


# --- cost ---------------------------------------------------------------------------------------------

def test_cost_per_1000_orders_adds_up_by_service():
    usage = cost.OrderUsage(api_requests=3, invocations=[cost.Invocation("f", 99.2, 1024)] * 10, invocation_weight=1.0,
                            transitions=11, rru=40, wru=120, emails=4, events=1, sqs_requests=3, s3_puts=2)
    result = cost.cost_per_orders(usage)
    assert result["step_functions"] == pytest.approx(11 * 1000 * 0.025 / 1000)  # 0.275
    assert result["ses"] == pytest.approx(4 * 1000 * 0.10 / 1000)  # 0.40
    assert result["api_gateway"] == pytest.approx(3 * 1000 * 3.50 / 1e6)
    gb_s = 10 * 0.100 * 1.0  # 99.2 ms rounds up to 100 ms, at 1 GB
    assert result["lambda"] == pytest.approx(10 * 1000 * 0.20 / 1e6 + gb_s * 1000 * 0.0000166667, rel=1e-6)
    assert result["dynamodb"] == pytest.approx(40 * 1000 * 0.125 / 1e6 + 120 * 1000 * 0.625 / 1e6)
    assert result["other"] == pytest.approx(1000 * (1 / 1e6 + 3 * 0.40 / 1e6 + 2 * 0.005 / 1000))
    parts = sum(result[k] for k in ("api_gateway", "lambda", "dynamodb", "step_functions", "ses", "other"))
    assert result["total"] == pytest.approx(parts, abs=1e-5)
    assert result["prices_as_of"] and "us-east-1" == result["region"]


def test_invocation_weight_averages_over_the_orders_measured():
    one = cost.cost_per_orders(cost.OrderUsage(invocations=[cost.Invocation("f", 10, 512)] * 3, invocation_weight=1 / 3))
    assert one["lambda"] == pytest.approx(1000 * (0.20 / 1e6 + 0.010 * 0.5 * 0.0000166667))


def test_memory_sizes_come_from_the_stage_or_the_top_level():
    config = {"lambda_memory_size": 512, "stages": {"prod": {"lambda_memory_size": 1024,
                                                             "lambda_functions": {"render_invoice": {"lambda_memory_size": 2048}}},
                                                    "dev": {}}}
    assert cost.memory_sizes(config, "prod") == (1024, {"render_invoice": 2048})
    assert cost.memory_sizes(config, "dev") == (512, {})


# --- transitions, import times, targets ---------------------------------------------------------------

def test_transitions_are_states_entered_plus_retried_attempts():
    events = [
        {"type": "ExecutionStarted"},
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Issue"}},
        {"type": "LambdaFunctionScheduled"}, {"type": "LambdaFunctionFailed"},
        {"type": "LambdaFunctionScheduled"}, {"type": "LambdaFunctionSucceeded"},
        {"type": "TaskStateExited"},
        {"type": "ChoiceStateEntered", "stateEnteredEventDetails": {"name": "More?"}},
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Wait"}},
        {"type": "TaskScheduled"},
        {"type": "SucceedStateEntered", "stateEnteredEventDetails": {"name": "Done"}},
        {"type": "ExecutionSucceeded"},
    ]
    counted = count_transitions(events)
    assert counted == {"transitions": 5, "states": {"Issue": 1, "More?": 1, "Wait": 1, "Done": 1}, "retries": 1}


def test_importtime_output_is_parsed_and_summarised_by_package():
    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 |   _io",
        "import time:      2000 |       2000 |       botocore.model",
        "import time:      1000 |       3000 |     botocore",
        "import time:       500 |       3500 |   chalicelib.store.models",
        "import time:       300 |       3900 | app",
    ])
    rows = parse_importtime(stderr)
    assert rows[1] == ("botocore.model", 2000, 2000, 3)
    summary = summarise_importtime(rows)
    assert summary["total_ms"] == 3.9
    assert summary["by_package_self_ms"]["botocore"] == 3.0
    assert summary["top_cumulative_ms"][0] == {"module": "chalicelib.store.models", "cumulative_ms": 3.5, "depth": 1}


def _results(**changes):
    scenario = {"name": "catalogue_page_1k", "family": "catalogue_page", "size": 1000, "aws_calls": 8, "floor": 8,
                "ratio": 1.0, "page_sized": True, "scans": 0}
    results = {"scenarios": [scenario, {**scenario, "name": "catalogue_page_20k", "size": 20000}],
               "import": {"app_ms": 100, "floor_ms": 100, "ratio": 1.0},
               "cost_per_1000_orders_usd": {"total": 0.1}}
    results.update(changes)
    return results


def test_targets_met_and_missed():
    assert report.targets(_results()) == []
    slow = _results()
    slow["scenarios"][1] = {**slow["scenarios"][1], "aws_calls": 16, "ratio": 2.0, "scans": 1}
    misses = report.targets(slow)
    assert any("catalogue_page_20k" in m and "2.0x" in m for m in misses)
    assert any("Scan" in m for m in misses)
    assert any("not flat" in m for m in misses)
    assert any(m.startswith("cost") for m in report.targets(_results(cost_per_1000_orders_usd={"total": 0.8})))
    heavy = _results()
    heavy["import"] = {"app_ms": 300, "floor_ms": 100, "ratio": 3.0}
    assert any(m.startswith("import") for m in report.targets(heavy))


def test_readme_block_is_replaced_only_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    prose = f"# Title\nThe block between `{report.README_START}` and `{report.README_END}` is rewritten.\n"
    readme.write_text(f"{prose}{report.README_START}\nold\n{report.README_END}\ntail\n")
    assert report.update_readme("new table", readme)
    assert readme.read_text() == f"{prose}{report.README_START}\nnew table\n{report.README_END}\ntail\n"
    plain = tmp_path / "OTHER.md"
    plain.write_text("no markers")
    assert not report.update_readme("x", plain) and plain.read_text() == "no markers"


# --- parallel checkouts -----------------------------------------------------------------------------

def test_checkout_scenario_meets_its_target_only_when_fast_small_and_complete():
    from bench.checkouts import markdown  # noqa: PLC0415

    fast = {"speedups": True, "skus": 20_000, "checkouts": 30, "wall_s": 9.5, "answered_s": 4.0, "peak_rss_mb": 900,
            "rss_before_mb": 700, "refused": [], "not_reviewed": 0}
    plain = {"speedups": False, "skus": 20_000, "checkouts": 30, "wall_s": None, "peak_rss_mb": 8200,
             "stopped": "stopped at 8,200 MB RSS (cap 8,192 MB)"}
    text = markdown({"with": fast, "without": plain})
    assert "**met**" in text and "did not finish: stopped at 8,200 MB RSS" in text and "9.5 s until all reviewed" in text
    assert "**missed**" in markdown({"with": {**fast, "wall_s": 15.2}, "without": plain})
    assert "**missed**" in markdown({"with": {**fast, "peak_rss_mb": 1600}, "without": plain})
    assert "**missed**" in markdown({"with": {**fast, "not_reviewed": 1}, "without": plain})
