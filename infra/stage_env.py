"""Wire the infra resources into a Chalice stage, for either deploy path (docs/deploy.md).

``policies``
    Writes the stage's per-function IAM policy files from one table (``POLICIES``,
    ``FUNCTION_POLICY``) and names them per function in ``.chalice/config.json``.

``upload-definitions`` (path 1)
    Uploads statemachines/*.asl.json to ``<stage>/statemachines/<content hash>/`` in the
    artifacts bucket and prints the ``DefinitionsVersion`` for the infra stack.

``from-stack`` (path 1: infra stack, then ``chalice deploy``)
    Reads the outputs of the infra stack (``b2b-<stage>-infra``) and prints the stage's
    environment variables. ``--write`` stores them in ``.chalice/config.json``;
    ``--pin-policy`` rewrites every ARN of every policy file of the stage to this
    account, region, user pool and bucket (again on each run).

``post-deploy`` (path 1, after every ``chalice deploy``)
    What Chalice cannot express: JSON gateway responses, API access logs, X-Ray and
    throttling, the table-stream mapping's failure settings (UpdateEventSourceMapping),
    log retention and one Errors alarm per function. ``gateway-responses`` does the
    first part alone.

``merge-template`` (path 2: one CloudFormation stack)
    Writes the file to pass to ``chalice package --merge-template``: infra/template.json
    with the state machines' function references rewritten to the functions Chalice
    generates (``Fn::GetAtt``) and their definitions inlined, plus an overlay that wires
    every generated function to the stack's resources (env, event sources with the
    stream's failure settings, pinned per-function policies, log groups, alarms) and
    gives the REST API JSON gateway responses, access logs, tracing and throttling.
    Function and role logical ids are read from what ``chalice package`` actually emits,
    so new ``@app.lambda_function``s and state machines need no edit here.
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
    "StaffOrderStateMachineArn": "STAFF_ORDER_STATE_MACHINE_ARN",
    "OverdueRemindersStateMachineArn": "OVERDUE_REMINDERS_STATE_MACHINE_ARN",
    "AutomationRunStateMachineArn": "AUTOMATION_RUN_STATE_MACHINE_ARN",
    "SchedulerRoleArn": "SCHEDULER_ROLE_ARN",
    "RecurringTargetArn": "RECURRING_TARGET_ARN",
    "AutomationTimerArn": "AUTOMATION_TIMER_ARN",
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
}
# State machine ARNs from their fixed names, not Ref: a state machine depends on the
# functions it calls, so a function depending on it would be a cycle.
ENV_REFS.update({
    env: {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                     "b2b-${Stage}-" + name}
    for env, name in {"ORDER_REVIEW_STATE_MACHINE_ARN": "order-review",
                      "FULFILMENT_STATE_MACHINE_ARN": "fulfilment",
                      "INVOICING_STATE_MACHINE_ARN": "invoicing",
                      "OVERDUE_REMINDERS_STATE_MACHINE_ARN": "overdue-reminders",
                      "STAFF_ORDER_STATE_MACHINE_ARN": "staff-order",
                      "AUTOMATION_RUN_STATE_MACHINE_ARN": "automation-run"}.items()})
# Timers (adapters/scheduler.py): the role EventBridge Scheduler runs a schedule's target with, and the targets.
# A function's environment cannot GetAtt a function (it would be a cycle, a function naming itself), so the timer
# targets keep their path 1 names on path 2 too (build_merge_template sets their FunctionName) and are named here.
TIMER_TARGETS = {"RECURRING_TARGET_ARN": "run_recurring_order", "AUTOMATION_TIMER_ARN": "automation_timer"}
ENV_REFS.update({
    "SCHEDULER_ROLE_ARN": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/b2b-${Stage}-scheduler"},
    **{env: {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:b2b-portal-${Stage}-"
                        + function} for env, function in TIMER_TARGETS.items()},
})

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

_ARN = re.compile(r"^arn:[^:]+:([a-z0-9-]+):[^:]*:[^:]*:(.*)$")


def pin_policy(doc: dict, stage: str, *, partition: str, region: str, account: str,
               user_pool_arn: Any, bucket: str,
               wrap: Callable[[str], Any] = lambda s: s) -> dict:
    """Return the policy with every ARN's partition, region and account, the user pool and
    the bucket set to the given ones.

    Works on the committed files (`*` region/account, `userpool/*`) and on files pinned
    before: every ARN is rewritten each time, so a recreated user pool or bucket, or
    another account, replaces the old values (re-pinning is never one way).
    Values are literal strings (path 1) or CloudFormation expressions such as
    "${AWS::Region}" with `wrap` turning a string into Fn::Sub (path 2).
    Statements whose resource is "*" (X-Ray, task tokens) stay as they are.
    """
    bucket_arn = re.compile(r"^arn:[^:]+:s3:::b2b-%s-documents-[^/]*(/.*)?$" % re.escape(stage))

    def pin(resource: Any) -> Any:
        if not isinstance(resource, str) or resource == "*":
            return resource
        m = bucket_arn.match(resource)
        if m:
            return wrap(f"arn:{partition}:s3:::{bucket}" + (m.group(1) or ""))
        m = _ARN.match(resource)
        if not m:
            return resource
        service, rest = m.groups()
        if service == "cognito-idp" and rest.startswith("userpool/"):
            return user_pool_arn
        if service == "s3":  # bucket ARNs carry no region or account (the inbound mail bucket's name pattern)
            return wrap(f"arn:{partition}:s3:::{rest}")
        if service == "iam":  # global: an IAM ARN has no region
            return wrap(f"arn:{partition}:iam::{account}:{rest}")
        return wrap(f"arn:{partition}:{service}:{region}:{account}:{rest}")

    def pin_condition(condition: Any) -> Any:  # kms:ViaService ssm.<region>.amazonaws.com
        if isinstance(condition, dict):
            return {k: pin_condition(v) for k, v in condition.items()}
        if isinstance(condition, str) and re.fullmatch(r"ssm\.[^.]+\.amazonaws\.com", condition):
            return wrap(f"ssm.{region}.amazonaws.com")
        return condition

    pinned = copy.deepcopy(doc)
    for statement in pinned["Statement"]:
        res = statement.get("Resource")
        statement["Resource"] = [pin(r) for r in res] if isinstance(res, list) else pin(res)
        if "Condition" in statement:
            statement["Condition"] = pin_condition(statement["Condition"])
    return pinned


def policy_paths(stage: str, chalice_dir: Path | None = None) -> list[Path]:
    """Every policy file of the stage: the stage's own and each function's."""
    chalice_dir = chalice_dir or CHALICE_DIR
    config = json.loads((chalice_dir / "config.json").read_text())
    names = [policy_path(stage, chalice_dir).name]
    for scope in (config, config["stages"].get(stage, {})):
        for fn in (scope.get("lambda_functions") or {}).values():
            if fn.get("iam_policy_file") and fn["iam_policy_file"] not in names:
                names.append(fn["iam_policy_file"])
    return [chalice_dir / name for name in names]


def policy_path(stage: str, chalice_dir: Path | None = None) -> Path:
    chalice_dir = chalice_dir or CHALICE_DIR
    config = json.loads((chalice_dir / "config.json").read_text())
    name = config["stages"].get(stage, {}).get("iam_policy_file") or config.get(
        "iam_policy_file") or f"policy-{stage}.json"
    return chalice_dir / name


# ------------------------------------------------------------------ policy files

def policy_statements(stage: str) -> dict[str, dict]:
    """Every statement any function may get, by Sid, for the stage (unpinned: `*` region
    and account; `from-stack --pin-policy` and the merge template pin them)."""
    table = f"arn:aws:dynamodb:*:*:table/b2b-{stage}"
    return {s["Sid"]: s for s in [
        {"Sid": "MainTableItems", "Action": [
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
            "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
            "dynamodb:ConditionCheckItem"], "Resource": [table, f"{table}/index/*"]},
        {"Sid": "MainTableStream", "Action": [
            "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
            "dynamodb:ListStreams"], "Resource": f"{table}/stream/*"},
        {"Sid": "StreamDeadLetterQueue", "Action": ["sqs:SendMessage"],
         "Resource": f"arn:aws:sqs:*:*:b2b-{stage}-stream-dlq"},
        {"Sid": "IdempotencyTable", "Action": [
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
         "Resource": f"{table}-idempotency"},
        # AdminDeleteUser only undoes the AdminCreateUser of the same request when the user
        # record cannot be written (services/accounts.py open_account).
        {"Sid": "CognitoUsers", "Action": [
            "cognito-idp:AdminCreateUser", "cognito-idp:AdminDeleteUser",
            "cognito-idp:InitiateAuth", "cognito-idp:RespondToAuthChallenge",
            "cognito-idp:ForgotPassword", "cognito-idp:ConfirmForgotPassword",
            "cognito-idp:AdminUserGlobalSignOut",  # POST /auth/logout (moto has no RevokeToken), disabling a login
            "cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser",  # back office: disable/enable a login
            "cognito-idp:AdminSetUserPassword"],  # back office: a new temporary password with a re-sent invitation
         "Resource": "arn:aws:cognito-idp:*:*:userpool/*"},
        {"Sid": "SendMail", "Action": ["ses:SendEmail", "ses:SendRawEmail"],
         "Resource": "arn:aws:ses:*:*:identity/*"},
        {"Sid": "DocumentsBucketObjects", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"arn:aws:s3:::b2b-{stage}-documents-*/*"},
        # Email intake (steps/intake.py): the messages SES stored, and the contact behind a sender's address.
        {"Sid": "InboundMailObjects", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::b2b-{stage}-inbound-mail-*/orders/*"},
        {"Sid": "InboundMailFailures", "Action": "sqs:SendMessage",  # the async invocation's on-failure destination
         "Resource": f"arn:aws:sqs:*:*:b2b-{stage}-inbound-mail-dlq"},
        {"Sid": "FindContactByEmail", "Action": "cognito-idp:AdminGetUser",
         "Resource": "arn:aws:cognito-idp:*:*:userpool/*"},
        {"Sid": "StartWorkflows", "Action": "states:StartExecution",
         "Resource": f"arn:aws:states:*:*:stateMachine:b2b-{stage}-*"},
        {"Sid": "AnswerTaskTokensNoResourceLevelPermissions", "Action": [
            "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
         "Resource": "*"},
        {"Sid": "PublishDomainEvents", "Action": "events:PutEvents",
         "Resource": f"arn:aws:events:*:*:event-bus/b2b-{stage}"},
        {"Sid": "EventsQueue", "Action": [
            "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
         "Resource": f"arn:aws:sqs:*:*:b2b-{stage}-events"},
        # Dead letters page (services/dead_letters.py on main): list, replay and discard.
        {"Sid": "DeadLetterQueues", "Action": [
            "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
            "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
         "Resource": [f"arn:aws:sqs:*:*:b2b-{stage}-events-dlq", f"arn:aws:sqs:*:*:b2b-{stage}-stream-dlq"]},
        {"Sid": "ReplayDomainEvents", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
         "Resource": f"arn:aws:sqs:*:*:b2b-{stage}-events"},
        # chalicelib/config.py reads every secret of the stage with one GetParametersByPath on the prefix.
        {"Sid": "StageSecrets", "Action": ["ssm:GetParametersByPath", "ssm:GetParameter", "ssm:GetParameters"],
         "Resource": [f"arn:aws:ssm:*:*:parameter/b2b-portal/{stage}", f"arn:aws:ssm:*:*:parameter/b2b-portal/{stage}/*"]},
        # The order timeline (services/timeline.py) reads the order's executions' histories.
        {"Sid": "ReadWorkflowHistories", "Action": ["states:GetExecutionHistory", "states:DescribeExecution"],
         "Resource": f"arn:aws:states:*:*:execution:b2b-{stage}-*:*"},
        {"Sid": "DecryptStageSecretsViaSsm", "Action": "kms:Decrypt",
         "Resource": "arn:aws:kms:*:*:key/*",
         "Condition": {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}}},
        {"Sid": "FunctionLogs", "Action": [
            "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"arn:aws:logs:*:*:log-group:/aws/lambda/b2b-portal-{stage}-*",
                      f"arn:aws:logs:*:*:log-group:/aws/lambda/b2b-portal-{stage}-*:log-stream:*"]},
        # services/recurring.py: one EventBridge Scheduler schedule per recurring order (adapters/scheduler.py),
        # whose target runs with the scheduler's role (passed, never assumed by the functions).
        {"Sid": "RecurringSchedules", "Action": [
            "scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
         "Resource": f"arn:aws:scheduler:*:*:schedule/default/b2b-{stage}-recurring-*"},
        {"Sid": "PassSchedulerRole", "Action": "iam:PassRole",
         "Resource": f"arn:aws:iam::*:role/b2b-{stage}-scheduler",
         "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}},
        # Delayed and date-relative automation runs: one-time schedules that delete themselves (adapters/scheduler.py).
        {"Sid": "ScheduleAutomationRuns", "Action": ["scheduler:CreateSchedule", "scheduler:UpdateSchedule"],
         "Resource": f"arn:aws:scheduler:*:*:schedule/default/b2b-{stage}-automation-*"},
        {"Sid": "XRayNoResourceLevelPermissions", "Action": [
            "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
            "xray:GetSamplingTargets"], "Resource": "*"},
    ]}


_BASE = ["FunctionLogs", "XRayNoResourceLevelPermissions"]
# Every function reads the stage's secrets at cold start (chalicelib/config.py fails closed).
_SECRETS = ["StageSecrets", "DecryptStageSecretsViaSsm"]
_WORK = ["MainTableItems", "SendMail", "StartWorkflows", "AnswerTaskTokensNoResourceLevelPermissions",
         "PublishDomainEvents"]
# Policy file suffix -> statements, read from what each module's code calls (boto3
# clients in chalicelib/services, PynamoDB models in chalicelib/store).
POLICIES: dict[str | None, list[str]] = {
    # the API (app.py): every route; the stage's own file (iam_policy_file)
    None: ["MainTableItems", "IdempotencyTable", "CognitoUsers", "SendMail", "DocumentsBucketObjects",
           "StartWorkflows", "AnswerTaskTokensNoResourceLevelPermissions", "PublishDomainEvents",
           "DeadLetterQueues", "ReplayDomainEvents", "MainTableStream", "ReadWorkflowHistories",
           "RecurringSchedules", "PassSchedulerRole", *_SECRETS, *_BASE],
    # verifies the ID token against Cognito's public JWKS (HTTPS, no AWS API)
    "authorizer": [*_SECRETS, *_BASE],
    # services/review.py: orders, users, mail, review workflow, task tokens, events
    "review-steps": [*_WORK, "RecurringSchedules", "PassSchedulerRole", *_SECRETS, *_BASE],
    # services/fulfilment.py + documents.py: delivery notes, courier, AWB PDF, mail
    "fulfilment-steps": [*_WORK, "DocumentsBucketObjects", *_SECRETS, *_BASE],
    # services/invoicing.py: invoice documents to S3, mail, reminders workflow
    "invoicing-steps": [*_WORK, "DocumentsBucketObjects", *_SECRETS, *_BASE],
    # steps/stream.py: reads the table stream, starts review / shipping workflows
    "stream": ["MainTableStream", "StreamDeadLetterQueue", *_WORK, *_SECRETS, *_BASE],
    # steps/intake.py: reads a stored email, finds its sender's contact, places a draft order, replies
    "intake-steps": ["InboundMailObjects", "InboundMailFailures", "FindContactByEmail", "MainTableItems", "SendMail", *_SECRETS, *_BASE],
    # steps/fulfilment.py on_domain_event: consumes the events queue
    "events": ["EventsQueue", *_WORK, "DocumentsBucketObjects", "ScheduleAutomationRuns", "PassSchedulerRole",
               *_SECRETS, *_BASE],
    # steps/lifecycle.py announce_abandoned_carts: the idle carts' index, their contacts, the bus
    "carts": ["MainTableItems", "PublishDomainEvents", *_SECRETS, *_BASE],
    # steps/automation.py: rules, runs, emails, tasks, client fields (webhooks are plain HTTPS)
    "automation-steps": [*_WORK, "ScheduleAutomationRuns", "PassSchedulerRole", *_SECRETS, *_BASE],
}
FUNCTION_POLICY = {
    "token_authorizer": "authorizer",
    "run_checks": "review-steps", "auto_approve": "review-steps",
    "notify_reviewer": "review-steps", "escalate_review": "review-steps",
    "conclude_review": "review-steps", "alert_failure": "review-steps",
    "create_delivery_note": "fulfilment-steps", "apply_stock": "fulfilment-steps",
    "packing_overdue": "fulfilment-steps",
    "generate_awb": "fulfilment-steps", "awb_failed": "fulfilment-steps",
    "issue_invoice": "invoicing-steps", "render_invoice": "invoicing-steps",
    "send_invoice": "invoicing-steps", "remind_overdue_page": "invoicing-steps",
    "daily_overdue_reminders": "invoicing-steps",
    # e-Factura: the invoice item, its XML in S3, ANAF over HTTPS, a finance task
    "submit_einvoice": "invoicing-steps", "poll_einvoice": "invoicing-steps", "einvoice_failed": "invoicing-steps",
    "expire_staff_order": "review-steps",  # services/staff_orders.py: the order, its agent's email
    "remind_offer": "review-steps",  # services/staff_orders.py + proposals.py: the buyer's expiry reminder
    "run_recurring_order": "review-steps",
    "announce_abandoned_carts": "carts",  # services/cart.announce_abandoned: hourly (a Chalice schedule)  # services/recurring.py: places the run's order, moves its schedule
    "on_table_change": "stream",
    "on_domain_event": "events",
    "receive_order_email": "intake-steps",
    "automation_plan": "automation-steps", "automation_action": "automation-steps",
    "automation_finish": "automation-steps", "automation_timer": "automation-steps",
}


def policy_file_name(stage: str, suffix: str | None) -> str:
    return f"policy-{stage}.json" if suffix is None else f"policy-{stage}-{suffix}.json"


def build_policy(stage: str, suffix: str | None) -> dict:
    catalogue = policy_statements(stage)
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", **{k: v for k, v in catalogue[sid].items() if k != "Sid"}}
        for sid in POLICIES[suffix]]}


def cmd_policies(args: argparse.Namespace) -> None:
    """Write the stage's policy files and point each function at its own (config.json)."""
    chalice_dir = Path(args.chalice_dir)
    for suffix in POLICIES:
        path = chalice_dir / policy_file_name(args.stage, suffix)
        path.write_text(json.dumps(build_policy(args.stage, suffix), indent=2) + "\n")
    path = chalice_dir / "config.json"
    config = json.loads(path.read_text())
    stage_cfg = config["stages"][args.stage]
    stage_cfg["iam_policy_file"] = policy_file_name(args.stage, None)
    functions = stage_cfg.setdefault("lambda_functions", {})
    for name, suffix in FUNCTION_POLICY.items():
        functions.setdefault(name, {})["iam_policy_file"] = policy_file_name(args.stage, suffix)
    path.write_text(json.dumps(config, indent=2) + "\n")
    print(f"wrote the {args.stage} policies; pin them with `from-stack --pin-policy`", file=sys.stderr)


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


