"""Deployment packaging: infra/template.json and `chalice package` output pass cfn-lint.

Runs offline. `chalice package` always runs `pip download -r requirements.txt` (for
manylinux wheels) unless it finds a cached zip in `.chalice/deployments/`, and it has
no option to skip that. These tests therefore package a copy of the project (app.py,
chalicelib/, .chalice config and policies) WITHOUT requirements.txt: the templates do
not depend on the wheels, the copy keeps `.chalice/deployments/` out of the work tree,
and PIP_NO_INDEX=1 makes any pip call fail fast instead of reaching a registry.
To package the real dependencies offline as well, point B2B_WHEELHOUSE at a directory
filled once with
    pip download -r requirements.txt --platform manylinux2014_x86_64 \
        --implementation cp --python-version 3.11 --only-binary=:all: -d <wheelhouse>
and requirements.txt is then kept (pip runs with --no-index --find-links <wheelhouse>).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.packaging

REPO_ROOT = Path(__file__).resolve().parent.parent
INFRA_TEMPLATE = REPO_ROOT / "infra" / "template.json"
STAGE_ENV = REPO_ROOT / "infra" / "stage_env.py"
BIN = Path(sys.executable).parent
LINT_REGIONS = ["us-east-1", "eu-central-1"]
INFRA_IDS = ["MainTable", "IdempotencyTable", "UserPool", "UserPoolClient", "DocumentsBucket",
             "EventBus", "EventsQueue", "EventsDeadLetterQueue", "StateMachineRole"]
# The local provisioner (infra/local) evaluates the template itself and knows only these.
ALLOWED_INTRINSICS = {"Ref", "Fn::Sub", "Fn::GetAtt", "Fn::If", "Fn::Equals", "Fn::Not", "Fn::Join"}
WIRED_ENV = {"TABLE_NAME": "MainTable", "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable",
             "USER_POOL_ID": "UserPool", "USER_POOL_CLIENT_ID": "UserPoolClient",
             "DOCUMENTS_BUCKET": "DocumentsBucket", "EVENT_BUS_NAME": "EventBus"}
APP_ENV = ["STAGE", "TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID",
           "DOCUMENTS_BUCKET", "MAIL_SENDER", "PORTAL_URL", "SUPPLIER_TIMEZONE",
           "POWERTOOLS_SERVICE_NAME", "LOG_LEVEL"]

# cfn-lint findings accepted, by rule id, with the reason. Errors, warnings AND
# informational findings (--include-checks I: e.g. I3011, a stateful resource without an
# explicit DeletionPolicy, guards the prod protections) fail the test unless listed here.
# Nothing needs ignoring with chalice 1.34.0 / cfn-lint 1.58.0; add a rule only with a
# reason it is harmless for this project.
IGNORED_RULES: dict[str, str] = {}


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed (pip install -r requirements-dev.txt)")
    return found


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") or k in ("AWS_DEFAULT_REGION", "AWS_REGION")}
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # never wait for an instance profile
    env["PIP_NO_INDEX"] = "1"  # never reach a package registry
    wheelhouse = os.environ.get("B2B_WHEELHOUSE")
    if wheelhouse:
        env["PIP_FIND_LINKS"] = wheelhouse
    return env


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def cfn_lint(template: Path, serverless: bool = False) -> None:
    """cfn-lint; with `serverless`, also the cfn-lint-serverless rules (packaged templates)."""
    rules = ["--append-rules", "cfn_lint_serverless.rules"] if serverless else []
    proc = subprocess.run(
        [_tool("cfn-lint"), *rules, "--format", "json", "--include-checks", "I",
         "--non-zero-exit-code", "none", "--regions", *LINT_REGIONS, "--", str(template)],
        env=_env(), capture_output=True, text=True, timeout=120)
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(f"cfn-lint gave no JSON ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    failing = [f for f in findings if f["Rule"]["Id"] not in IGNORED_RULES]
    assert not failing, "cfn-lint on %s:\n%s" % (template, "\n".join(
        "%s %s %s line %s: %s" % (f["Level"], f["Rule"]["Id"], "/".join(map(str, f["Location"]["Path"])),
                                  f["Location"]["Start"]["LineNumber"], f["Message"])
        for f in failing))


def walk(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def functions(template: dict) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items()
            if v["Type"] == "AWS::Serverless::Function"}


def load_stage_env():
    spec = importlib.util.spec_from_file_location("stage_env", STAGE_ENV)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of what Chalice packages, so packaging stays offline and out of the tree."""
    if not (REPO_ROOT / "app.py").exists():
        pytest.fail("app.py does not exist yet: nothing to package")
    dest = tmp_path_factory.mktemp("project")
    shutil.copy2(REPO_ROOT / "app.py", dest / "app.py")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("chalicelib", "vendor"):
        if (REPO_ROOT / folder).is_dir():
            shutil.copytree(REPO_ROOT / folder, dest / folder, ignore=ignore)
    (dest / ".chalice").mkdir()
    for path in (REPO_ROOT / ".chalice").glob("*.json"):  # config.json, policy-*.json
        shutil.copy2(path, dest / ".chalice" / path.name)
    if os.environ.get("B2B_WHEELHOUSE"):
        shutil.copy2(REPO_ROOT / "requirements.txt", dest / "requirements.txt")
    return dest


