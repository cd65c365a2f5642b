"""Sales Orders: line arithmetic, order rules, and the review state machine as data."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.fulfilment import DeliveryStatus
from chalicelib.domain.money import to_money


class OrderStatus(str, Enum):
    """Sales Order status, with the supplier's codes (1 Draft ... 5 Expired)."""

    DRAFT = "draft"
    SENT = "sent"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    AWAITING_APPROVAL = "awaiting_approval"  # above the placing contact's spending limit: the company approves first
    CANCELLED = "cancelled"  # accepted, then cancelled by staff before any stock left (services/cancellation.py)

    @property
    def code(self) -> int:
        return STATUS_CODES[self]


STATUS_CODES = {OrderStatus.DRAFT: 1, OrderStatus.SENT: 2, OrderStatus.DECLINED: 3, OrderStatus.ACCEPTED: 4, OrderStatus.EXPIRED: 5,
                OrderStatus.AWAITING_APPROVAL: 6, OrderStatus.CANCELLED: 7}


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


# --- cancelling an accepted order ----------------------------------------------------------------

@dataclass(frozen=True)
class NoteState:
    """What the cancel rule needs to know of one of the order's delivery notes."""

    number: str
    status: str
    stock_applied: bool


def check_cancellable(status: OrderStatus, notes: Iterable[NoteState], issued_invoices: Iterable[str] = ()) -> None:
    """An order may be cancelled while it is accepted, no stock has left for it (each delivery note still waits
    for the warehouse's approval) and no invoice was issued for it; otherwise 409 `order_not_cancellable`."""
    if status is OrderStatus.CANCELLED:
        raise Conflict("This order is already cancelled.", code="order_not_cancellable")
    if status is not OrderStatus.ACCEPTED:
        raise Conflict(f"This order is {status.value.replace('_', ' ')}; only an accepted order can be cancelled.",
                       code="order_not_cancellable")
    for note in notes:
        if note.stock_applied or note.status not in (DeliveryStatus.READY_FOR_PACKING, DeliveryStatus.CANCELLED):
            raise Conflict(f"Stock has already been taken for delivery note {note.number}; the order can no longer be "
                           "cancelled.", code="order_not_cancellable")
    invoiced = next(iter(issued_invoices), None)
    if invoiced:
        raise Conflict(f"Invoice {invoiced} has been issued for this order; credit it with a credit note instead of "
                       "cancelling the order.", code="order_not_cancellable")


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
    vat_category: str = "S"  # EN 16931 category (domain/tax.py decides it)
    vat_exemption_reason: str | None = None

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
    # (category, rate) -> taxable net and VAT: the EN 16931 VAT breakdown (BG-23)
    net_by_category: dict[tuple[str, Decimal], Decimal] = field(default_factory=dict)
    vat_by_category: dict[tuple[str, Decimal], Decimal] = field(default_factory=dict)


def order_totals(lines: Iterable[OrderLine], discount_percent: Decimal = Decimal(0)) -> Totals:
    """Subtotal, VAT and total of an order: VAT is computed per VAT category and rate on that group's net sum,
    then rounded (EN 16931 BR-CO-17: category VAT = taxable amount x rate, rounded to two decimals).

    The one place where order and invoice arithmetic lives.
    """
    net_by_category: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        net = to_money(line.line_total * (Decimal(100) - discount_percent) / Decimal(100))
        key = (line.vat_category, line.vat_rate)
        net_by_category[key] = net_by_category.get(key, Decimal(0)) + net
    vat_by_category = {key: to_money(net * key[1] / Decimal(100)) for key, net in net_by_category.items()}
    net_by_rate: dict[Decimal, Decimal] = {}
    vat_by_rate: dict[Decimal, Decimal] = {}
    for (_category, rate), net in net_by_category.items():
        net_by_rate[rate] = net_by_rate.get(rate, Decimal(0)) + net
        vat_by_rate[rate] = vat_by_rate.get(rate, Decimal(0)) + vat_by_category[(_category, rate)]
    subtotal = to_money(sum(net_by_category.values(), Decimal(0)))
    vat_total = to_money(sum(vat_by_category.values(), Decimal(0)))
    return Totals(subtotal, vat_total, subtotal + vat_total, vat_by_rate, net_by_rate, net_by_category, vat_by_category)


@dataclass(frozen=True)
class Orderable:
    """What ordering needs to know of a product as the client sees it."""

    sku: str
    min_qty: int | None
    max_qty: int | None
    qty_step: int | None = None


def check_quantity(product: Orderable, qty: int, field_name: str) -> None:
    """The product's quantity rules (minimum, maximum, sold in multiples of `qty_step`), for every way an order
    or a cart line is priced: the one place they live."""
    if product.qty_step and product.qty_step > 1 and qty % product.qty_step:
        lower = qty - qty % product.qty_step
        options = f"{lower} or {lower + product.qty_step}" if lower else f"{product.qty_step}"
        raise ValidationFailed(f"{product.sku} is sold in multiples of {product.qty_step}: order {options}.",
                               code="qty_step", field=field_name)
    if product.min_qty and qty < product.min_qty:
        raise ValidationFailed(f"{product.sku} is sold in quantities of at least {product.min_qty}.",
                               code="below_min_qty", field=field_name)
    if product.max_qty and qty > product.max_qty:
        raise ValidationFailed(f"{product.sku} can be ordered in quantities of at most {product.max_qty}.",
                               code="above_max_qty", field=field_name)


def check_quantity_rules(min_qty: int | None, max_qty: int | None, qty_step: int | None) -> None:
    """A product's own quantity settings must allow some order: min <= max, and both multiples of the step."""
    if min_qty is not None and max_qty is not None and min_qty > max_qty:
        raise ValidationFailed("min_qty cannot be above max_qty.", code="invalid_quantity_range", field="max_qty")
    if qty_step and qty_step > 1:
        for name, value in (("min_qty", min_qty), ("max_qty", max_qty)):
            if value is not None and value % qty_step:
                raise ValidationFailed(f"{name} ({value}) must be a multiple of the quantity step ({qty_step}).",
                                       code="invalid_qty_step", field=name)


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