# Settings Chalice cannot express: the table-stream consumer's failure handling. The
# same values are set by the merge template (path 2) and by `post-deploy` (path 1).
STREAM_FAILURE_SETTINGS = {
    "MaximumRetryAttempts": 5,
    "BisectBatchOnFunctionError": True,
    "MaximumRecordAgeInSeconds": 6 * 3600,
    "FunctionResponseTypes": ["ReportBatchItemFailures"],
}
# The domain-event consumer reports failed messages alone (batchItemFailures); without this setting
# Lambda would ignore that answer and delete every message of the batch, the failed ones too.
QUEUE_FAILURE_SETTINGS = {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
STREAM_DLQ = "StreamDeadLetterQueue"
LOG_RETENTION_DAYS = {"dev": 30, "prod": 365}
# API stage throttling (requests per second, burst) and access log format.
API_THROTTLING = {"dev": (20, 40), "prod": (100, 200)}
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "time": "$context.requestTime", "method": "$context.httpMethod",
    "path": "$context.path", "status": "$context.status",
    "responseLength": "$context.responseLength", "latencyMs": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
})

# How the infra template names a Chalice function (path 1's deterministic names).
_FUNCTION_ARN = re.compile(
    r"^arn:\$\{AWS::Partition\}:lambda:\$\{AWS::Region\}:\$\{AWS::AccountId\}:function:"
    r"b2b-portal-\$\{Stage\}-(\w+|\*)$")