def chalice_package(project: Path, stage: str, out: Path, merge_template: Path) -> dict:
    _run([_tool("chalice"), "--project-dir", str(project), "package", "--stage", stage,
          "--pkg-format", "cloudformation", "--merge-template", str(merge_template), str(out)])
    return json.loads((out / "sam.json").read_text())


@pytest.fixture(scope="module")
def merged_dev(project, tmp_path_factory) -> Path:
    """The command as written in the brief: `--merge-template infra/template.json`."""
    out = tmp_path_factory.mktemp("package-dev")
    chalice_package(project, "dev", out, INFRA_TEMPLATE)
    return out / "sam.json"


# ---------------------------------------------------------------------------- tests

def test_infra_template_passes_cfn_lint():
    cfn_lint(INFRA_TEMPLATE)


def test_infra_template_contract():
    template = json.loads(INFRA_TEMPLATE.read_text())
    assert set(INFRA_IDS) <= set(template["Resources"])
    assert template["Parameters"]["Stage"]["AllowedValues"] == ["local", "dev", "prod"]
    used = {key for node in walk(template) if isinstance(node, dict)
            for key in node if key == "Ref" or key.startswith("Fn::")}
    assert used <= ALLOWED_INTRINSICS, used - ALLOWED_INTRINSICS
    props = {k: v.get("Properties", {}) for k, v in template["Resources"].items()}
    assert props["EventsQueue"]["QueueName"] == {"Fn::Sub": "b2b-${Stage}-events"}
    assert props["EventsDeadLetterQueue"]["QueueName"] == {"Fn::Sub": "b2b-${Stage}-events-dlq"}
    assert props["EventBus"]["Name"] == {"Fn::Sub": "b2b-${Stage}"}
    # SQS needs visibility >= the consumer's timeout (AWS advises 6x): 6 x 60 s.
    assert props["EventsQueue"]["VisibilityTimeout"] >= 360
    for table in ("MainTable", "IdempotencyTable"):
        assert props[table]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props[table]["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    for stateful in ("MainTable", "UserPool", "DocumentsBucket"):
        # kept on delete and update, but a failed first create removes them so a retry can run
        assert template["Resources"][stateful]["DeletionPolicy"] == "RetainExceptOnCreate"
        assert template["Resources"][stateful]["UpdateReplacePolicy"] == "Retain"
    assert props["StreamDeadLetterQueue"]["QueueName"] == {"Fn::Sub": "b2b-${Stage}-stream-dlq"}
    rules = props["DocumentsBucket"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("Prefix") == "statements/" and r["ExpirationInDays"] == 1 for r in rules)
    machines = {k: v for k, v in props.items()
                if template["Resources"][k]["Type"] == "AWS::StepFunctions::StateMachine"}
    for name, sm in machines.items():
        level = "ALL" if sm["StateMachineType"] == "EXPRESS" else "ERROR"
        assert sm["LoggingConfiguration"]["Level"] == level, name
        assert sm["TracingConfiguration"] == {"Enabled": True}, name
        assert "${DefinitionsVersion}" in sm["DefinitionS3Location"]["Key"]["Fn::Sub"], name
        assert f"{name.removesuffix('StateMachine')}FailedExecutionsAlarm" in template["Resources"]
    alarms = [v["Properties"] for v in template["Resources"].values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    alarmed = [d["Value"] for a in alarms for d in a["Dimensions"]]
    for queue in ("EventsDeadLetterQueue", "StreamDeadLetterQueue"):
        assert {"Fn::GetAtt": [queue, "QueueName"]} in alarmed
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)
    schedule = props["DailyOverdueRemindersSchedule"]
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "SupplierTimeZone"}


