"""/admin/dead-letters: what the platform's consumers gave up on, for admins to see, replay or discard."""
from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api.http import ApiBlueprint, json_response, page
from chalicelib.api.security import require_staff, token_authorizer
from chalicelib.domain.access import Capability
from chalicelib.services import dead_letters
from chalicelib.services.dead_letters import DeadLetter

admin_operations_api = ApiBlueprint(__name__)


def dead_letter_json(letter: DeadLetter) -> dict[str, Any]:
    return {"id": letter.id, "source": letter.source, "source_label": letter.source_label, "failed_at": letter.failed_at,
            "attempts": letter.attempts, "reason": letter.reason, "summary": letter.summary, "body": letter.body}


def _request():
    return admin_operations_api.current_request


@admin_operations_api.route("/admin/dead-letters", methods=["GET"], authorizer=token_authorizer)
def list_dead_letters():
    require_staff(_request(), Capability.OPERATE_PLATFORM)
    return json_response(page([dead_letter_json(d) for d in dead_letters.dead_letters()], None))


@admin_operations_api.route("/admin/dead-letters/{message_id}/replay", methods=["POST"], authorizer=token_authorizer)
def replay_dead_letter(message_id):
    require_staff(_request(), Capability.OPERATE_PLATFORM)
    return json_response(dead_letter_json(dead_letters.replay(message_id)))


@admin_operations_api.route("/admin/dead-letters/{message_id}", methods=["DELETE"], authorizer=token_authorizer)
def discard_dead_letter(message_id):
    require_staff(_request(), Capability.OPERATE_PLATFORM)
    dead_letters.discard(message_id)
    return Response(body="", status_code=204)