_FUNCTION_NAME = re.compile(r"^b2b-portal-\$\{Stage\}-(\w+)$")


def _function_ids(sam_resources: dict) -> dict[str, str]:
    """Chalice function name -> the logical id `chalice package` gave its function."""
    from chalice.utils import to_cfn_resource_name

    by_lower = {lid.lower(): lid for lid, res in sam_resources.items()
                if res.get("Type") == "AWS::Serverless::Function"}

    class _Ids(dict):
        def __missing__(self, name: str) -> str:
            lid = by_lower.get(to_cfn_resource_name(name).lower())
            if lid is None:
                raise SystemExit(
                    f"infra/template.json refers to function {name!r}, which `chalice package` "
                    f"does not emit (functions: {', '.join(sorted(by_lower.values()))})")
            self[name] = lid
            return lid
    return _Ids()


def wire_function_references(infra: dict, sam_resources: dict) -> dict:
    """infra with every `b2b-portal-${Stage}-<fn>` name or ARN replaced by the generated function.

    `chalice package` sets no FunctionName, so CloudFormation names the functions itself:
    a function ARN becomes Fn::GetAtt [<logical id>, Arn], a function name becomes Ref, and
    the `b2b-portal-${Stage}-*` wildcard (the state machines' invoke permission) becomes the
    stack's functions. Read from the template, so a new state machine or step needs no edit here.
    """
    ids = _function_ids(sam_resources)

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            text = node["Fn::Sub"]
            m = _FUNCTION_ARN.match(text)
            if m and m.group(1) == "*":
                # Not a list of GetAtt: function env -> state machine -> role -> function
                # would be a cycle. CloudFormation names the functions <stack>-<id>-<random>.
                return {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}"
                                   ":function:${AWS::StackName}-*"}
            if m:
                return {"Fn::GetAtt": [ids[m.group(1)], "Arn"]}
            m = _FUNCTION_NAME.match(text)
            if m:
                return {"Ref": ids[m.group(1)]}
        return {key: rewrite(value) for key, value in node.items()}

    return rewrite(copy.deepcopy(infra))


