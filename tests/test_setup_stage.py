"""A deployed stage's setup (infra/setup_stage.py): the first admin and the default automation rules, once."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.services import automation, setup
from chalicelib.store import users as user_store
from infra import setup_stage, stage_env


def _staff_admins() -> list[str]:
    return sorted(u.email for u in user_store.all_staff() if u.role == "admin")


def test_a_new_stage_gets_its_first_admin_invited_and_the_default_rules_once(stack):
    done = setup.prepare_stage("Ops@Supplier.example", "Ops Admin")
    assert done == ["admin: ops@supplier.example invited (temporary password by email)",
                    f"automation: {len(automation.DEFAULT_RULES)} default rule(s) installed"]
    assert _staff_admins() == ["ops@supplier.example"]
    invitation = [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
                  if "ops@supplier.example" in m.destinations["ToAddresses"]]
    assert len(invitation) == 1 and "temporary password" in invitation[0].body.lower()
    rules = automation.list_rules()
    assert {r["template_key"] for r in rules} == {key for key, _ in automation.DEFAULT_RULES}

    automation.update_rule(rules[0]["id"], {"name": "Our own wording"})
    again = setup.prepare_stage("someone.else@supplier.example", "Someone Else")
    assert again == ["admin: ops@supplier.example already active, none added",
                     "automation: default rules already installed"]
    assert _staff_admins() == ["ops@supplier.example"]
    assert len(automation.list_rules()) == len(automation.DEFAULT_RULES)
    assert any(r["name"] == "Our own wording" for r in automation.list_rules())  # the supplier's edit is kept


def _config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text((stage_env.CHALICE_DIR / "config.json").read_text())
    return path


OUTPUTS = {key: f"value-of-{key}" for key in stage_env.OUTPUT_TO_ENV}


def test_stage_environment_reads_the_infra_stack_then_the_one_stack(tmp_path):
    def no_such_stack(name, region):
        raise ClientError({"Error": {"Code": "ValidationError", "Message": f"Stack with id {name} does not exist"}},
                          "DescribeStacks")

    def path_2(name, region):
        if name != "b2b-portal-prod":
            no_such_stack(name, region)
        return OUTPUTS, "arn:aws:cloudformation:eu-central-1:111122223333:stack/b2b-portal-prod/x"

    env = setup_stage.stage_environment("prod", None, outputs_of=path_2, config_path=_config(tmp_path))
    assert env["STAGE"] == "prod" and env["TABLE_NAME"] == "value-of-TableName"
    assert env["USER_POOL_ID"] == "value-of-UserPoolId"
    assert env["MAIL_SENDER"] == json.loads(_config(tmp_path).read_text())["stages"]["prod"]["environment_variables"]["MAIL_SENDER"]
    assert env["SUPPLIER_TIMEZONE"] == "Europe/Bucharest"  # the app-wide settings too

    with pytest.raises(SystemExit, match="b2b-dev-infra.*does not exist.*b2b-portal-dev"):
        setup_stage.stage_environment("dev", None, outputs_of=no_such_stack, config_path=_config(tmp_path))
    with pytest.raises(SystemExit, match="no stage 'qa'"):
        setup_stage.stage_environment("qa", None, outputs_of=path_2, config_path=_config(tmp_path))
