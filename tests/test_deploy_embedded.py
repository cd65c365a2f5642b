"""Path 1 against the embedded AWS: infra/template.json provisioned, `chalice deploy` for a
throwaway stage, then each step of `stage_env.py post-deploy` (stream failure settings,
gateway responses, API access logs/tracing/throttling, log retention, Errors alarms).

moto's CloudFormation cannot create Cognito, so the template is created the way the local
stack does it (infra/local/provision.py). The moto server runs in this process on its own
port (not the session's local stack); `chalice deploy` runs as a subprocess pointed at it
with AWS_ENDPOINT_URL. Known moto gaps patched here, and only here:
- Import/PutRestApi accept only OpenAPI 3 and read the optional `info.description` (KeyError,
  a 500). Chalice sends Swagger 2.0 without a description; the paths, methods and
  x-amazon-apigateway-integration entries moto reads have the same shape in both, so the
  document is relabelled OpenAPI 3 for moto.
- UpdateEventSourceMapping keeps only BatchSize/Enabled/FunctionName and drops the failure
  settings (MaximumRetryAttempts, BisectBatchOnFunctionError, MaximumRecordAgeInSeconds,
  DestinationConfig, FunctionResponseTypes) that AWS stores and returns.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests

from infra.local.provision import provision
from infra.local.stack import free_port

pytestmark = pytest.mark.packaging

REPO_ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
STAGE = "ci"  # throwaway: exists only in the copied project's config


def _load_stage_env():
    import importlib.util

    spec = importlib.util.spec_from_file_location("stage_env", REPO_ROOT / "infra" / "stage_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _patch_moto_event_source_mapping_update(monkeypatch) -> None:
    from moto.awslambda import models

    settings = ("MaximumRetryAttempts", "BisectBatchOnFunctionError", "MaximumRecordAgeInSeconds",
                "DestinationConfig", "FunctionResponseTypes")
    original_update = models.LambdaBackend.update_event_source_mapping
    original_json = models.EventSourceMapping.get_configuration

    def update(self, uuid, spec):
        esm = original_update(self, uuid, spec)
        if esm is not None:
            esm.failure_settings = {k: spec[k] for k in settings if k in spec}
        return esm

    def configuration(self):
        return {**original_json(self), **getattr(self, "failure_settings", {})}

    monkeypatch.setattr(models.LambdaBackend, "update_event_source_mapping", update)
    monkeypatch.setattr(models.EventSourceMapping, "get_configuration", configuration)


def _patch_moto_import_rest_api(monkeypatch) -> None:
    from moto.apigateway import models

    def as_openapi3(api_doc):
        doc = dict(api_doc)
        if doc.pop("swagger", None):
            doc["openapi"] = "3.0.1"
        doc["info"] = {"description": "", **doc.get("info", {})}
        return doc

    original_import = models.APIGatewayBackend.import_rest_api
    original_put = models.APIGatewayBackend.put_rest_api

    def import_rest_api(self, api_doc, fail_on_warnings):
        return original_import(self, as_openapi3(api_doc), False)

    def put_rest_api(self, function_id, api_doc, fail_on_warnings, mode="merge"):
        return original_put(self, function_id, as_openapi3(api_doc), False, mode)

    monkeypatch.setattr(models.APIGatewayBackend, "import_rest_api", import_rest_api)
    monkeypatch.setattr(models.APIGatewayBackend, "put_rest_api", put_rest_api)


@pytest.fixture
def embedded_aws(monkeypatch):
    from moto.server import ThreadedMotoServer

    _patch_moto_event_source_mapping_update(monkeypatch)
    _patch_moto_import_rest_api(monkeypatch)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's backends are per process: start from an empty AWS even when the session's local stack ran before.
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION, "AWS_ENDPOINT_URL": endpoint, "PIP_NO_INDEX": "1",
                "AWS_EC2_METADATA_DISABLED": "true"})
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
                "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(key, env[key])
    try:
        yield endpoint, env
    finally:
        server.stop()


def _throwaway_project(tmp_path: Path, stage_env, outputs: dict[str, str]) -> Path:
    """The app with a `ci` stage made like `dev` (policies written by `stage_env.py policies`,
    env from the provisioned outputs like `from-stack --write --pin-policy`)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(REPO_ROOT / "app.py", project / "app.py")
    shutil.copytree(REPO_ROOT / "chalicelib", project / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    chalice_dir = project / ".chalice"
    chalice_dir.mkdir()
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    ci = json.loads(json.dumps(config["stages"]["dev"]).replace("-dev", f"-{STAGE}").replace(
        "/dev/", f"/{STAGE}/").replace('"dev"', f'"{STAGE}"'))
    ci["environment_variables"].update(stage_env.env_from_outputs(outputs))
    config["stages"] = {STAGE: ci}
    (chalice_dir / "config.json").write_text(json.dumps(config, indent=2))
    for suffix in stage_env.POLICIES:
        policy = stage_env.pin_policy(
            stage_env.build_policy(STAGE, suffix), STAGE, partition="aws", region=REGION,
            account="123456789012", user_pool_arn=outputs["UserPoolArn"],
            bucket=outputs["DocumentsBucketName"])
        (chalice_dir / stage_env.policy_file_name(STAGE, suffix)).write_text(json.dumps(policy))
    return project


def _state_machine_function_refs(sfn) -> dict[str, set[str]]:
    refs: dict[str, set[str]] = {}
    for machine in sfn.list_state_machines()["stateMachines"]:
        definition = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
        found = set(re.findall(r"arn:aws:lambda:[^:\"]+:\d+:function:[\w-]+", definition))
        refs[machine["name"]] = found
    return refs


def test_chalice_deploy_on_embedded_aws_matches_state_machines(embedded_aws, tmp_path):
    endpoint, env = embedded_aws
    stage_env = _load_stage_env()
    done = provision(endpoint, REGION, STAGE)
    assert not [s for s in done.skipped if "Cognito" in s]
    project = _throwaway_project(tmp_path, stage_env, done.outputs)

    proc = subprocess.run(
        [str(Path(sys.executable).with_name("chalice")), "--project-dir", str(project), "deploy",
         "--stage", STAGE],
        env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    deployed = json.loads((project / ".chalice" / "deployed" / f"{STAGE}.json").read_text())["resources"]
    functions = {r["lambda_arn"] for r in deployed if r["resource_type"] == "lambda_function"}
    names = {arn.rsplit(":", 1)[-1] for arn in functions}
    assert f"b2b-portal-{STAGE}-notify_reviewer" in names

    sfn = boto3.client("stepfunctions", region_name=REGION, endpoint_url=endpoint)
    refs = _state_machine_function_refs(sfn)
    assert refs and all(refs.values()), refs
    for machine, arns in refs.items():
        assert arns <= functions, (machine, arns - functions)

    lam = boto3.client("lambda", region_name=REGION, endpoint_url=endpoint)
    updated = stage_env.apply_stream_settings(lam, deployed, done.outputs["StreamDeadLetterQueueArn"])
    assert updated, "chalice deploy created no DynamoDB stream mapping"
    queue_mappings = {r["event_uuid"] for r in deployed if r["resource_type"] == "sqs_event"}
    assert queue_mappings, "chalice deploy created no SQS mapping"
    for uuid in queue_mappings:  # the domain-event consumer reports failed messages alone
        assert lam.get_event_source_mapping(UUID=uuid)["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for uuid in set(updated) - queue_mappings:
        mapping = lam.get_event_source_mapping(UUID=uuid)
        assert mapping["EventSourceArn"] == done.attrs["MainTable"]["StreamArn"]
        assert mapping["MaximumRetryAttempts"] == 5
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["MaximumRecordAgeInSeconds"] == 6 * 3600
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == done.outputs["StreamDeadLetterQueueArn"]

    # the rest of post-deploy: gateway responses, access logs/throttling, retention, alarms
    session = boto3.session.Session(region_name=REGION)
    apigateway = session.client("apigateway", endpoint_url=endpoint)
    api_id = next(r["rest_api_id"] for r in deployed if r["resource_type"] == "rest_api")
    stage_env.apply_gateway_responses(apigateway, api_id)
    stage_env.apply_api_stage_settings(apigateway, api_id, "dev", done.outputs["ApiAccessLogGroupArn"])
    api_stage = apigateway.get_stage(restApiId=api_id, stageName="api")
    assert api_stage["accessLogSettings"]["destinationArn"] == done.outputs["ApiAccessLogGroupArn"].removesuffix(":*")
    assert api_stage["tracingEnabled"] is True
    topic = session.client("sns", endpoint_url=endpoint).create_topic(Name=f"b2b-{STAGE}-alarms")["TopicArn"]
    cloudwatch = session.client("cloudwatch", endpoint_url=endpoint)
    logs = session.client("logs", endpoint_url=endpoint)
    stage_env.LOG_RETENTION_DAYS[STAGE] = 30  # the throwaway stage's (module loaded for this test only)
    stage_env.apply_function_alarms_and_retention(cloudwatch, logs, deployed, STAGE, topic)
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    for name in names:
        alarm = alarms[f"b2b-{STAGE}-{name.removeprefix(f'b2b-portal-{STAGE}-')}-errors"]
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": name}]
        assert alarm["AlarmActions"] == [topic]
        group = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
        assert [g["retentionInDays"] for g in group if g["logGroupName"] == f"/aws/lambda/{name}"] == [30]
