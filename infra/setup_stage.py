"""`make setup-stage STAGE=<stage> ADMIN_EMAIL=<email> ADMIN_NAME="<name>"`: prepare a deployed stage once its
stack is up (docs/deploy.md), with the stage's AWS credentials.

It invites the first admin (a Cognito login with a temporary password, sent by email through SES) and installs
the default automation rules, through the same code the local stack's demo data uses
(`services/setup.prepare_stage`). Run it again at any time: a stage with an active admin gets no other, and
rules already installed are left as the supplier edited them.

The stage's settings come from `.chalice/config.json` (its environment) and the stack's outputs (the table, the
user pool...): `b2b-<stage>-infra` on path 1, `b2b-portal-<stage>` on path 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable

from infra import stage_env


def stage_environment(stage: str, region: str | None,
                      outputs_of: Callable[[str, str | None], tuple[dict[str, str], str]] | None = None,
                      config_path: Path | None = None) -> dict[str, str]:
    """The environment the stage's functions run with, as far as setting up needs it."""
    from botocore.exceptions import ClientError

    outputs_of = outputs_of or stage_env.stack_outputs
    config = json.loads((config_path or stage_env.CHALICE_DIR / "config.json").read_text())
    if stage not in config.get("stages", {}):
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json")
    env = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    tried = []
    for stack in (f"b2b-{stage}-infra", f"b2b-portal-{stage}"):
        try:
            outputs, _ = outputs_of(stack, region)
        except ClientError as exc:
            tried.append(f"{stack}: {exc.response['Error'].get('Message', exc)}")
            continue
        env.update(stage_env.env_from_outputs(outputs))
        env["STAGE"] = stage
        return {key: str(value) for key, value in env.items()}
    raise SystemExit("no stack for stage %r (%s)" % (stage, "; ".join(tried)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--admin-email", required=True, help="the first admin's email (the invitation goes there)")
    parser.add_argument("--admin-name", required=True)
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if args.stage == "local":
        raise SystemExit("the local stack prepares itself (make run)")
    os.environ.update(stage_environment(args.stage, args.region))
    from chalicelib.services import setup  # noqa: PLC0415 - reads the stage's environment

    for line in setup.prepare_stage(args.admin_email, args.admin_name):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