def test_chalice_package_merged_with_infra_template(merged_dev):
    """`--merge-template infra/template.json` alone packages, but is no deploy path: the
    functions keep placeholder env, the state machines call names CloudFormation never gives,
    and Chalice 1.34 names the API's log group after `${ApiHandler}` (its function is
    APIHandler). `stage_env.py merge-template` fixes all three (next test)."""
    template = json.loads(merged_dev.read_text())
    assert set(INFRA_IDS) <= set(template["Resources"])
    assert functions(template), "chalice package emitted no function"


@pytest.mark.parametrize("stage, reuse_sam", [("dev", True), ("prod", False)])
def test_one_stack_merge_template_passes_cfn_lint(project, merged_dev, tmp_path, stage, reuse_sam):
    """Path 2 as documented: stage_env.py merge-template, then chalice package with it."""
    merge_file = tmp_path / f"merge-{stage}.json"
    args = [sys.executable, str(STAGE_ENV), "merge-template", "--stage", stage,
            "--project-dir", str(project), "-o", str(merge_file)]
    if reuse_sam:
        args += ["--sam", str(merged_dev)]
    _run(args)
    template = chalice_package(project, stage, tmp_path / "out", merge_file)
    cfn_lint(tmp_path / "out" / "sam.json", serverless=True)

    assert template["Parameters"]["Stage"]["Default"] == stage
    assert "from-infra-stack" not in json.dumps(template), "a placeholder survived the merge"
    for node in walk(template):  # Chalice's merge must not leave {"Fn::Sub", "Fn::GetAtt"}
        if isinstance(node, dict):
            intrinsics = [k for k in node if k == "Ref" or k.startswith("Fn::")]
            assert len(intrinsics) <= 1 and (not intrinsics or len(node) == 1), node
    roles = set()
    for logical_id, fn in functions(template).items():
        props = fn["Properties"]
        variables = props["Environment"]["Variables"]
        for name, resource in WIRED_ENV.items():
            assert variables[name] == {"Ref": resource}, (logical_id, name)
        assert variables["STAGE"] == stage
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "DynamoDB":
                assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["MainTable", "StreamArn"]}
            if event["Type"] == "SQS":
                assert "EventsQueue.Arn" in json.dumps(event["Properties"]["Queue"])
                assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        roles.add(props["Role"]["Fn::GetAtt"][0])
    for role in roles:
        text = json.dumps(template["Resources"][role]["Properties"]["Policies"])
        assert ":*:*:" not in text and "userpool/*" not in text, role
    check_state_machines_call_template_functions(template)
    stream = [e["Properties"] for fn in functions(template).values()
              for e in (fn["Properties"].get("Events") or {}).values() if e["Type"] == "DynamoDB"]
    assert stream, "no table-stream consumer"
    for props in stream:
        assert props["MaximumRetryAttempts"] >= 1 and props["BisectBatchOnFunctionError"] is True
        assert props["MaximumRecordAgeInSeconds"] > 0
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}
    for logical_id in functions(template):
        assert f"{logical_id}ErrorsAlarm" in template["Resources"], logical_id
    if "RestAPI" in template["Resources"]:
        api = template["Resources"]["RestAPI"]["Properties"]
        assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
        assert api["MethodSettings"][0]["ThrottlingRateLimit"] > 0 and api["TracingEnabled"] is True
        responses = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
        assert responses["UNAUTHORIZED"]["StatusCode"] == 401
        body = responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
        assert body.startswith('{"error": {"code": "unauthorized", "message": ')


