"""Wire the infra resources into a Chalice stage, for either deploy path.

See docs/deploy.md. Three commands:

``from-stack`` (path 1: infra stack, then ``chalice deploy``)
    Reads the outputs of the infra stack (``b2b-<stage>-infra``) and prints the
    stage's environment variables. With ``--write`` it stores them in
    ``.chalice/config.json``; with ``--pin-policy`` it also narrows
    ``.chalice/policy-<stage>.json`` to this account, region, user pool and bucket.

``merge-template`` (path 2: one CloudFormation stack)
    Writes the file to pass to ``chalice package --merge-template``: infra/template.json
    plus an overlay that, for every function Chalice generates, sets the resource
    names with ``Ref`` (so they need no copying and the functions depend on the
    resources), points the DynamoDB stream and SQS event sources at the resources with
    ``Fn::GetAtt``, pins the functions' IAM policies to the stack's own resources, and
    gives the REST API JSON gateway responses. Function and role logical ids are read
    from what ``chalice package`` actually emits (it is run once without a merge
    template, or pass ``--sam``), so new ``@app.lambda_function``s need no edit here.

``gateway-responses`` (path 1 only; path 2 gets them from ``merge-template``)
    Puts the same JSON gateway responses on the REST API that ``chalice deploy``
    created and redeploys its stage. ``chalice deploy`` re-imports the API definition,
    which drops them: run this after every ``chalice deploy``.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
INFRA_TEMPLATE = REPO_ROOT / "infra" / "template.json"
CHALICE_DIR = REPO_ROOT / ".chalice"
API_STAGE = "api"

# Stack output -> environment variable of every Chalice function.
OUTPUT_TO_ENV = {
    "TableName": "TABLE_NAME",
    "IdempotencyTableName": "IDEMPOTENCY_TABLE_NAME",
    "UserPoolId": "USER_POOL_ID",
    "UserPoolClientId": "USER_POOL_CLIENT_ID",
    "DocumentsBucketName": "DOCUMENTS_BUCKET",
    "EventBusName": "EVENT_BUS_NAME",
    "MainTableStreamArn": "MAIN_TABLE_STREAM_ARN",
    "OrderReviewStateMachineArn": "ORDER_REVIEW_STATE_MACHINE_ARN",
    "FulfilmentStateMachineArn": "FULFILMENT_STATE_MACHINE_ARN",
    "InvoicingStateMachineArn": "INVOICING_STATE_MACHINE_ARN",
    "OverdueRemindersStateMachineArn": "OVERDUE_REMINDERS_STATE_MACHINE_ARN",
}

# The same variables in the one-stack template: Ref/GetAtt on the merged resources.
ENV_REFS = {
    "TABLE_NAME": {"Ref": "MainTable"},
    "IDEMPOTENCY_TABLE_NAME": {"Ref": "IdempotencyTable"},
    "USER_POOL_ID": {"Ref": "UserPool"},
    "USER_POOL_CLIENT_ID": {"Ref": "UserPoolClient"},
    "DOCUMENTS_BUCKET": {"Ref": "DocumentsBucket"},
    "EVENT_BUS_NAME": {"Ref": "EventBus"},
    "MAIN_TABLE_STREAM_ARN": {"Fn::GetAtt": ["MainTable", "StreamArn"]},
    "ORDER_REVIEW_STATE_MACHINE_ARN": {"Ref": "OrderReviewStateMachine"},
    "FULFILMENT_STATE_MACHINE_ARN": {"Ref": "FulfilmentStateMachine"},
    "INVOICING_STATE_MACHINE_ARN": {"Ref": "InvoicingStateMachine"},
    "OVERDUE_REMINDERS_STATE_MACHINE_ARN": {"Ref": "OverdueRemindersStateMachine"},
}

# API Gateway's own answers (authorizer said no, unknown path, throttling...) in the
# API's error shape: {"error": {"code": ..., "message": ...}} (shared/API.md).
# type -> (status code or None to keep API Gateway's, code, message template or None
# for API Gateway's own message).
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str | None]] = {
    "UNAUTHORIZED": (401, "unauthorized", None),
    "ACCESS_DENIED": (403, "forbidden", None),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", '"Not found."'),
    "REQUEST_TOO_LARGE": (413, "request_too_large", None),
    "THROTTLED": (429, "throttled", None),
    "INTEGRATION_TIMEOUT": (504, "timeout", None),
    "DEFAULT_4XX": (None, "bad_request", None),
    "DEFAULT_5XX": (None, "internal_error", None),
}


def gateway_response_template(code: str, message: str | None) -> str:
    # $context.error.messageString is API Gateway's message, already a quoted JSON string.
    return '{"error": {"code": "%s", "message": %s}}' % (
        code, message or "$context.error.messageString")


# --------------------------------------------------------------------------- policies

_ARN = re.compile(r"^arn:aws:([a-z0-9-]+):\*:\*:(.*)$")


def pin_policy(doc: dict, stage: str, *, partition: str, region: str, account: str,
               user_pool_arn: Any, bucket: str,
               wrap: Callable[[str], Any] = lambda s: s) -> dict:
    """Return the policy with `*` regions/accounts, the user pool and the bucket pinned.

    Values are literal strings (path 1) or CloudFormation expressions such as
    "${AWS::Region}" with `wrap` turning a string into Fn::Sub (path 2).
    Statements whose resource is "*" (X-Ray, task tokens) stay as they are.
    """
    bucket_pattern = f"arn:aws:s3:::b2b-{stage}-documents-*"

    def pin(resource: Any) -> Any:
        if not isinstance(resource, str) or resource == "*":
            return resource
        if resource.startswith(bucket_pattern):
            return wrap(f"arn:{partition}:s3:::{bucket}" + resource[len(bucket_pattern):])
        m = _ARN.match(resource)
        if not m:
            return resource
        service, rest = m.groups()
        if service == "cognito-idp" and rest == "userpool/*":
            return user_pool_arn
        return wrap(f"arn:{partition}:{service}:{region}:{account}:{rest}")

    pinned = copy.deepcopy(doc)
    for statement in pinned["Statement"]:
        res = statement.get("Resource")
        statement["Resource"] = [pin(r) for r in res] if isinstance(res, list) else pin(res)
    return pinned


def policy_path(stage: str, chalice_dir: Path | None = None) -> Path:
    chalice_dir = chalice_dir or CHALICE_DIR
    config = json.loads((chalice_dir / "config.json").read_text())
    name = config["stages"].get(stage, {}).get("iam_policy_file") or config.get(
        "iam_policy_file") or f"policy-{stage}.json"
    return chalice_dir / name


# ------------------------------------------------------------ path 2: merge template

def deep_merge(overlay: Any, base: Any) -> Any:
    """Chalice's own merge rule (TemplateDeepMerger): dicts merge, anything else wins."""
    if isinstance(overlay, dict) and isinstance(base, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = deep_merge(value, base.get(key))
        return merged
    return overlay


def _sub(value: str) -> Any:
    return {"Fn::Sub": value} if "${" in value else value


def _replacing(base: Any, attribute: str) -> Any:
    """`Fn::GetAtt` on `attribute` ("Resource.Attr") in a form that survives the merge.

    Chalice merges dicts key by key, so {"Fn::GetAtt": ...} laid over Chalice's
    {"Fn::Sub": ...} would leave both keys; when the value is a Fn::Sub, override the
    Fn::Sub string instead.
    """
    if isinstance(base, dict):
        if set(base) != {"Fn::Sub"}:
            raise ValueError(f"cannot override {base!r} through a merge")
        return {"Fn::Sub": "${%s}" % attribute}
    resource, attr = attribute.split(".", 1)
    return {"Fn::GetAtt": [resource, attr]}


def _queue_name(queue: Any) -> str | None:
    if isinstance(queue, dict):
        queue = queue.get("Fn::Sub")
    if isinstance(queue, str):
        return queue.rsplit(":", 1)[-1]
    return None


def build_merge_template(infra: dict, sam: dict, stage: str, policy: dict) -> dict:
    """infra/template.json plus the overlay for the functions found in `sam`."""
    resources = sam.get("Resources", {})
    infra_ids = set(infra["Resources"])
    queues = {f"b2b-{stage}-events": "EventsQueue",
              f"b2b-{stage}-events-dlq": "EventsDeadLetterQueue"}
    stream_marker = f":table/b2b-{stage}/stream/"
    overlay: dict[str, Any] = {
        "Parameters": {"Stage": {"Default": stage}},
        # The functions were packaged for this stage (their names, env and policies
        # say so): refuse a Stage parameter override that would point them elsewhere.
        "Rules": {"StageIsPackagedStage": {"Assertions": [{
            "Assert": {"Fn::Equals": [{"Ref": "Stage"}, stage]},
            "AssertDescription": f"this template was packaged with `--stage {stage}`",
        }]}},
        "Resources": {},
    }
    out = overlay["Resources"]
    roles: set[str] = set()
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function" or logical_id in infra_ids:
            continue
        props = resource.get("Properties", {})
        fn: dict[str, Any] = {"Environment": {"Variables": dict(ENV_REFS)}}
        events: dict[str, Any] = {}
        for name, event in (props.get("Events") or {}).items():
            eprops = event.get("Properties", {})
            if event.get("Type") == "DynamoDB" and stream_marker in str(eprops.get("Stream")):
                stream = _replacing(eprops["Stream"], "MainTable.StreamArn")
                events[name] = {"Properties": {"Stream": stream}}
            elif event.get("Type") == "SQS" and _queue_name(eprops.get("Queue")) in queues:
                target = queues[_queue_name(eprops["Queue"])]
                queue = _replacing(eprops["Queue"], f"{target}.Arn")
                events[name] = {"Properties": {"Queue": queue}}
        if events:
            fn["Events"] = events
        out[logical_id] = {"Properties": fn}
        role = props.get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            roles.add(role["Fn::GetAtt"][0])

    pinned = pin_policy(
        policy, stage, partition="${AWS::Partition}", region="${AWS::Region}",
        account="${AWS::AccountId}", user_pool_arn={"Fn::GetAtt": ["UserPool", "Arn"]},
        bucket="${DocumentsBucket}", wrap=_sub)
    for role_id in sorted(roles):
        role = resources.get(role_id, {})
        if role.get("Type") != "AWS::IAM::Role":
            continue
        policies = role.get("Properties", {}).get("Policies") or []
        # Chalice's merge replaces lists wholesale: emit the complete Policies list.
        out[role_id] = {"Properties": {"Policies": [
            {"PolicyName": p["PolicyName"], "PolicyDocument": pinned} for p in policies]}}

    if resources.get("RestAPI", {}).get("Type") == "AWS::Serverless::Api":
        # SAM writes these into the API definition, so the stage deployment has them.
        responses = {}
        for rtype, (status, code, message) in GATEWAY_RESPONSES.items():
            spec: dict[str, Any] = {"ResponseTemplates": {
                "application/json": gateway_response_template(code, message)}}
            if status is not None:
                spec["StatusCode"] = status
            responses[rtype] = spec
        out["RestAPI"] = {"Properties": {"GatewayResponses": responses}}
    return deep_merge(overlay, infra)


def _chalice_executable() -> str:
    sibling = Path(sys.executable).with_name("chalice")
    if sibling.exists():
        return str(sibling)
    found = shutil.which("chalice")
    if not found:
        raise SystemExit("chalice is not installed in this environment")
    return found


def chalice_sam(stage: str, project_dir: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [_chalice_executable(), "--project-dir", str(project_dir), "package",
             "--stage", stage, "--pkg-format", "cloudformation", tmp],
            check=True, stdout=subprocess.DEVNULL)
        return json.loads((Path(tmp) / "sam.json").read_text())


def cmd_merge_template(args: argparse.Namespace) -> None:
    project_dir = Path(args.project_dir)
    deployed = project_dir / ".chalice" / "deployed" / f"{args.stage}.json"
    if deployed.exists():
        raise SystemExit(
            f"{deployed} exists: stage {args.stage!r} was deployed with `chalice deploy` "
            "(path 1). Never deploy one stage both ways; see docs/deploy.md.")
    if args.sam:
        sam = json.loads(Path(args.sam).read_text())
    else:
        sam = chalice_sam(args.stage, project_dir)
    policy = json.loads(policy_path(args.stage, project_dir / ".chalice").read_text())
    merged = build_merge_template(
        json.loads(INFRA_TEMPLATE.read_text()), sam, args.stage, policy)
    text = json.dumps(merged, indent=2) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)


