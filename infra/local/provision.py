"""Create the resources of infra/template.json in the embedded AWS.

moto's CloudFormation does not know Cognito, so this reads the same template
and creates each supported resource with the matching API call. Intrinsics are
resolved for the subset the template uses (Ref, Fn::Sub, Fn::GetAtt, Fn::If,
Fn::Equals, Fn::Not, Fn::Join); resource types this stack does not need locally
(IAM policies, API Gateway responses...) are skipped and listed.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.json"
ACCOUNT_ID = "123456789012"


@dataclass
class Provisioned:
    """What was created: Ref values and attributes by logical id, and skipped resources."""

    refs: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


NO_VALUE = object()  # CloudFormation's AWS::NoValue: the property is left out


class _Resolver:
    def __init__(self, template: dict[str, Any], params: dict[str, str], region: str, done: Provisioned):
        self.template, self.params, self.region, self.done = template, params, region, done
        self.pseudo = {"AWS::AccountId": ACCOUNT_ID, "AWS::Region": region, "AWS::Partition": "aws",
                       "AWS::StackName": f"b2b-{params.get('Stage', 'local')}", "AWS::URLSuffix": "amazonaws.com"}

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.params:
            return self.params[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.done.refs:
            return self.done.refs[name]
        raise KeyError(f"unresolved Ref {name}")

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template.get("Conditions", {})[name]))

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.value(n) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1]))
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(extra.get(m.group(1)) or self._sub_name(m.group(1))), text)
            if key == "Fn::GetAtt":
                logical, attr = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.done.attrs[logical][attr]
            if key == "Fn::If":
                return self.value(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return self.value(arg[0]) == self.value(arg[1])
            if key == "Fn::Not":
                return not self.value(arg[0])
            if key == "Fn::Join":
                return arg[0].join(str(v) for v in self.value(arg[1]))
            if key == "Condition":
                return self.condition(arg)
        resolved = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}  # Fn::If's AWS::NoValue drops the property

    def _sub_name(self, name: str) -> str:
        if "." in name:
            logical, attr = name.split(".", 1)
            return self.done.attrs[logical][attr]
        return self.ref(name)


def provision(endpoint_url: str, region: str, stage: str = "local", template_path: Path = TEMPLATE) -> Provisioned:
    template = json.loads(template_path.read_text())
    params = {name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()}
    params["Stage"] = stage
    done = Provisioned()
    resolver = _Resolver(template, params, region, done)
    session = boto3.session.Session(region_name=region)

    def aws(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url)

    creators = {
        "AWS::DynamoDB::Table": _table,
        "AWS::Cognito::UserPool": _user_pool,
        "AWS::Cognito::UserPoolClient": _user_pool_client,
        "AWS::Cognito::UserPoolGroup": _user_pool_group,
        "AWS::S3::Bucket": _bucket,
        "AWS::SQS::Queue": _queue,
        "AWS::Events::EventBus": _event_bus,
        "AWS::Events::Rule": _event_rule,
        "AWS::IAM::Role": _role,
        "AWS::StepFunctions::StateMachine": _state_machine,
        "AWS::Logs::LogGroup": _log_group,
    }
    for logical, resource in _in_dependency_order(template["Resources"]):
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        create = creators.get(resource["Type"])
        if create is None:
            done.skipped.append(f"{logical} ({resource['Type']})")
            continue
        props = resolver.value(resource.get("Properties", {}))
        ref, attrs = create(aws, props, region)
        done.refs[logical], done.attrs[logical] = ref, attrs
    for name, output in template.get("Outputs", {}).items():
        try:
            done.outputs[name] = str(resolver.value(output["Value"]))
        except KeyError:
            pass  # an output of a skipped resource
    return done


def _dependencies(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value.split(".")[0] if isinstance(value, str) else value[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text))
            found |= _dependencies(value)
    elif isinstance(node, list):
        for value in node:
            found |= _dependencies(value)
    return found


def _in_dependency_order(resources: dict[str, Any]) -> list[tuple[str, Any]]:
    ordered: list[tuple[str, Any]] = []
    placed: set[str] = set()
    pending = dict(resources)
    while pending:
        ready = [name for name, res in pending.items()
                 if (_dependencies(res) | set(res.get("DependsOn", []) if isinstance(res.get("DependsOn"), list) else [res.get("DependsOn")] if res.get("DependsOn") else [])) & set(resources) <= placed]
        if not ready:
            raise ValueError(f"circular references among {sorted(pending)}")
        for name in ready:
            ordered.append((name, pending.pop(name)))
            placed.add(name)
    return ordered


def _table(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    ddb = aws("dynamodb")
    args: dict[str, Any] = {k: props[k] for k in ("TableName", "AttributeDefinitions", "KeySchema") if k in props}
    args["BillingMode"] = props.get("BillingMode", "PAY_PER_REQUEST")
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    table = ddb.create_table(**args)["TableDescription"]
    if props.get("TimeToLiveSpecification"):
        ddb.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=props["TimeToLiveSpecification"])
    attrs = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attrs["StreamArn"] = table["LatestStreamArn"]
    return props["TableName"], attrs


def _user_pool(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    args = {k: props[k] for k in ("UsernameAttributes", "AutoVerifiedAttributes", "AdminCreateUserConfig",
                                  "AccountRecoverySetting", "Policies", "Schema") if k in props}
    pool = aws("cognito-idp").create_user_pool(PoolName=props["UserPoolName"], **args)["UserPool"]
    return pool["Id"], {"Arn": pool["Arn"], "ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"}


def _user_pool_client(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    keys = ("ExplicitAuthFlows", "PreventUserExistenceErrors", "IdTokenValidity", "AccessTokenValidity",
            "RefreshTokenValidity", "TokenValidityUnits", "ReadAttributes", "WriteAttributes", "GenerateSecret")
    created = aws("cognito-idp").create_user_pool_client(
        UserPoolId=props["UserPoolId"], ClientName=props["ClientName"], **{k: props[k] for k in keys if k in props}
    )["UserPoolClient"]
    return created["ClientId"], {}


def _user_pool_group(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    aws("cognito-idp").create_group(UserPoolId=props["UserPoolId"], GroupName=props["GroupName"])
    return props["GroupName"], {}


def _bucket(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    s3 = aws("s3")
    name = props["BucketName"]
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}


def _queue(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    sqs = aws("sqs")
    attributes = {}
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    for key in ("VisibilityTimeout", "MessageRetentionPeriod"):
        if key in props:
            attributes[key] = str(props[key])
    url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {"Arn": arn, "QueueName": props["QueueName"], "QueueUrl": url}


def _event_bus(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    arn = aws("events").create_event_bus(Name=props["Name"])["EventBusArn"]
    return props["Name"], {"Arn": arn, "Name": props["Name"]}


def _event_rule(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    events = aws("events")
    args = {k: props[k] for k in ("Name", "EventBusName", "ScheduleExpression", "State", "Description") if k in props}
    if "EventPattern" in props:
        args["EventPattern"] = json.dumps(props["EventPattern"])
    arn = events.put_rule(**args)["RuleArn"]
    targets = [{"Id": t["Id"], "Arn": t["Arn"]} for t in props.get("Targets", []) if ":sqs:" in t["Arn"]]
    if targets:
        events.put_targets(Rule=props["Name"], EventBusName=props.get("EventBusName", "default"), Targets=targets)
    return props["Name"], {"Arn": arn}


def _role(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    # CloudFormation would generate a unique name; a digest of the properties is unique per role and stable.
    name = props.get("RoleName") or "local-role-" + hashlib.sha1(json.dumps(props, sort_keys=True).encode()).hexdigest()[:12]
    doc = props.get("AssumeRolePolicyDocument", {})
    role = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))["Role"]
    return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}


def _log_group(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    name = props["LogGroupName"]
    aws("logs").create_log_group(logGroupName=name)
    return name, {"Arn": f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{name}:*"}


def _state_machine(aws: Any, props: dict[str, Any], region: str) -> tuple[str, dict[str, str]]:
    location = props.get("DefinitionS3Location")
    if location:  # on AWS an uploaded copy (<stage>/statemachines/<version>/<file>); locally the file itself
        definition = (ROOT / "statemachines" / Path(location["Key"]).name).read_text()
    else:
        definition = props.get("DefinitionString") or json.dumps(props.get("Definition"))
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    created = aws("stepfunctions").create_state_machine(
        name=props["StateMachineName"], definition=definition, roleArn=props["RoleArn"],
        type=props.get("StateMachineType", "STANDARD"),
    )
    arn = created["stateMachineArn"]
    return arn, {"Arn": arn, "Name": props["StateMachineName"]}
