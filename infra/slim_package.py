"""Drop what the functions never load from Chalice's deployment.zip (path 2, `make package`).

botocore ships the API models of ~450 AWS services (28 MB of the package); the functions
create clients for a handful. This keeps botocore's shared files and the models of the
services the code names (`client("<service>")` in chalicelib/) plus those the libraries use
(PynamoDB and Powertools idempotency: dynamodb; the stage's secrets: ssm; sts), and removes
the rest. Nothing else is touched: every other package is imported by the code or by a
library it imports.

    python infra/slim_package.py build/package-dev/deployment.zip   # rewrites it in place
    python infra/slim_package.py --check build/package-dev/deployment.zip
        # unzips it and imports the app and a client of every kept service with nothing
        # but the package and the standard library on sys.path
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Used through libraries, not through chalicelib.aws.client().
LIBRARY_SERVICES = {"dynamodb", "ssm", "sts"}
_CLIENT = re.compile(r"""client\(\s*["']([a-z0-9-]+)["']""")
_SERVICE_MODEL = re.compile(r"^botocore/data/([^/]+)/")


def used_services(source: Path | None = None) -> set[str]:
    found = set(LIBRARY_SERVICES)
    for path in (source or REPO_ROOT / "chalicelib").rglob("*.py"):
        found.update(_CLIENT.findall(path.read_text(encoding="utf-8")))
    return found


def slim(zip_path: Path, services: set[str]) -> tuple[int, int]:
    """Rewrite the zip without the unused service models; returns (bytes before, after)."""
    before = zip_path.stat().st_size
    tmp = zip_path.with_suffix(".slim.zip")
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            m = _SERVICE_MODEL.match(info.filename)
            if m and m.group(1) not in services:
                continue
            dst.writestr(info, src.read(info))
    tmp.replace(zip_path)
    return before, zip_path.stat().st_size


def check(zip_path: Path, services: set[str]) -> None:
    """Import the app and create each kept client from the unzipped package alone."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(tmp)
        code = (
            "import sys; sys.path.insert(0, %r)\n"
            "import app, boto3, PIL.Image, fpdf, cryptography.hazmat.bindings._rust, stripe\n"
            "for s in %r: boto3.client(s, region_name='eu-central-1')\n"
            "print('loaded', len(app.app.routes), 'routes')\n" % (tmp, sorted(services)))
        env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "PATH": "/usr/bin:/bin",
               "STAGE": "local", "MAIN_TABLE_STREAM_ARN":
               "arn:aws:dynamodb:eu-central-1:123456789012:table/b2b-local/stream/x"}
        subprocess.run([sys.executable, "-S", "-c", code], check=True, env=env, cwd=tmp)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("zip", type=Path)
    parser.add_argument("--check", action="store_true", help="only check that it loads")
    args = parser.parse_args(argv)
    services = used_services()
    if not args.check:
        before, after = slim(args.zip, services)
        print(f"{args.zip}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB "
              f"(botocore models kept: {', '.join(sorted(services))})")
    check(args.zip, services)


if __name__ == "__main__":
    main()
