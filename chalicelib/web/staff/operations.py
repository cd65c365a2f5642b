"""The admin's page of failed background work (dead letters): see what a consumer gave up on, replay it
once the cause is fixed, or discard it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.web.kit import (
    FORM, WebBlueprint, form_fields, local_time, redirect, render_page, require_csrf, staff_session,
)
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.services import dead_letters

web_operations = WebBlueprint(__name__)
PAGE = "/agent/failed-work"


def _admin_session():
    return staff_session(Capability.OPERATE_PLATFORM)


@web_operations.route(PAGE, methods=["GET"])
def failed_work_page():
    session = _admin_session()
    return render_page("agent/failed_work.html", session, letters=[_row(d) for d in dead_letters.dead_letters()])


def _row(letter: dead_letters.DeadLetter) -> dict[str, Any]:
    when = letter.failed_at and local_time(datetime.fromisoformat(letter.failed_at))
    return {"id": letter.id, "summary": letter.summary, "source_label": letter.source_label,
            "attempts": letter.attempts, "reason": letter.reason, "failed_at": when}


def _act(message_id: str, action: str):
    session = _admin_session()
    require_csrf(form_fields())
    try:
        letter = dead_letters.replay(message_id) if action == "replay" else dead_letters.discard(message_id)
    except (NotFound, Conflict) as exc:
        return redirect(PAGE, session.cookies, flash={"error": exc.message})
    done = "Replayed" if action == "replay" else "Discarded"
    return redirect(PAGE, session.cookies, flash={"notice": f"{done}: {letter.summary}."})


@web_operations.route(PAGE + "/{message_id}/replay", methods=["POST"], content_types=FORM)
def replay_failed_work(message_id):
    return _act(message_id, "replay")


@web_operations.route(PAGE + "/{message_id}/discard", methods=["POST"], content_types=FORM)
def discard_failed_work(message_id):
    return _act(message_id, "discard")
