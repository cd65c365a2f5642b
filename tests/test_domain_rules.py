"""The supplier's rules without AWS: order arithmetic, stock split, payments, reminders, status tables."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.fulfilment import DeliveryStatus, delivery_transition, fulfilment_status, split_for_stock
from chalicelib.domain.invoicing import InvoiceStatus, due_date, reminders_due, status_after_payment
from chalicelib.domain.orders import Action, OrderLine, OrderStatus, Review, order_totals, review_checks, transition

RATES = [Decimal(r) for r in ("0", "5", "9", "19", "21")]
line_strategy = st.builds(
    lambda sku, qty, cents, rate: OrderLine(f"SKU-{sku}", "x", qty, Decimal(cents) / 100, rate),
    st.integers(0, 50), st.integers(1, 1000), st.integers(1, 1_000_000), st.sampled_from(RATES),
)


@given(st.lists(line_strategy, min_size=1, max_size=40))
def test_order_totals_add_up_per_vat_rate_in_cents(lines):
    totals = order_totals(lines)
    assert totals.subtotal == sum((line.line_total for line in lines), Decimal(0))
    assert totals.total == totals.subtotal + totals.vat_total
    assert totals.vat_total == sum(totals.vat_by_rate.values(), Decimal(0))
    for amount in (totals.subtotal, totals.vat_total, totals.total, *totals.vat_by_rate.values()):
        assert amount == amount.quantize(Decimal("0.01"))
    for rate, vat in totals.vat_by_rate.items():
        net = sum((line.line_total for line in lines if line.vat_rate == rate), Decimal(0))
        assert abs(vat - net * rate / 100) <= Decimal("0.005")


@given(st.lists(line_strategy, min_size=1, max_size=20), st.integers(0, 5000).map(lambda p: Decimal(p) / 100))
def test_a_discount_never_raises_the_total(lines, discount):
    assert order_totals(lines, discount).total <= order_totals(lines).total


@given(st.lists(line_strategy, min_size=1, max_size=20))
def test_invoice_of_a_fully_delivered_order_equals_the_order(lines):
    # The invoice of a shipped delivery note reprices the order's lines at the shipped quantities;
    # all of them shipped gives the order's own totals.
    shipped = [OrderLine(line.sku, line.name, line.qty, line.unit_price, line.vat_rate) for line in lines]
    assert order_totals(shipped) == order_totals(lines)


def test_vat_is_rounded_once_per_rate_not_per_line():
    lines = [OrderLine("A", "a", 1, Decimal("0.05"), Decimal("19"))] * 3
    totals = order_totals(lines)
    assert (totals.subtotal, totals.vat_total) == (Decimal("0.15"), Decimal("0.03"))  # not 3 x 0.01


@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(1, 100), min_size=1),
       st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(-5, 100)))
def test_stock_split_ships_what_is_there_and_back_orders_the_rest(wanted, on_hand):
    split = split_for_stock(wanted, on_hand)
    for sku, qty in wanted.items():
        assert split.ship.get(sku, 0) + split.backorder.get(sku, 0) == qty
        assert 0 <= split.ship.get(sku, 0) <= max(on_hand.get(sku, 0), 0)


def test_payments_move_an_invoice_to_partially_paid_then_paid_and_refuse_overpayment():
    today, due = date(2026, 11, 23), date(2026, 12, 23)
    assert status_after_payment(total=Decimal("100"), paid_before=Decimal(0), amount=Decimal("40"), due=due, today=today) is InvoiceStatus.PARTIALLY_PAID
    assert status_after_payment(total=Decimal("100"), paid_before=Decimal(40), amount=Decimal("60"), due=due, today=today) is InvoiceStatus.PAID
    assert status_after_payment(total=Decimal("100"), paid_before=Decimal(0), amount=Decimal("40"), due=today - timedelta(days=1), today=today) is InvoiceStatus.PARTIALLY_PAID
    with pytest.raises(ValidationFailed) as refused:
        status_after_payment(total=Decimal("100"), paid_before=Decimal(40), amount=Decimal("60.01"), due=due, today=today)
    assert refused.value.code == "overpayment"


def test_due_date_follows_the_clients_payment_term():
    assert due_date(date(2026, 11, 23), 30) == date(2026, 12, 23)
    assert due_date(date(2026, 12, 31), 60) == date(2027, 3, 1)


def test_reminders_are_due_at_each_offset_once():
    due = date(2026, 11, 1)
    assert reminders_due(due=due, today=due, offsets=(1, 7, 14), sent=set()) == []
    assert reminders_due(due=due, today=due + timedelta(days=1), offsets=(1, 7, 14), sent=set()) == [1]
    assert reminders_due(due=due, today=due + timedelta(days=8), offsets=(1, 7, 14), sent={1}) == [7]
    assert reminders_due(due=due, today=due + timedelta(days=8), offsets=(1, 7, 14), sent={1, 7}) == []
    assert reminders_due(due=due, today=due + timedelta(days=20), offsets=(1, 7, 14), sent=set()) == [1, 7, 14]


def test_review_transitions_come_from_the_table():
    assert transition(Action.APPROVE, OrderStatus.DRAFT, Review.PENDING) == (Review.APPROVED, OrderStatus.ACCEPTED)
    assert transition(Action.MODIFY, OrderStatus.SENT, Review.PENDING) == (Review.MODIFIED, OrderStatus.SENT)
    assert transition(Action.DECLINE_CHANGES, OrderStatus.DRAFT, Review.MODIFIED) == (Review.REJECTED, OrderStatus.DECLINED)
    for action, status, review in ((Action.APPROVE, OrderStatus.DECLINED, Review.REJECTED),
                                   (Action.REJECT, OrderStatus.ACCEPTED, Review.APPROVED),
                                   (Action.ACCEPT_CHANGES, OrderStatus.DRAFT, Review.PENDING)):
        with pytest.raises(Conflict):
            transition(action, status, review)


def test_delivery_transitions_and_what_the_client_sees():
    assert delivery_transition("approve", DeliveryStatus.READY_FOR_PACKING) is DeliveryStatus.APPROVED
    with pytest.raises(Conflict):
        delivery_transition("pack", DeliveryStatus.READY_FOR_PACKING)
    assert fulfilment_status([], False) == "not_started"
    assert fulfilment_status([DeliveryStatus.APPROVED], True) == "preparing"
    assert fulfilment_status([DeliveryStatus.SHIPPED, DeliveryStatus.READY_FOR_PACKING], True) == "partially_shipped"
    assert fulfilment_status([DeliveryStatus.SHIPPED], True) == "shipped"
    assert fulfilment_status([DeliveryStatus.DELIVERED], False) == "partially_shipped"
    assert fulfilment_status([DeliveryStatus.DELIVERED], True) == "delivered"


def test_credit_check_counts_open_receivables():
    result = review_checks(total=Decimal("600"), open_balance=Decimal("500"), credit_limit=Decimal("1000"),
                           available={"A": 5}, ordered={"A": 5}, order_prices={"A": Decimal("1")},
                           current_prices={"A": Decimal("1")})
    assert (result.credit_ok, result.stock_ok, result.prices_ok, result.credit_available) == (False, True, True, Decimal("500.00"))
