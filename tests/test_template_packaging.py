"""Templates reach Lambda: `chalice package` ships top-level templates/ through vendor/templates.

Chalice packages app.py, chalicelib/ and vendor/ only; vendor/ is walked following symlinks and
copied to the package root. The copy below keeps vendor/templates a symlink (as in git), so the
test fails if the packager stops following it or the link goes missing. Offline as in
tests/test_packaging.py: no requirements.txt in the copy, PIP_NO_INDEX=1.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = REPO_ROOT / "templates"
CHALICE = Path(sys.executable).parent / "chalice"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", PIP_NO_INDEX="1")
    return env


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The deployment zip of a copy of the project, symlinks kept as they are in git."""
    project = tmp_path_factory.mktemp("project")
    shutil.copy2(REPO_ROOT / "app.py", project / "app.py")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("chalicelib", "templates", "vendor"):
        shutil.copytree(REPO_ROOT / folder, project / folder, symlinks=True, ignore=ignore)
    shutil.copytree(REPO_ROOT / ".chalice", project / ".chalice",
                    ignore=shutil.ignore_patterns("deployments", "venv"))
    assert (project / "vendor" / "templates").is_symlink()
    out = tmp_path_factory.mktemp("package")
    proc = subprocess.run([str(CHALICE), "--project-dir", str(project), "package", "--stage", "dev", str(out)],
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "deployment.zip"


def test_vendor_templates_is_a_relative_symlink_to_the_top_level_templates():
    link = REPO_ROOT / "vendor" / "templates"
    assert link.is_symlink()
    assert os.readlink(link) == "../templates"  # relative: survives any checkout location
    assert link.resolve() == TEMPLATES.resolve()


def test_no_stage_moves_vendor_into_a_layer():
    """With `automatic_layer`, Chalice puts vendor/ in the layer (/opt/python/lib/...), not beside app.py."""
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    layered = [name for name, stage in {"(top level)": config, **config.get("stages", {})}.items()
               if stage.get("automatic_layer")]
    assert not layered, f"automatic_layer would move templates out of the package root: {layered}"


def test_package_holds_every_template_at_the_package_root(package):
    expected = {"templates/" + p.relative_to(TEMPLATES).as_posix()
                for p in TEMPLATES.rglob("*") if p.is_file()}
    assert "templates/portal/login.html" in expected
    assert "templates/email/order_placed.subject.txt" in expected
    with zipfile.ZipFile(package) as zipped:
        names = set(zipped.namelist())
        assert expected <= names, sorted(expected - names)
        assert not [n for n in names if n.startswith(("chalicelib/templates/", "vendor/"))]
        assert zipped.read("templates/portal/login.html") == (TEMPLATES / "portal" / "login.html").read_bytes()


def test_unpacked_lambda_loads_templates_from_its_own_root(package, tmp_path):
    """As on Lambda (/var/task): the loader finds <package root>/templates and renders from it."""
    task = tmp_path / "task"
    with zipfile.ZipFile(package) as zipped:
        zipped.extractall(task)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]);"
             "from chalicelib import templating;"
             "print(templating.TEMPLATES);"
             "print(templating.environment().get_template('email/order_placed.subject.txt').filename)")
    proc = subprocess.run([sys.executable, "-c", probe, str(task)], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    root, loaded = proc.stdout.split()
    assert Path(root) == task / "templates"
    assert Path(loaded).is_relative_to(task / "templates")
