"""The pages' scripts, served by the app itself from chalicelib/web/scripts/.

The pages' Content-Security-Policy (kit._html: `default-src 'self'`) runs no inline script, only scripts from the
page's own origin: a page names its script with `<script src="{{ url('/scripts/<name>.js') }}" defer>`. Pages work
without them; a script only adds to a page (the rule editor's live validation and event reference).
"""
from __future__ import annotations

from pathlib import Path

from chalice import Response

from chalicelib.domain.errors import NotFound
from chalicelib.web.kit import WebBlueprint

web_page_scripts = WebBlueprint(__name__)

SCRIPTS = Path(__file__).resolve().parent / "scripts"


def script_text(name: str) -> str:
    """One of the scripts in chalicelib/web/scripts/ (by file name; nothing outside that folder)."""
    available = {path.name: path for path in SCRIPTS.glob("*.js")}
    if name not in available:
        raise NotFound(f"There is no script {name}.", code="not_found")
    return available[name].read_text(encoding="utf-8")


@web_page_scripts.route("/scripts/{name}", methods=["GET"])
def page_script(name):
    return Response(body=script_text(name), status_code=200,
                    headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300",
                             "X-Content-Type-Options": "nosniff"})
