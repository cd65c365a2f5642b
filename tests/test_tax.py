"""VAT as a European accountant reads it: the category of every sale, its rate on the day, and totals that add up."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import tax
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import to_money
from chalicelib.domain.orders import OrderLine, order_totals
from chalicelib.domain.tax import VatCategory

D = Decimal


def treat(client_country: str, vat_number: str | None, *, supplier: str = "RO", rate: str = "21", **kw):
    return tax.determine(supplier_country=supplier, client_country=client_country, client_vat_number=vat_number,
                         product_rate=D(rate), **kw)


def test_a_romanian_sale_to_a_romanian_business_is_standard_rated_at_the_products_rate():
    assert treat("RO", "RO99887766") == tax.VatTreatment(VatCategory.STANDARD, D("21"))


def test_a_zero_rated_product_at_home_is_z_and_an_exempt_one_is_e_with_its_reason():
    assert treat("RO", "RO1", rate="0").category is VatCategory.ZERO
    exempt = treat("RO", "RO1", exempt_reason="Exempt — Art. 292 Fiscal Code")
    assert (exempt.category, exempt.rate, exempt.exemption_reason) == (VatCategory.EXEMPT, D(0), "Exempt — Art. 292 Fiscal Code")


@pytest.mark.parametrize("country, number", [("DE", "DE811907980"), ("SE", "SE556677889901"), ("FR", "FR40303265045")])
def test_a_business_with_a_vat_number_in_another_member_state_is_reverse_charged(country, number):
    treatment = treat(country, number)
    assert (treatment.category, treatment.rate) == (VatCategory.REVERSE_CHARGE, D(0))
    assert treatment.exemption_reason == "Reverse charge — Art. 196 Directive 2006/112/EC"
    assert treatment.exemption_code == "VATEX-EU-AE"


def test_goods_to_an_eu_business_are_an_intra_community_supply_when_the_supplier_reports_them_so():
    assert treat("DE", "DE811907980", intra_community_goods_as_k=True).category is VatCategory.INTRA_COMMUNITY
    # services stay reverse charged
    assert treat("DE", "DE811907980", intra_community_goods_as_k=True, kind="services").category is VatCategory.REVERSE_CHARGE


def test_an_eu_consumer_without_vat_number_pays_the_suppliers_vat():
    assert treat("DE", None) == tax.VatTreatment(VatCategory.STANDARD, D("21"))


def test_outside_the_eu_goods_are_exports_and_services_are_outside_the_scope():
    assert treat("US", None).category is VatCategory.EXPORT
    assert treat("CH", "CHE-123.456.789", kind="services").category is VatCategory.OUTSIDE_SCOPE
    assert treat("GB", "GB123456789").rate == 0


def test_the_romanian_legal_wording_is_available():
    assert "Taxare inversă" in (treat("DE", "DE1", romanian_wording=True).exemption_reason or "")


@pytest.mark.parametrize("day, rate", [(date(2025, 7, 31), D("19")), (date(2025, 8, 1), D("21")), (date(2026, 11, 27), D("21"))])
def test_romanian_standard_rate_follows_its_validity_dates(day, rate):
    assert tax.rate_on("RO", day) == rate


def test_reduced_rates_and_unknown_ones():
    assert tax.rate_on("RO", date(2025, 1, 1), "reduced") == D("9")
    assert tax.rate_on("RO", date(2026, 1, 1), "reduced") == D("11")
    assert D("5") not in tax.rates_on("RO", date(2026, 1, 1))
    with pytest.raises(ValidationFailed) as caught:
        tax.rate_on("XX", date(2026, 1, 1))
    assert caught.value.code == "unknown_vat_rate"


def test_the_invoice_prints_one_legal_note_per_exempt_category():
    notes = tax.exemption_note([("S", None), ("AE", "Reverse charge — Art. 196 Directive 2006/112/EC"),
                                ("AE", "Reverse charge — Art. 196 Directive 2006/112/EC"), ("Z", None)])
    assert notes == ["Reverse charge — Art. 196 Directive 2006/112/EC"]


# --- totals per category, whatever the countries, rates and discounts -------------------------------------

COUNTRIES = ["RO", "DE", "SE", "FR", "HU", "US", "CH", "GB"]
prices = st.decimals(min_value=D("0.0001"), max_value=D("99999"), places=4)
line_strategy = st.tuples(st.sampled_from(["goods", "services"]), st.integers(1, 5000), prices,
                          st.sampled_from(["21", "11", "0", "19", "9", "5"]), st.booleans())


@settings(max_examples=300, deadline=None)
@given(supplier=st.sampled_from(["RO", "DE"]), client=st.sampled_from(COUNTRIES), with_vat=st.booleans(),
       k=st.booleans(), raw_lines=st.lists(line_strategy, min_size=1, max_size=30),
       discount=st.decimals(min_value=D(0), max_value=D(100), places=2))
def test_totals_per_category_are_exact_and_add_up(supplier, client, with_vat, k, raw_lines, discount):
    lines = []
    for n, (kind, qty, price, rate, exempt) in enumerate(raw_lines):
        t = tax.determine(supplier_country=supplier, client_country=client,
                          client_vat_number=f"{client}12345678" if with_vat else None, product_rate=D(rate), kind=kind,
                          exempt_reason="Exempt — Art. 132" if exempt and n % 3 == 0 else None,
                          intra_community_goods_as_k=k)
        assert t.category in VatCategory
        if t.category is not VatCategory.STANDARD:
            assert t.rate == 0
        if t.category not in (VatCategory.STANDARD, VatCategory.ZERO):
            assert t.exemption_reason and len(t.exemption_reason) <= 100  # BR-RO-L1019
        if client != supplier and tax.is_eu(client) and with_vat:
            assert t.category in (VatCategory.REVERSE_CHARGE, VatCategory.INTRA_COMMUNITY)
        if not tax.is_eu(client):
            assert t.category in (VatCategory.EXPORT, VatCategory.OUTSIDE_SCOPE)
        lines.append(OrderLine(f"S{n}", "x", qty, price, t.rate, vat_category=t.code,
                               vat_exemption_reason=t.exemption_reason))
    totals = order_totals(lines, discount)
    # every category/rate group: VAT = taxable x rate, rounded to cents (BR-CO-17, BR-S-09 ...)
    for (category, rate), net in totals.net_by_category.items():
        assert totals.vat_by_category[(category, rate)] == to_money(net * rate / 100)
        assert net == to_money(net)
        if category != "S":
            assert totals.vat_by_category[(category, rate)] == 0
    # sum of the groups = the invoice's totals (BR-CO-13/14/15)
    assert totals.subtotal == sum(totals.net_by_category.values())
    assert totals.vat_total == sum(totals.vat_by_category.values())
    assert totals.total == totals.subtotal + totals.vat_total
    # the discounted lines add up to the subtotal, and the discount never exceeds the lines
    discounted = sum(to_money(l.line_total * (100 - discount) / 100) for l in lines)
    assert discounted == totals.subtotal <= sum(l.line_total for l in lines)
    assert sum(totals.net_by_rate.values()) == totals.subtotal


# --- exchange rates (BNR feed) ------------------------------------------------------------------------------

BNR_SAMPLE = b"""<?xml version="1.0" encoding="utf-8"?>
<DataSet xmlns="http://www.bnr.ro/xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Header><Publisher>National Bank of Romania</Publisher><PublishingDate>2026-11-27</PublishingDate>
    <MessageType>DR</MessageType></Header>
  <Body><Subject>Reference rates</Subject><OrigCurrency>RON</OrigCurrency>
    <Cube date="2026-11-27"><Rate currency="EUR">4.9763</Rate><Rate currency="USD">4.3050</Rate>
      <Rate currency="HUF" multiplier="100">1.2951</Rate></Cube></Body>
</DataSet>"""


def test_the_bnr_feed_is_read_with_its_multipliers():
    from chalicelib.adapters.exchange_rates import parse_bnr  # noqa: PLC0415

    day, rates = parse_bnr(BNR_SAMPLE)
    assert day == date(2026, 11, 27)
    assert (rates["EUR"], rates["USD"], rates["HUF"], rates["RON"]) == (D("4.9763"), D("4.3050"), D("0.012951"), D(1))


def test_sandbox_rates_convert_and_refuse_unknown_currencies():
    from chalicelib.adapters.exchange_rates import ExchangeRateUnavailable, SandboxRates  # noqa: PLC0415

    rates = SandboxRates(day=date(2026, 11, 27))
    assert rates.rate("EUR", "RON").rate == D("4.9750") and rates.rate("RON", "RON").rate == 1
    assert rates.rate("EUR", "USD").rate == (D("4.9750") / D("4.3120")).quantize(D("0.000001"))
    with pytest.raises(ExchangeRateUnavailable):
        rates.rate("XYZ", "RON")
    from chalicelib.adapters.exchange_rates import parse_bnr  # noqa: PLC0415
    with pytest.raises(ExchangeRateUnavailable):
        parse_bnr(b"<html>maintenance</html>")
