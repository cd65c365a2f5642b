"""Write docs/workflows.md: one Mermaid state diagram per state machine, drawn from statemachines/*.asl.json.

Run `PYTHONPATH=. .venv/bin/python docs/workflows_build.py` after changing a state machine;
tests/test_workflow_docs.py fails while the document and the ASL disagree.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MACHINES = ROOT / "statemachines"
OUTPUT = ROOT / "docs" / "workflows.md"
ORDER = ("order_review", "fulfilment", "invoicing", "overdue_reminders", "automation_run")
CONDITIONS = ("StringEquals", "BooleanEquals", "IsNull", "NumericEquals")


def state_id(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _condition(choice: dict[str, Any]) -> str:
    for test in CONDITIONS:
        if test in choice:
            value = json.dumps(choice[test])
            return f"{choice['Variable'].removeprefix('$.')} {'is null' if test == 'IsNull' and choice[test] else '= ' + value}"
    return "condition"


def _errors(names: list[str]) -> str:
    short = sorted({n.split(".")[-1] for n in names})
    if short == ["ConditionalCheckFailedException"]:
        return "happened first (condition failed)"
    return "error" if short == ["ALL"] else " / ".join(short)


def diagram(machine: dict[str, Any]) -> list[str]:
    """Mermaid stateDiagram-v2 lines: every state, every Next/Choice/Catch edge, ends to [*]."""
    lines = ["stateDiagram-v2"]
    for name, state in machine["States"].items():  # names Mermaid cannot take as ids, and choices, first
        if state_id(name) != name:
            lines.append(f'    state "{name}" as {state_id(name)}')
        if state["Type"] == "Choice":
            lines.append(f"    state {state_id(name)} <<choice>>")
    lines.append(f"    [*] --> {state_id(machine['StartAt'])}")
    for name, state in machine["States"].items():
        sid = state_id(name)
        kind = state["Type"]
        if kind == "Choice":
            for choice in state.get("Choices", []):
                lines.append(f"    {sid} --> {state_id(choice['Next'])}: {_condition(choice)}")
            if "Default" in state:
                lines.append(f"    {sid} --> {state_id(state['Default'])}: otherwise")
            continue
        if "Next" in state:
            waits = state.get("Resource", "").endswith(".waitForTaskToken")
            lines.append(f"    {sid} --> {state_id(state['Next'])}" + (": resumed" if waits else ""))
        for catch in state.get("Catch", []):
            lines.append(f"    {sid} --> {state_id(catch['Next'])}: {_errors(catch['ErrorEquals'])}")
        if state.get("End") or kind in ("Succeed", "Fail"):
            lines.append(f"    {sid} --> [*]" + (f": {state['Error']}" if kind == "Fail" else ""))
    return lines


def document() -> str:
    parts = ["# Workflows",
             "",
             "Generated from `statemachines/*.asl.json` by `docs/workflows_build.py` (do not edit by hand; "
             "`tests/test_workflow_docs.py` keeps it in sync). What each state does: `statemachines/README.md`.",
             ""]
    for stem in ORDER:
        machine = json.loads((MACHINES / f"{stem}.asl.json").read_text())
        parts += [f"## {stem}", "", machine.get("Comment", ""), "", "```mermaid", *diagram(machine), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    OUTPUT.write_text(document())
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