def inline_definitions(infra: dict, statemachines_dir: Path) -> dict:
    """DefinitionS3Location -> DefinitionString read from statemachines/: every change deploys."""
    out = copy.deepcopy(infra)
    for resource in out["Resources"].values():
        props = resource.get("Properties", {})
        location = props.pop("DefinitionS3Location", None) if resource.get(
            "Type") == "AWS::StepFunctions::StateMachine" else None
        if location is None:
            continue
        key = location["Key"]
        name = (key.get("Fn::Sub") if isinstance(key, dict) else key).rsplit("/", 1)[-1]
        definition = json.loads((statemachines_dir / name).read_text())
        props["DefinitionString"] = json.dumps(definition, separators=(",", ":"))
    for parameter in ("ArtifactsBucket", "DefinitionsVersion"):  # unused once inlined
        if parameter not in json.dumps(out["Resources"]):
            out["Parameters"].pop(parameter, None)
    return out


def build_merge_template(infra: dict, sam: dict, stage: str, policy: dict | None = None,
                         statemachines_dir: Path | None = None) -> dict:
    """infra/template.json plus the overlay for the functions found in `sam`.

    Each role keeps the policy Chalice read for its function (`iam_policy_file`, per
    function or per stage), pinned to the stack's resources; `policy` is only used for a
    role that has none.
    """
    resources = sam.get("Resources", {})
    infra = wire_function_references(infra, resources)
    infra = inline_definitions(infra, statemachines_dir or REPO_ROOT / "statemachines")
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
    ids = _function_ids(resources)
    named = {ids[function]: function for function in TIMER_TARGETS.values()}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function" or logical_id in infra_ids:
            continue
        props = resource.get("Properties", {})
        fn: dict[str, Any] = {"Environment": {"Variables": dict(ENV_REFS)}}
        if logical_id in named:
            fn["FunctionName"] = {"Fn::Sub": "b2b-portal-${Stage}-" + named[logical_id]}
        events: dict[str, Any] = {}
        for name, event in (props.get("Events") or {}).items():
            eprops = event.get("Properties", {})
            if event.get("Type") == "DynamoDB" and stream_marker not in str(eprops.get("Stream")):
                raise SystemExit(f"{logical_id}: stream {eprops.get('Stream')!r} is not the "
                                 f"{stage} table's (was --sam packaged for another stage?)")
            if event.get("Type") == "DynamoDB":
                stream = _replacing(eprops["Stream"], "MainTable.StreamArn")
                events[name] = {"Properties": {
                    "Stream": stream, **STREAM_FAILURE_SETTINGS,
                    "DestinationConfig": {"OnFailure": {
                        "Type": "SQS", "Destination": {"Fn::GetAtt": [STREAM_DLQ, "Arn"]}}},
                }}
            elif event.get("Type") == "SQS" and _queue_name(eprops.get("Queue")) in queues:
                target = queues[_queue_name(eprops["Queue"])]
                queue = _replacing(eprops["Queue"], f"{target}.Arn")
                events[name] = {"Properties": {"Queue": queue, **QUEUE_FAILURE_SETTINGS}}
        if events:
            fn["Events"] = events
        out[logical_id] = {"Properties": fn}
        out[f"{logical_id}ErrorsAlarm"] = lambda_errors_alarm({"Ref": logical_id}, logical_id)
        role = props.get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            roles.add(role["Fn::GetAtt"][0])

    functions = {lid.lower(): lid for lid, r in resources.items()
                 if r.get("Type") == "AWS::Serverless::Function"}
    for logical_id, resource in resources.items():
        # `log_retention_in_days` log groups: Chalice 1.34 names the API's `${ApiHandler}`
        # (its function is APIHandler); log groups hold nothing worth keeping past deletion.
        if resource.get("Type") == "AWS::Logs::LogGroup" and logical_id.endswith("LogGroup"):
            fn = functions.get(logical_id.removesuffix("LogGroup").lower())
            entry: dict[str, Any] = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
            if fn:
                entry["Properties"] = {"LogGroupName": {"Fn::Sub": "/aws/lambda/${%s}" % fn}}
            out[logical_id] = entry

    def pinned(document: dict) -> dict:
        return pin_policy(
            document, stage, partition="${AWS::Partition}", region="${AWS::Region}",
            account="${AWS::AccountId}", user_pool_arn={"Fn::GetAtt": ["UserPool", "Arn"]},
            bucket="${DocumentsBucket}", wrap=_sub)

    for role_id in sorted(roles):
        role = resources.get(role_id, {})
        if role.get("Type") != "AWS::IAM::Role":
            continue
        policies = role.get("Properties", {}).get("Policies") or []
        # Chalice's merge replaces lists wholesale: emit the complete Policies list.
        out[role_id] = {"Properties": {"Policies": [
            {"PolicyName": p["PolicyName"],
             "PolicyDocument": pinned(p.get("PolicyDocument") or policy)} for p in policies]}}

    if resources.get("RestAPI", {}).get("Type") == "AWS::Serverless::Api":
        # SAM writes these into the API definition, so the stage deployment has them.
        responses = {}
        for rtype, (status, code, message) in GATEWAY_RESPONSES.items():
            spec: dict[str, Any] = {"ResponseTemplates": {
                "application/json": gateway_response_template(code, message)}}
            if status is not None:
                spec["StatusCode"] = status
            responses[rtype] = spec
        rate, burst = API_THROTTLING.get(stage, API_THROTTLING["dev"])
        out["RestAPI"] = {"Properties": {
            "GatewayResponses": responses,
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
                                 "Format": ACCESS_LOG_FORMAT},
            "MethodSettings": [{"HttpMethod": "*", "ResourcePath": "/*", "MetricsEnabled": True,
                                "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}],
        }}
    return deep_merge(overlay, infra)


def lambda_errors_alarm(function_name: Any, label: str) -> dict:
    """One alarm per function: any invocation error in 5 minutes (docs/deploy.md, Alarms)."""
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": {"Fn::Sub": "b2b-${Stage}-%s-errors" % label},
        "AlarmDescription": f"Function {label} raised errors (docs/deploy.md, Alarms).",
        "Namespace": "AWS/Lambda", "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
        "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}],
    }}


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
        for path in policy_paths(args.stage):
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