# ----------------------------------------------------------- path 1: stack outputs

def env_from_outputs(outputs: dict[str, str]) -> dict[str, str]:
    missing = [key for key in OUTPUT_TO_ENV if key not in outputs]
    if missing:
        raise SystemExit(f"infra stack has no output(s) {', '.join(missing)}: redeploy it")
    return {env: outputs[key] for key, env in OUTPUT_TO_ENV.items()}


def stack_outputs(stack_name: str, region: str | None) -> tuple[dict[str, str], str]:
    import boto3

    cfn = boto3.client("cloudformation", region_name=region)
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return outputs, stack["StackId"]


def update_config(stage: str, env: dict[str, str]) -> None:
    path = CHALICE_DIR / "config.json"
    config = json.loads(path.read_text())
    stage_cfg = config.setdefault("stages", {}).setdefault(stage, {})
    stage_cfg.setdefault("environment_variables", {}).update(env)
    path.write_text(json.dumps(config, indent=2) + "\n")


def cmd_from_stack(args: argparse.Namespace) -> None:
    stack_name = args.stack_name or f"b2b-{args.stage}-infra"
    outputs, stack_id = stack_outputs(stack_name, args.region)
    if "EndpointURL" in outputs or "APIHandlerArn" in outputs:
        raise SystemExit(
            f"{stack_name} is a one-stack (path 2) deployment; `chalice deploy` must not "
            "be used on this stage. See docs/deploy.md.")
    if outputs.get("Stage", args.stage) != args.stage:
        raise SystemExit(f"{stack_name} serves stage {outputs['Stage']!r}, not {args.stage!r}")
    env = env_from_outputs(outputs)
    print(json.dumps(env, indent=2))
    if args.write:
        update_config(args.stage, env)
        print(f"updated .chalice/config.json stage {args.stage!r}", file=sys.stderr)
    if args.pin_policy:
        # arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID
        _, partition, _, region, account, _ = stack_id.split(":", 5)
        path = policy_path(args.stage)
        pinned = pin_policy(
            json.loads(path.read_text()), args.stage, partition=partition, region=region,
            account=account, user_pool_arn=outputs["UserPoolArn"],
            bucket=outputs["DocumentsBucketName"])
        path.write_text(json.dumps(pinned, indent=2) + "\n")
        print(f"pinned {path}", file=sys.stderr)


