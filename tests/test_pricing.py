"""The supplier's price hierarchy (domain/pricing.py), without AWS."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.pricing import PriceListTerms, PriceSource, ProductPrice, build_chain, resolve_price

TODAY = date(2026, 11, 23)
PRODUCT = ProductPrice("CAB-001", Decimal("10.00"), "EUR")

CLIENT = PriceListTerms("client-list", "EUR")
GROUP = PriceListTerms("group-list", "EUR")
PROMO = PriceListTerms("promo", "EUR", is_promotion=True, valid_from=TODAY - timedelta(days=1), valid_to=TODAY + timedelta(days=1))
DEFAULT = PriceListTerms("default-list", "EUR")


def chain(client=CLIENT, group=GROUP, promotions=(PROMO,), default=DEFAULT, currency="EUR", today=TODAY):
    return build_chain(client_currency=currency, client_list=client, group_list=group, promotions=promotions,
                       default_list=default, today=today)


def price(prices, **kw):
    return resolve_price(PRODUCT, chain(**kw), {(list_id, "CAB-001"): Decimal(p) for list_id, p in prices.items()})


def test_client_list_wins_over_every_other_level():
    resolved = price({"client-list": "7", "group-list": "8", "promo": "5", "default-list": "9"})
    assert (resolved.price, resolved.source, resolved.price_list_id) == (Decimal("7"), PriceSource.CLIENT, "client-list")


def test_group_price_applies_when_client_list_lacks_the_product():
    assert price({"group-list": "8", "promo": "5", "default-list": "9"}).source is PriceSource.GROUP


def test_group_price_applies_when_client_has_no_list():
    resolved = price({"group-list": "8"}, client=None)
    assert (resolved.price, resolved.source) == (Decimal("8"), PriceSource.GROUP)


def test_active_promotion_applies_below_group_and_above_default():
    assert price({"promo": "5", "default-list": "9"}).source is PriceSource.PROMOTION


def test_default_list_applies_when_nothing_higher_prices_the_product():
    assert price({"default-list": "9"}).source is PriceSource.DEFAULT


def test_base_price_when_no_list_has_the_product():
    resolved = price({})
    assert (resolved.price, resolved.source, resolved.price_list_id) == (Decimal("10.00"), PriceSource.BASE, None)


def test_expired_promotion_is_ignored():
    expired = PriceListTerms("promo", "EUR", True, TODAY - timedelta(days=10), TODAY - timedelta(days=1))
    assert price({"promo": "5", "default-list": "9"}, promotions=(expired,)).source is PriceSource.DEFAULT


def test_future_promotion_is_ignored_until_it_starts():
    future = PriceListTerms("promo", "EUR", True, TODAY + timedelta(days=1), TODAY + timedelta(days=9))
    assert price({"promo": "5"}, promotions=(future,)).source is PriceSource.BASE
    assert price({"promo": "5"}, promotions=(future,), today=TODAY + timedelta(days=1)).source is PriceSource.PROMOTION


def test_promotion_window_includes_its_first_and_last_day():
    window = PriceListTerms("promo", "EUR", True, TODAY, TODAY)
    assert price({"promo": "5"}, promotions=(window,)).source is PriceSource.PROMOTION


def test_a_list_not_flagged_as_promotion_never_acts_as_one():
    not_promo = PriceListTerms("promo", "EUR", False, TODAY, TODAY)
    assert price({"promo": "5"}, promotions=(not_promo,)).source is PriceSource.BASE


def test_of_two_active_promotions_the_lower_price_wins():
    other = PriceListTerms("promo-b", "EUR", True, TODAY, TODAY)
    resolved = price({"promo": "6", "promo-b": "4"}, promotions=(PROMO, other))
    assert (resolved.price, resolved.price_list_id) == (Decimal("4"), "promo-b")


def test_equal_promotion_prices_tie_break_on_list_id_whatever_the_order():
    other = PriceListTerms("a-promo", "EUR", True, TODAY, TODAY)
    for order in ((PROMO, other), (other, PROMO)):
        assert price({"promo": "5", "a-promo": "5"}, promotions=order).price_list_id == "a-promo"


def test_list_in_another_currency_does_not_apply():
    usd_client_list = PriceListTerms("client-list", "USD")
    assert price({"client-list": "1", "group-list": "8"}, client=usd_client_list).source is PriceSource.GROUP


def test_product_priced_in_another_currency_only_by_base_is_not_orderable():
    assert price({}, currency="RON", client=None, group=None, promotions=(), default=None) is None


def test_client_in_another_currency_gets_list_price_in_its_currency():
    ron_list = PriceListTerms("client-list", "RON")
    resolved = price({"client-list": "49.90"}, currency="RON", client=ron_list, group=None, promotions=(), default=None)
    assert (resolved.price, resolved.currency) == (Decimal("49.90"), "RON")


def test_client_list_outside_its_validity_falls_through():
    ended = PriceListTerms("client-list", "EUR", valid_to=TODAY - timedelta(days=1))
    assert price({"client-list": "7", "group-list": "8"}, client=ended).source is PriceSource.GROUP


LEVELS = ["client-list", "group-list", "promo", "default-list"]


@given(st.dictionaries(st.sampled_from(LEVELS), st.decimals(min_value=0, max_value=10_000, places=2)))
def test_first_level_holding_the_product_always_wins(prices):
    resolved = resolve_price(PRODUCT, chain(), {(k, "CAB-001"): v for k, v in prices.items()})
    holders = [lvl for lvl in LEVELS if lvl in prices]
    if holders:
        assert (resolved.price_list_id, resolved.price) == (holders[0], prices[holders[0]])
    else:
        assert resolved.source is PriceSource.BASE
