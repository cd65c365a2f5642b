"""Sales Orders: line arithmetic, order rules, and the review state machine as data."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.money import to_money


class OrderStatus(str, Enum):
    """Sales Order status, with the supplier's codes (1 Draft ... 5 Expired)."""

    DRAFT = "draft"
    SENT = "sent"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    EXPIRED = "expired"

    @property
    def code(self) -> int:
        return STATUS_CODES[self]


STATUS_CODES = {OrderStatus.DRAFT: 1, OrderStatus.SENT: 2, OrderStatus.DECLINED: 3, OrderStatus.ACCEPTED: 4, OrderStatus.EXPIRED: 5}


class Review(str, Enum):
    PENDING = "pending"
    APPROVED = "approved"
    MODIFIED = "modified"
    REJECTED = "rejected"


class Action(str, Enum):
    APPROVE = "approve"
    AUTO_APPROVE = "auto_approve"
    MODIFY = "modify"
    REJECT = "reject"
    ACCEPT_CHANGES = "accept_changes"
    DECLINE_CHANGES = "decline_changes"
    EXPIRE = "expire"


OPEN = (OrderStatus.DRAFT, OrderStatus.SENT)

# action -> (review states it starts from, review after, status after (None: unchanged))
TRANSITIONS: dict[Action, tuple[tuple[Review, ...], Review, OrderStatus | None]] = {
    Action.APPROVE: ((Review.PENDING,), Review.APPROVED, OrderStatus.ACCEPTED),
    Action.AUTO_APPROVE: ((Review.PENDING,), Review.APPROVED, OrderStatus.ACCEPTED),
    Action.MODIFY: ((Review.PENDING,), Review.MODIFIED, None),
    Action.REJECT: ((Review.PENDING,), Review.REJECTED, OrderStatus.DECLINED),
    Action.ACCEPT_CHANGES: ((Review.MODIFIED,), Review.APPROVED, OrderStatus.ACCEPTED),
    Action.DECLINE_CHANGES: ((Review.MODIFIED,), Review.REJECTED, OrderStatus.DECLINED),
    Action.EXPIRE: ((Review.MODIFIED,), Review.REJECTED, OrderStatus.EXPIRED),
}


def transition(action: Action, status: OrderStatus, review: Review) -> tuple[Review, OrderStatus]:
    """The (review, status) after `action`, or 409 when the order is not in a state that allows it."""
    allowed_from, review_after, status_after = TRANSITIONS[action]
    if review not in allowed_from or status not in OPEN:
        raise Conflict(
            f"This order is {status.value} (review {review.value}); it cannot be {action.value.replace('_', ' ')}d now.",
            code="order_state_conflict",
        )
    return review_after, status_after or status


# A Sales Order issued by staff (status `sent`) answered by the client, or expired by its timer.
OFFER_ACTIONS: dict[str, OrderStatus] = {"accept": OrderStatus.ACCEPTED, "decline": OrderStatus.DECLINED,
                                         "expire": OrderStatus.EXPIRED}


def offer_transition(action: str, status: OrderStatus) -> OrderStatus:
    """The status after the client's answer to a sent Sales Order (or its expiry); 409 once it is not `sent`."""
    if status is OrderStatus.EXPIRED:
        raise Conflict("This order expired; ask your agent for a new one.", code="order_expired")
    if status is not OrderStatus.SENT:
        raise Conflict(f"This order is {status.value}; it cannot be {action}ed now.".replace("expireed", "expired"),
                       code="order_state_conflict")
    return OFFER_ACTIONS[action]


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    qty: int
    unit_price: Decimal
    vat_rate: Decimal
    unit: str = "pcs"
    price_source: str = "base"
    price_list_id: str | None = None

    @property
    def line_total(self) -> Decimal:
        """Net line amount, rounded to cents."""
        return to_money(self.unit_price * self.qty)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    vat_by_rate: dict[Decimal, Decimal] = field(default_factory=dict)
    net_by_rate: dict[Decimal, Decimal] = field(default_factory=dict)


def order_totals(lines: Iterable[OrderLine], discount_percent: Decimal = Decimal(0)) -> Totals:
    """Subtotal, VAT and total of an order: VAT is computed per rate on the rate's net sum, then rounded.

    The one place where order and invoice arithmetic lives.
    """
    net_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        net = to_money(line.line_total * (Decimal(100) - discount_percent) / Decimal(100))
        net_by_rate[line.vat_rate] = net_by_rate.get(line.vat_rate, Decimal(0)) + net
    vat_by_rate = {rate: to_money(net * rate / Decimal(100)) for rate, net in net_by_rate.items()}
    subtotal = to_money(sum(net_by_rate.values(), Decimal(0)))
    vat_total = to_money(sum(vat_by_rate.values(), Decimal(0)))
    return Totals(subtotal, vat_total, subtotal + vat_total, vat_by_rate, net_by_rate)


@dataclass(frozen=True)
class Orderable:
    """What ordering needs to know of a product as the client sees it."""

    sku: str
    min_qty: int | None
    max_qty: int | None


def check_quantity(product: Orderable, qty: int, field_name: str) -> None:
    if product.min_qty and qty < product.min_qty:
        raise ValidationFailed(f"{product.sku} is sold in quantities of at least {product.min_qty}.",
                               code="below_min_qty", field=field_name)
    if product.max_qty and qty > product.max_qty:
        raise ValidationFailed(f"{product.sku} can be ordered in quantities of at most {product.max_qty}.",
                               code="above_max_qty", field=field_name)


@dataclass(frozen=True)
class CheckResult:
    credit_ok: bool
    stock_ok: bool
    prices_ok: bool
    credit_available: Decimal
    short_skus: tuple[str, ...] = ()
    changed_price_skus: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.credit_ok and self.stock_ok and self.prices_ok


def review_checks(*, total: Decimal, open_balance: Decimal, credit_limit: Decimal,
                  available: dict[str, int], ordered: dict[str, int],
                  order_prices: dict[str, Decimal], current_prices: dict[str, Decimal | None]) -> CheckResult:
    """The agent's checks: credit (receivables + this order within the limit), stock per line, prices unchanged."""
    credit_available = credit_limit - open_balance
    short = tuple(sku for sku, qty in ordered.items() if available.get(sku, 0) < qty)
    changed = tuple(sku for sku, price in order_prices.items() if current_prices.get(sku) != price)
    return CheckResult(total <= credit_available, not short, not changed, to_money(credit_available), short, changed)
