"""Delivery notes: their status flow and how short stock splits a delivery."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from chalicelib.domain.errors import Conflict


class DeliveryStatus(str, Enum):
    READY_FOR_PACKING = "ready_for_packing"
    APPROVED = "approved"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    AWB_FAILED = "awb_failed"
    RETURNED = "returned"
    CANCELLED = "cancelled"  # its order was cancelled before the warehouse approved it


# action -> (statuses it starts from, status after)
DELIVERY_TRANSITIONS: dict[str, tuple[tuple[DeliveryStatus, ...], DeliveryStatus]] = {
    "approve": ((DeliveryStatus.READY_FOR_PACKING,), DeliveryStatus.APPROVED),
    "pack": ((DeliveryStatus.APPROVED,), DeliveryStatus.PACKED),
    "ship": ((DeliveryStatus.PACKED, DeliveryStatus.AWB_FAILED), DeliveryStatus.SHIPPED),
    "awb_failed": ((DeliveryStatus.PACKED,), DeliveryStatus.AWB_FAILED),
    "retry_awb": ((DeliveryStatus.AWB_FAILED,), DeliveryStatus.PACKED),
    "deliver": ((DeliveryStatus.SHIPPED,), DeliveryStatus.DELIVERED),
    "cancel": ((DeliveryStatus.READY_FOR_PACKING,), DeliveryStatus.CANCELLED),
}

# What the client sees of a delivery: Preparing, Shipped, Delivered (and Returned).
CLIENT_VIEW = {
    DeliveryStatus.READY_FOR_PACKING: "preparing", DeliveryStatus.APPROVED: "preparing",
    DeliveryStatus.PACKED: "preparing", DeliveryStatus.AWB_FAILED: "preparing",
    DeliveryStatus.SHIPPED: "shipped", DeliveryStatus.DELIVERED: "delivered", DeliveryStatus.RETURNED: "returned",
    DeliveryStatus.CANCELLED: "cancelled",
}


def delivery_transition(action: str, status: DeliveryStatus) -> DeliveryStatus:
    allowed_from, after = DELIVERY_TRANSITIONS[action]
    if status not in allowed_from:
        raise Conflict(f"This delivery note is {status.value}; it cannot be {action.replace('_', ' ')}ed now.",
                       code="delivery_state_conflict")
    return after


@dataclass(frozen=True)
class StockSplit:
    """What ships now and what waits for stock, per SKU."""

    ship: dict[str, int]
    backorder: dict[str, int]


def split_for_stock(wanted: dict[str, int], on_hand: dict[str, int]) -> StockSplit:
    """Ship what is on hand (never below zero), back-order the rest."""
    ship = {sku: min(qty, max(on_hand.get(sku, 0), 0)) for sku, qty in wanted.items()}
    backorder = {sku: qty - ship[sku] for sku, qty in wanted.items() if qty > ship[sku]}
    return StockSplit({sku: q for sku, q in ship.items() if q > 0}, backorder)


def fulfilment_status(statuses: list[DeliveryStatus], fully_covered: bool) -> str:
    """The order's fulfilment as one word, from its delivery notes."""
    if not statuses:
        return "not_started"
    if all(s is DeliveryStatus.DELIVERED for s in statuses) and fully_covered:
        return "delivered"
    if any(s in (DeliveryStatus.SHIPPED, DeliveryStatus.DELIVERED) for s in statuses):
        return "partially_shipped" if not fully_covered or any(
            s not in (DeliveryStatus.SHIPPED, DeliveryStatus.DELIVERED) for s in statuses) else "shipped"
    return "preparing"
