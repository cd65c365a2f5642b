"""Proposals (quotes) and their numbers."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.db import one_page
from chalicelib.store.models import ProposalItem
from chalicelib.store.numbering import save_numbered
from chalicelib.store.orders import now

SK = "PROPOSAL"


def proposal_pk(proposal_id: str) -> str:
    return f"PROPOSAL#{proposal_id}"


def create(proposal: ProposalItem) -> ProposalItem:
    proposal.pk, proposal.sk = proposal_pk(proposal.id), SK
    proposal.gsi1pk = f"CLIENT#{proposal.client_id}#PROPOSALS"
    proposal.gsi1sk = f"{proposal.created_at.isoformat()}#{proposal.id}"
    save_numbered(proposal, series=f"PR-{proposal.created_at.year}", exists_message="This proposal already exists.")
    return get(proposal.id)


def get(proposal_id: str) -> ProposalItem:
    try:
        return ProposalItem.get(proposal_pk(proposal_id), SK, consistent_read=True)
    except ProposalItem.DoesNotExist as exc:
        raise NotFound(f"No proposal {proposal_id}.", code="proposal_not_found") from exc


def for_client(client_id: str, *, limit: int, after: str | None, visible: tuple[str, ...] | None = None) -> tuple[list[ProposalItem], str | None]:
    condition = ProposalItem.gsi1sk < after if after else None
    filter_condition = ProposalItem.status.is_in(*visible) if visible else None
    return one_page(ProposalItem.by_client.query(f"CLIENT#{client_id}#PROPOSALS", range_key_condition=condition,
                                                 filter_condition=filter_condition, scan_index_forward=False,
                                                 page_size=limit + 1), limit, "gsi1sk")


def change(proposal: ProposalItem, *, status: str | None = None, actions: tuple[Any, ...] = ()) -> ProposalItem:
    """Update the proposal as read (optimistic lock: a second answer gets 409)."""
    all_actions = [*actions, ProposalItem.updated_at.set(now())]
    if status:
        all_actions.append(ProposalItem.status.set(status))
    try:
        proposal.update(actions=all_actions)  # one item: a conditional UpdateItem (version checked by PynamoDB)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The proposal changed meanwhile; reload it.", code="stale_version") from exc
        raise
    return proposal  # UpdateItem answered with the stored item
