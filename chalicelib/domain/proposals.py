"""Proposals (quotes): the supplier's offer a client accepts or declines in the portal."""
from __future__ import annotations

from enum import Enum

from chalicelib.domain.errors import Conflict


class ProposalStatus(str, Enum):
    """Proposal status, with the supplier's codes (6 Draft, 4 Sent, 1 Open/Viewed, 3 Accepted, 2 Declined, 5 Revised,
    7 Expired: past its valid-until day without an answer)."""

    DRAFT = "draft"
    SENT = "sent"
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVISED = "revised"
    EXPIRED = "expired"

    @property
    def code(self) -> int:
        return PROPOSAL_CODES[self]


PROPOSAL_CODES = {ProposalStatus.OPEN: 1, ProposalStatus.DECLINED: 2, ProposalStatus.ACCEPTED: 3, ProposalStatus.SENT: 4,
                  ProposalStatus.REVISED: 5, ProposalStatus.DRAFT: 6, ProposalStatus.EXPIRED: 7}

# action -> (statuses it starts from, status after)
PROPOSAL_TRANSITIONS: dict[str, tuple[tuple[ProposalStatus, ...], ProposalStatus]] = {
    "send": ((ProposalStatus.DRAFT,), ProposalStatus.SENT),
    "view": ((ProposalStatus.SENT,), ProposalStatus.OPEN),
    "accept": ((ProposalStatus.SENT, ProposalStatus.OPEN), ProposalStatus.ACCEPTED),
    "decline": ((ProposalStatus.SENT, ProposalStatus.OPEN), ProposalStatus.DECLINED),
    "revise": ((ProposalStatus.DRAFT, ProposalStatus.SENT, ProposalStatus.OPEN, ProposalStatus.DECLINED,
                ProposalStatus.EXPIRED), ProposalStatus.REVISED),
    "expire": ((ProposalStatus.SENT, ProposalStatus.OPEN), ProposalStatus.EXPIRED),
}

VISIBLE_TO_CLIENT = (ProposalStatus.SENT, ProposalStatus.OPEN, ProposalStatus.ACCEPTED, ProposalStatus.DECLINED, ProposalStatus.REVISED,
                     ProposalStatus.EXPIRED)
ANSWERABLE = (ProposalStatus.SENT, ProposalStatus.OPEN)


def proposal_transition(action: str, status: ProposalStatus) -> ProposalStatus:
    allowed_from, after = PROPOSAL_TRANSITIONS[action]
    if status is ProposalStatus.EXPIRED and action in ("accept", "decline", "view"):
        raise Conflict("This proposal expired; ask your agent for a new one.", code="proposal_expired")
    if status not in allowed_from:
        raise Conflict(f"This proposal is {status.value}; it cannot be {action}ed now.".replace("viewed", "opened"),
                       code="proposal_state_conflict")
    return after