def rest_api_id(stage: str) -> str:
    deployed = CHALICE_DIR / "deployed" / f"{stage}.json"
    if not deployed.exists():
        raise SystemExit(f"{deployed} not found: run `chalice deploy --stage {stage}` first")
    for resource in json.loads(deployed.read_text()).get("resources", []):
        if resource.get("resource_type") == "rest_api":
            return resource["rest_api_id"]
    raise SystemExit(f"no rest_api in {deployed}")


def apply_gateway_responses(client: Any, api_id: str, stage_name: str = API_STAGE) -> None:
    for rtype, (status, code, message) in GATEWAY_RESPONSES.items():
        kwargs: dict[str, Any] = {
            "restApiId": api_id, "responseType": rtype,
            "responseTemplates": {"application/json": gateway_response_template(code, message)},
        }
        if status is not None:
            kwargs["statusCode"] = str(status)
        client.put_gateway_response(**kwargs)
    client.create_deployment(restApiId=api_id, stageName=stage_name,
                             description="b2b gateway responses")


def cmd_gateway_responses(args: argparse.Namespace) -> None:
    import boto3

    api_id = args.rest_api_id or rest_api_id(args.stage)
    apply_gateway_responses(boto3.client("apigateway", region_name=args.region), api_id)
    print(f"gateway responses set on {api_id}, stage {API_STAGE!r} redeployed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("from-stack", help="path 1: infra stack outputs -> stage env")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--stack-name", help="default: b2b-<stage>-infra")
    p.add_argument("--region", default=os.environ.get("AWS_REGION"))
    p.add_argument("--write", action="store_true", help="update .chalice/config.json")
    p.add_argument("--pin-policy", action="store_true",
                   help="narrow .chalice/policy-<stage>.json to this stack's resources")
    p.set_defaults(func=cmd_from_stack)

    p = sub.add_parser("merge-template", help="path 2: file for chalice package --merge-template")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--sam", help="sam.json of a `chalice package` run without merge template")
    p.add_argument("--project-dir", default=str(REPO_ROOT))
    p.add_argument("-o", "--output", help="default: stdout")
    p.set_defaults(func=cmd_merge_template)

    p = sub.add_parser("gateway-responses", help="path 1: JSON gateway responses")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--rest-api-id", help="default: from .chalice/deployed/<stage>.json")
    p.add_argument("--region", default=os.environ.get("AWS_REGION"))
    p.set_defaults(func=cmd_gateway_responses)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