# ---------------------------------------------- path 1: definitions and post-deploy

def definitions_version(statemachines_dir: Path | None = None) -> str:
    """Content hash of every statemachines/*.asl.json (names and bytes)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((statemachines_dir or REPO_ROOT / "statemachines").glob("*.asl.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def upload_definitions(s3: Any, bucket: str, stage: str, statemachines_dir: Path | None = None) -> str:
    """Upload the definitions to <stage>/statemachines/<version>/ and return the version."""
    folder = statemachines_dir or REPO_ROOT / "statemachines"
    version = definitions_version(folder)
    for path in sorted(folder.glob("*.asl.json")):
        s3.put_object(Bucket=bucket, Key=f"{stage}/statemachines/{version}/{path.name}",
                      Body=path.read_bytes(), ContentType="application/json")
    return version


def cmd_upload_definitions(args: argparse.Namespace) -> None:
    import boto3

    version = upload_definitions(boto3.client("s3", region_name=args.region), args.bucket, args.stage)
    print(f"ArtifactsBucket={args.bucket} DefinitionsVersion={version}")


def deployed_resources(stage: str, chalice_dir: Path | None = None) -> list[dict]:
    deployed = (chalice_dir or CHALICE_DIR) / "deployed" / f"{stage}.json"
    if not deployed.exists():
        raise SystemExit(f"{deployed} not found: run `chalice deploy --stage {stage}` first")
    return json.loads(deployed.read_text()).get("resources", [])


def apply_stream_settings(lambda_client: Any, resources: list[dict], dlq_arn: str) -> list[str]:
    """The failure settings on every DynamoDB stream and SQS mapping `chalice deploy` created."""
    updated = []
    for resource in resources:
        kind = resource.get("resource_type")
        if kind == "dynamodb_event":
            lambda_client.update_event_source_mapping(
                UUID=resource["event_uuid"], **STREAM_FAILURE_SETTINGS,
                DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
        elif kind == "sqs_event":
            lambda_client.update_event_source_mapping(UUID=resource["event_uuid"], **QUEUE_FAILURE_SETTINGS)
        else:
            continue
        updated.append(resource["event_uuid"])
    return updated


def apply_function_alarms_and_retention(cloudwatch: Any, logs: Any, resources: list[dict],
                                        stage: str, topic_arn: str) -> None:
    for resource in resources:
        if resource.get("resource_type") != "lambda_function":
            continue
        name = resource["lambda_arn"].rsplit(":", 1)[-1]
        group = f"/aws/lambda/{name}"
        try:
            logs.create_log_group(logGroupName=group)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        logs.put_retention_policy(logGroupName=group, retentionInDays=LOG_RETENTION_DAYS[stage])
        props = lambda_errors_alarm(name, name.removeprefix(f"b2b-portal-{stage}-"))["Properties"]
        cloudwatch.put_metric_alarm(
            AlarmName=f"b2b-{stage}-{name.removeprefix(f'b2b-portal-{stage}-')}-errors",
            AlarmDescription=props["AlarmDescription"], Namespace="AWS/Lambda", MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": name}], Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching", AlarmActions=[topic_arn], OKActions=[topic_arn])


def apply_api_stage_settings(apigateway: Any, api_id: str, stage: str, log_group_arn: str) -> None:
    rate, burst = API_THROTTLING[stage]
    apigateway.update_stage(restApiId=api_id, stageName=API_STAGE, patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": log_group_arn.removesuffix(":*")},
        {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT},
        {"op": "replace", "path": "/tracingEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(rate)},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(burst)},
    ])


def cmd_post_deploy(args: argparse.Namespace) -> None:
    """After every `chalice deploy` (path 1): what Chalice cannot express."""
    import boto3

    session = boto3.session.Session(region_name=args.region)
    outputs, _ = stack_outputs(args.stack_name or f"b2b-{args.stage}-infra", args.region)
    resources = deployed_resources(args.stage)
    api_id = next(r["rest_api_id"] for r in resources if r.get("resource_type") == "rest_api")
    apigateway = session.client("apigateway")
    apply_gateway_responses(apigateway, api_id)
    apply_api_stage_settings(apigateway, api_id, args.stage, outputs["ApiAccessLogGroupArn"])
    updated = apply_stream_settings(session.client("lambda"), resources,
                                    outputs["StreamDeadLetterQueueArn"])
    apply_function_alarms_and_retention(session.client("cloudwatch"), session.client("logs"),
                                        resources, args.stage, outputs["AlarmTopicArn"])
    print(f"post-deploy done on {api_id}: gateway responses, access logs, throttling; "
          f"stream mappings {', '.join(updated) or 'none'}; log retention and error alarms")


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

    p = sub.add_parser("policies", help="write the stage's per-function policy files")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--chalice-dir", default=str(CHALICE_DIR))
    p.set_defaults(func=cmd_policies)

    p = sub.add_parser("merge-template", help="path 2: file for chalice package --merge-template")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--sam", help="sam.json of a `chalice package` run without merge template")
    p.add_argument("--project-dir", default=str(REPO_ROOT))
    p.add_argument("-o", "--output", help="default: stdout")
    p.set_defaults(func=cmd_merge_template)

    p = sub.add_parser("upload-definitions", help="path 1: state machine definitions to S3")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--bucket", required=True, help="the artifacts bucket")
    p.add_argument("--region", default=os.environ.get("AWS_REGION"))
    p.set_defaults(func=cmd_upload_definitions)

    p = sub.add_parser("post-deploy", help="path 1: after every chalice deploy")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--stack-name", help="default: b2b-<stage>-infra")
    p.add_argument("--region", default=os.environ.get("AWS_REGION"))
    p.set_defaults(func=cmd_post_deploy)

    p = sub.add_parser("gateway-responses", help="path 1: JSON gateway responses")
    p.add_argument("--stage", required=True, choices=["dev", "prod"])
    p.add_argument("--rest-api-id", help="default: from .chalice/deployed/<stage>.json")
    p.add_argument("--region", default=os.environ.get("AWS_REGION"))
    p.set_defaults(func=cmd_gateway_responses)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
