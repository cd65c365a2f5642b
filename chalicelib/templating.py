"""Jinja2 environment for pages and emails.

Templates live in `templates/` at the app's root. Chalice packages only app.py, chalicelib/ and
vendor/ (copying vendor/ to the package root, following symlinks), so `vendor/templates` links to
them and Lambda finds the same tree at /var/task/templates: one relative place, locally and on AWS.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape  # noqa: PLC0415

    from jinja2 import pass_context  # noqa: PLC0415

    from chalicelib.domain.money import format_amount  # noqa: PLC0415
    from chalicelib.domain.vocabulary import label  # noqa: PLC0415

    @pass_context
    def amount(context: Any, value: Any) -> str:
        return "" if value is None or value == "" else format_amount(value, context.get("locale") or "en")

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = label  # {{ code | label("delivery_status") }}: the words people read, never the code
    env.filters["amount"] = amount  # {{ total | amount }}: separators of the reader's `locale` (render context)
    return env


def render(template: str, /, **context: Any) -> str:
    return environment().get_template(template).render(**context)