def sam_transform(template: dict) -> dict:
    """What CloudFormation's SAM transform makes of the template (after `aws cloudformation
    package` has put the code in S3)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # Chalice's roles name no managed policy
        def load(self):
            return {}

    template = json.loads(json.dumps(template))
    for fn in functions(template).values():
        fn["Properties"]["CodeUri"] = "s3://artifacts/b2b-portal/deployment.zip"
    parameters = {"Stage": template["Parameters"]["Stage"]["Default"],
                  "AWS::Region": "eu-central-1", "AWS::Partition": "aws"}
    from unittest import mock

    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "eu-central-1"}):  # no profile needed
        return transform(template, parameters, NoManagedPolicies())


def check_state_machines_call_template_functions(template: dict) -> None:
    """Every Lambda a state machine calls (and may invoke) is a function of the same template."""
    cfn = sam_transform(template)
    resources = cfn["Resources"]
    lambdas = {k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    machines = {k: v["Properties"] for k, v in resources.items()
                if v["Type"] == "AWS::StepFunctions::StateMachine"}
    assert machines and lambdas
    for name, props in machines.items():
        placeholders = set(re.findall(r"\$\{(\w+)\}", props["DefinitionString"]))
        substitutions = props.get("DefinitionSubstitutions", {})
        assert placeholders <= set(substitutions), (name, placeholders - set(substitutions))
        for key in placeholders:
            value = substitutions[key]
            if key.endswith("FunctionArn"):
                assert isinstance(value, dict) and value.get("Fn::GetAtt", [None])[0] in lambdas, (name, key, value)
                assert value["Fn::GetAtt"][1] == "Arn"
            assert "b2b-portal-${Stage}" not in json.dumps(value), (name, key)
        # the definition in the template is the file in statemachines/ (deploys with every change)
        assert "DefinitionS3Location" not in props
    invoke = [s for p in resources["StateMachineRole"]["Properties"]["Policies"]
              for s in p["PolicyDocument"]["Statement"] if s["Sid"] == "InvokeStepFunctions"][0]
    # only this stack's functions (CloudFormation names them <stack>-<logical id>-<suffix>)
    assert invoke["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:"
                                              "${AWS::AccountId}:function:${AWS::StackName}-*"}
    # Named functions are only the timer targets, whose ARNs the functions' environment needs (no GetAtt: a cycle).
    stage_env = load_stage_env()
    timer_targets = set(stage_env.TIMER_TARGETS.values())
    names = {v["Properties"]["FunctionName"]["Fn::Sub"].removeprefix("b2b-portal-${Stage}-")
             for v in resources.values() if v["Type"] == "AWS::Lambda::Function" and "FunctionName" in v["Properties"]}
    assert names == timer_targets
    for fn in (v for v in resources.values() if v["Type"] == "AWS::Lambda::Function"):
        variables = fn["Properties"]["Environment"]["Variables"]
        for env, target in stage_env.TIMER_TARGETS.items():
            assert variables[env]["Fn::Sub"].endswith(":function:b2b-portal-${Stage}-" + target)
    text = json.dumps(cfn)
    survived = set(re.findall(r":function:b2b-portal-\$\{Stage\}-(\w+)", text)) | set(
        re.findall(r'"b2b-portal-\$\{Stage\}-(\w+)"', text))
    assert survived <= timer_targets, f"a name-based function reference survived: {survived - timer_targets}"


def test_merge_template_wires_event_sources(merged_dev):
    """Stream and queue handlers point at the stack's resources (a made-up handler added to
    what `chalice package` emits: the state machines' functions must exist)."""
    from chalice.package import TemplateDeepMerger

    stage_env = load_stage_env()
    packaged = {k: v for k, v in json.loads(merged_dev.read_text())["Resources"].items()
                if v["Type"] in ("AWS::Serverless::Function", "AWS::IAM::Role")}
    sam = {"Resources": {**packaged,
        "OnOrderChangeRole": {"Type": "AWS::IAM::Role", "Properties": {
            "Policies": [{"PolicyName": "OnOrderChangeRolePolicy", "PolicyDocument": {}}]}},
        "OnOrderChange": {"Type": "AWS::Serverless::Function", "Properties": {
            "Role": {"Fn::GetAtt": ["OnOrderChangeRole", "Arn"]},
            "Environment": {"Variables": {"STAGE": "dev", "USER_POOL_ID": "from-infra-stack"}},
            "Events": {
                "Stream": {"Type": "DynamoDB", "Properties": {
                    "Stream": "arn:aws:dynamodb:us-east-1:0:table/b2b-dev/stream/from-infra-stack",
                    "StartingPosition": "LATEST"}},
                "Queue": {"Type": "SQS", "Properties": {
                    "Queue": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:b2b-dev-events"},
                    "BatchSize": 10}},
                "Other": {"Type": "SQS", "Properties": {"Queue": "arn:aws:sqs:us-east-1:0:someone-else"}},
            }}},
    }}
    policy = json.loads(stage_env.policy_path("dev").read_text())
    merge = stage_env.build_merge_template(json.loads(INFRA_TEMPLATE.read_text()), sam, "dev", policy)
    merged = TemplateDeepMerger().merge(merge, sam)  # exactly what `chalice package` does
    fn = merged["Resources"]["OnOrderChange"]["Properties"]
    assert fn["Events"]["Stream"]["Properties"] == {
        "Stream": {"Fn::GetAtt": ["MainTable", "StreamArn"]}, "StartingPosition": "LATEST",
        **stage_env.STREAM_FAILURE_SETTINGS,
        "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": {
            "Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}}}
    assert fn["Events"]["Queue"]["Properties"] == {
        "Queue": {"Fn::Sub": "${EventsQueue.Arn}"}, "BatchSize": 10, **stage_env.QUEUE_FAILURE_SETTINGS}
    assert fn["Events"]["Other"]["Properties"]["Queue"] == "arn:aws:sqs:us-east-1:0:someone-else"
    assert fn["Environment"]["Variables"]["USER_POOL_ID"] == {"Ref": "UserPool"}
    assert fn["Environment"]["Variables"]["STAGE"] == "dev"
    role_policies = merged["Resources"]["OnOrderChangeRole"]["Properties"]["Policies"]
    assert [p["PolicyName"] for p in role_policies] == ["OnOrderChangeRolePolicy"]
    assert {"Fn::GetAtt": ["UserPool", "Arn"]} in [
        s["Resource"] for s in role_policies[0]["PolicyDocument"]["Statement"]]
    assert merged["Rules"]["StageIsPackagedStage"]["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "Stage"}, "dev"]}


def test_config_stages():
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    assert config["app_name"] == "b2b-portal" and config["autogen_policy"] is False
    assert config["api_gateway_stage"] == "api"
    assert set(config["stages"]) == {"local", "dev", "prod"}
    for stage, cfg in config["stages"].items():
        env = {**config.get("environment_variables", {}), **cfg["environment_variables"]}
        assert not set(APP_ENV) - set(env), (stage, set(APP_ENV) - set(env))
        assert env["STAGE"] == stage
        assert env["TABLE_NAME"] == f"b2b-{stage}"
        assert env["IDEMPOTENCY_TABLE_NAME"] == f"b2b-{stage}-idempotency"
        assert env["POWERTOOLS_SERVICE_NAME"] == "b2b-portal"
        if stage != "local":
            assert (REPO_ROOT / ".chalice" / cfg["iam_policy_file"]).exists()
            # secrets come from SSM at cold start, never from the Lambda environment
            assert env["SSM_PREFIX"] == f"/b2b-portal/{stage}/"
            assert not {"REVIEW_LINK_SECRET", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET",
                        "INNOSHIP_API_KEY"} & set(env), stage
            assert "set-per-stage" not in json.dumps(cfg)
            assert env["PAYMENTS"] != "sandbox" and env["COURIER"] != "sandbox"


def _policies(stage: str) -> dict[str, dict]:
    stage_env = load_stage_env()
    return {p.name.replace(f"-{stage}", "-STAGE"): json.loads(p.read_text())
            for p in stage_env.policy_paths(stage)}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_policy_is_least_privilege(stage):
    """Committed or pinned (`from-stack --pin-policy`), every function's file passes."""
    stage_env = load_stage_env()
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    functions_cfg = config["stages"][stage]["lambda_functions"]
    assert {n for n, f in functions_cfg.items() if "iam_policy_file" in f} == set(stage_env.FUNCTION_POLICY)
    other = "prod" if stage == "dev" else "dev"
    policies = _policies(stage)
    assert len(policies) == len(stage_env.POLICIES)
    for name, policy in policies.items():
        text = json.dumps(policy)
        assert f"b2b-{other}" not in text and f"b2b-portal-{other}" not in text and f"/{other}/" not in text
        actions = set()
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            stmt_actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a.endswith("*") for a in stmt_actions), statement
            actions.update(stmt_actions)
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                if resource == "*":  # only for actions without resource-level permissions
                    assert all(a.startswith(("xray:", "states:SendTask")) for a in stmt_actions), statement
                elif ":kms:" in resource:  # the SSM key, only through SSM
                    assert stmt_actions == ["kms:Decrypt"] and "kms:ViaService" in json.dumps(statement["Condition"])
                elif ":ssm:" in resource:
                    # the stage's prefix itself (GetParametersByPath) or the parameters under it
                    assert resource.endswith((f":parameter/b2b-portal/{stage}/*", f":parameter/b2b-portal/{stage}")), resource
                elif ":cognito-idp:" not in resource and ":ses:" not in resource:
                    assert f"b2b-{stage}" in resource or f"b2b-portal-{stage}" in resource, resource
        # Design: no Scan on any request path or workflow step; no role can scan at all.
        assert "dynamodb:Scan" not in actions, name
    # the authorizer reads nothing but its secrets; nobody but the API manages users
    authorizer = {s["Sid"] for s in policies["policy-STAGE-authorizer.json"]["Statement"]}
    assert not authorizer & {"MainTableItems", "CognitoUsers", "DocumentsBucketObjects", "SendMail"}
    for name, policy in policies.items():
        if name != "policy-STAGE.json":
            assert "CognitoUsers" not in {s["Sid"] for s in policy["Statement"]}, name
    assert "StreamDeadLetterQueue" in {s["Sid"] for s in policies["policy-STAGE-stream.json"]["Statement"]}
    shape = lambda p: [(s["Sid"], s["Action"]) for s in p["Statement"]]  # noqa: E731
    for name, policy in _policies("dev").items():
        assert shape(policies[name]) == shape(policy), f"dev and prod {name} grant different actions"
        # the committed files are what `stage_env.py policies` writes (modulo pinning)
        generated = stage_env.build_policy(stage, next(
            (k for k in stage_env.POLICIES if stage_env.policy_file_name("STAGE", k) == name)))
        assert shape(generated) == shape(policies[name]), name


def test_from_stack_writes_stage_env_and_refuses_one_stack(monkeypatch, tmp_path):
    stage_env = load_stage_env()
    chalice_dir = tmp_path / ".chalice"
    shutil.copytree(REPO_ROOT / ".chalice", chalice_dir, ignore=shutil.ignore_patterns("deploy*"))
    monkeypatch.setattr(stage_env, "CHALICE_DIR", chalice_dir)
    outputs = {
        "Stage": "dev", "TableName": "b2b-dev", "IdempotencyTableName": "b2b-dev-idempotency",
        "UserPoolId": "eu-central-1_AbC", "UserPoolClientId": "client123",
        "DocumentsBucketName": "b2b-dev-documents-111122223333", "EventBusName": "b2b-dev",
        "MainTableStreamArn": "arn:aws:dynamodb:eu-central-1:111122223333:table/b2b-dev/stream/2026",
        "UserPoolArn": "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_AbC",
        "OrderReviewStateMachineArn": "arn:aws:states:eu-central-1:111122223333:stateMachine:b2b-dev-order-review",
        **{f"{name}StateMachineArn": f"arn:aws:states:eu-central-1:111122223333:stateMachine:b2b-dev-{name.lower()}"
           for name in ("Fulfilment", "Invoicing", "OverdueReminders", "StaffOrder", "AutomationRun")},
        "SchedulerRoleArn": "arn:aws:iam::111122223333:role/b2b-dev-scheduler",
        "RecurringTargetArn": "arn:aws:lambda:eu-central-1:111122223333:function:b2b-portal-dev-run_recurring_order",
        "AutomationTimerArn": "arn:aws:lambda:eu-central-1:111122223333:function:b2b-portal-dev-automation_timer",
    }
    stack_id = "arn:aws:cloudformation:eu-central-1:111122223333:stack/b2b-dev-infra/x"
    monkeypatch.setattr(stage_env, "stack_outputs", lambda name, region: (outputs, stack_id))
    stage_env.main(["from-stack", "--stage", "dev", "--write", "--pin-policy"])
    env = json.loads((chalice_dir / "config.json").read_text())["stages"]["dev"]["environment_variables"]
    assert env["USER_POOL_ID"] == "eu-central-1_AbC"
    assert env["DOCUMENTS_BUCKET"] == "b2b-dev-documents-111122223333"
    assert env["MAIN_TABLE_STREAM_ARN"].endswith("/stream/2026")
    assert env["ORDER_REVIEW_STATE_MACHINE_ARN"].endswith(":stateMachine:b2b-dev-order-review")
    assert env["RECURRING_TARGET_ARN"].endswith(":function:b2b-portal-dev-run_recurring_order")
    assert env["AUTOMATION_TIMER_ARN"].endswith(":function:b2b-portal-dev-automation_timer")
    assert env["SCHEDULER_ROLE_ARN"].endswith(":role/b2b-dev-scheduler")
    pinned = json.dumps(json.loads((chalice_dir / "policy-dev.json").read_text()))
    assert ":*:*:" not in pinned
    assert outputs["UserPoolArn"] in pinned
    assert "arn:aws:s3:::b2b-dev-documents-111122223333/*" in pinned
    for path in stage_env.policy_paths("dev", chalice_dir):  # every function's file
        assert ":*:*:" not in path.read_text() and "111122223333" in path.read_text(), path.name

    # The user pool and bucket are recreated in another account: re-pinning replaces every ARN.
    outputs["UserPoolArn"] = "arn:aws:cognito-idp:eu-west-1:444455556666:userpool/eu-west-1_New"
    outputs["DocumentsBucketName"] = "b2b-dev-documents-444455556666"
    stack_id = "arn:aws:cloudformation:eu-west-1:444455556666:stack/b2b-dev-infra/y"
    stage_env.main(["from-stack", "--stage", "dev", "--pin-policy"])
    repinned = "".join(p.read_text() for p in stage_env.policy_paths("dev", chalice_dir))
    assert "111122223333" not in repinned and "eu-central-1" not in repinned
    assert outputs["UserPoolArn"] in repinned
    assert "arn:aws:s3:::b2b-dev-documents-444455556666/*" in repinned
    assert "ssm.eu-west-1.amazonaws.com" in repinned

    outputs["EndpointURL"] = "https://x.execute-api.eu-central-1.amazonaws.com/api/"
    with pytest.raises(SystemExit, match="path 2"):
        stage_env.main(["from-stack", "--stage", "dev"])


def test_gateway_responses_for_chalice_deploy_path():
    """Path 1 puts the responses with the API (botocore's Stubber checks each call
    against the API Gateway model; no moto here, so the session's local stack is untouched)."""
    import boto3
    from botocore.stub import Stubber

    stage_env = load_stage_env()
    client = boto3.session.Session().client(
        "apigateway", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        for rtype, (status, code, message) in stage_env.GATEWAY_RESPONSES.items():
            expected = {"restApiId": "abc123", "responseType": rtype, "responseTemplates": {
                "application/json": stage_env.gateway_response_template(code, message)}}
            if status is not None:
                expected["statusCode"] = str(status)
            stubber.add_response("put_gateway_response", {}, expected)
        stubber.add_response("create_deployment", {"id": "d1"}, {
            "restApiId": "abc123", "stageName": "api", "description": "b2b gateway responses"})
        stage_env.apply_gateway_responses(client, "abc123")
        stubber.assert_no_pending_responses()
    assert stage_env.gateway_response_template("unauthorized", None) == (
        '{"error": {"code": "unauthorized", "message": $context.error.messageString}}')


def test_post_deploy_sets_stream_and_queue_failure_settings():
    """Path 1: Chalice cannot set them, `stage_env.py post-deploy` does (each call checked
    against the Lambda API model by botocore's Stubber)."""
    import boto3
    from botocore.stub import Stubber

    stage_env = load_stage_env()
    client = boto3.session.Session().client(
        "lambda", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    dlq = "arn:aws:sqs:us-east-1:111122223333:b2b-dev-stream-dlq"
    resources = [{"resource_type": "lambda_function", "lambda_arn": "arn:aws:lambda:us-east-1:1:function:x"},
                 {"resource_type": "dynamodb_event", "event_uuid": "11111111-2222-3333-4444-555555555555"},
                 {"resource_type": "sqs_event", "event_uuid": "11111111-2222-3333-4444-666666666666"}]
    with Stubber(client) as stubber:
        stubber.add_response("update_event_source_mapping", {"UUID": "11111111-2222-3333-4444-555555555555"}, {
            "UUID": "11111111-2222-3333-4444-555555555555", "MaximumRetryAttempts": 5, "BisectBatchOnFunctionError": True,
            "MaximumRecordAgeInSeconds": 21600, "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Destination": dlq}}})
        stubber.add_response("update_event_source_mapping", {"UUID": "11111111-2222-3333-4444-666666666666"}, {
            "UUID": "11111111-2222-3333-4444-666666666666", "FunctionResponseTypes": ["ReportBatchItemFailures"]})
        assert stage_env.apply_stream_settings(client, resources, dlq) == [
            "11111111-2222-3333-4444-555555555555", "11111111-2222-3333-4444-666666666666"]
        stubber.assert_no_pending_responses()


def test_definitions_version_changes_with_any_definition(tmp_path):
    stage_env = load_stage_env()
    for path in (REPO_ROOT / "statemachines").glob("*.asl.json"):
        shutil.copy2(path, tmp_path / path.name)
    before = stage_env.definitions_version(tmp_path)
    assert before == stage_env.definitions_version(REPO_ROOT / "statemachines")
    (tmp_path / "fulfilment.asl.json").write_text((tmp_path / "fulfilment.asl.json").read_text() + " ")
    assert stage_env.definitions_version(tmp_path) != before


def test_slim_package_keeps_only_the_services_the_code_uses(tmp_path):
    spec = importlib.util.spec_from_file_location("slim_package", REPO_ROOT / "infra" / "slim_package.py")
    slim_package = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(slim_package)
    services = slim_package.used_services()
    # every client the code creates, and what the libraries need
    assert {"cognito-idp", "s3", "ses", "stepfunctions", "events", "dynamodb", "ssm"} <= services
    import zipfile
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zf:
        for name in ("app.py", "botocore/data/endpoints.json", "botocore/data/s3/2006-03-01/service-2.json.gz",
                     "botocore/data/ec2/2016-11-15/service-2.json.gz", "botocore/__init__.py",
                     "PIL/__init__.py"):
            zf.writestr(name, "x")
    slim_package.slim(package, services)
    kept = set(zipfile.ZipFile(package).namelist())
    assert kept == {"app.py", "botocore/data/endpoints.json", "botocore/data/s3/2006-03-01/service-2.json.gz",
                    "botocore/__init__.py", "PIL/__init__.py"}


def test_custom_domain_is_stage_config_on_the_one_stack_path(project, tmp_path):
    """docs/deploy.md prerequisites: `api_gateway_custom_domain` in the stage's config gives the
    packaged stack the domain and its base path mapping (Chalice emits them)."""
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    config_path = copy / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    certificate = "arn:aws:acm:eu-central-1:111122223333:certificate/0b6d2a2e-1111-2222-3333-444455556666"
    config["stages"]["prod"]["api_gateway_custom_domain"] = {
        "domain_name": "portal.example.com", "certificate_arn": certificate}
    config_path.write_text(json.dumps(config))
    merge_file = tmp_path / "merge-prod.json"
    _run([sys.executable, str(STAGE_ENV), "merge-template", "--stage", "prod", "--project-dir", str(copy),
          "-o", str(merge_file)])
    template = chalice_package(copy, "prod", tmp_path / "out", merge_file)
    cfn_lint(tmp_path / "out" / "sam.json", serverless=True)
    domains = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::DomainName"]
    assert domains and domains[0]["DomainName"] == "portal.example.com"
    assert certificate in json.dumps(domains[0])
    assert any(r["Type"] == "AWS::ApiGateway::BasePathMapping" for r in template["Resources"].values())
