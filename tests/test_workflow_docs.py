"""docs/workflows.md is what docs/workflows_build.py draws from the state machines today, and
statemachines/README.md says a word about every state. Pure: no AWS."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("workflows_build", ROOT / "docs" / "workflows_build.py")
workflows_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workflows_build)


def test_the_diagrams_match_the_state_machines():
    assert (ROOT / "docs" / "workflows.md").read_text() == workflows_build.document(), (
        "docs/workflows.md is stale; run: PYTHONPATH=. .venv/bin/python docs/workflows_build.py")


def test_every_state_and_every_edge_is_drawn():
    for path in sorted((ROOT / "statemachines").glob("*.asl.json")):
        machine = json.loads(path.read_text())
        drawn = "\n".join(workflows_build.diagram(machine))
        for name, state in machine["States"].items():
            sid = workflows_build.state_id(name)
            for target in [state.get("Next"), state.get("Default"), *[c["Next"] for c in state.get("Choices", [])],
                           *[c["Next"] for c in state.get("Catch", [])]]:
                if target:
                    assert f"{sid} --> {workflows_build.state_id(target)}" in drawn, (path.name, name, target)


def test_the_readme_explains_every_state():
    readme = (ROOT / "statemachines" / "README.md").read_text()
    for path in sorted((ROOT / "statemachines").glob("*.asl.json")):
        for name in json.loads(path.read_text())["States"]:
            assert f"**{name}**" in readme, f"statemachines/README.md says nothing about {name} ({path.name})"
