"""VAT: which category a sale falls in, at what rate, and the legal wording that goes with it. One place.

Inputs are what an accountant asks: where the supplier is, where the client is, whether the client is a
VAT-registered business (a VAT number), whether the product is goods or services, whether it is exempt.
Output is an EN 16931 VAT category (UNCL 5305 code) with its rate, the exemption reason (text and VATEX
code, as EN 16931 BT-120/BT-121 want them) and the note printed on the invoice.

  same country, product exempt                  -> E  (exempt, with the product's reason)
  same country, rate 0                          -> Z
  same country                                  -> S  at the product's rate
  other EU country, client has a VAT number     -> AE (reverse charge, 0 %); goods -> K (intra-community
                                                   supply, 0 %) when the supplier reports them that way
  other EU country, no VAT number (consumer)    -> S  at the supplier's rate (distance-sale OSS thresholds
                                                   are out of scope: B2B platform)
  outside the EU, goods                         -> G  (export, 0 %)
  outside the EU, services                      -> O  (not subject to VAT here: place of supply abroad)

Rates per country and category are data with validity dates (`RATES`), looked up for the supply date.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from chalicelib.domain.errors import ValidationFailed


class VatCategory(str, Enum):
    """UNCL 5305 codes used by EN 16931 (BT-118 / BT-151)."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"


ZERO_RATED = {VatCategory.ZERO, VatCategory.EXEMPT, VatCategory.REVERSE_CHARGE, VatCategory.INTRA_COMMUNITY,
              VatCategory.EXPORT, VatCategory.OUTSIDE_SCOPE}

EU_MEMBER_STATES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# VAT numbers carry the country prefix; Greece writes EL, Northern Ireland XI (goods).
VAT_PREFIX = {"GR": "EL"}


class ProductKind(str, Enum):
    GOODS = "goods"
    SERVICES = "services"


@dataclass(frozen=True)
class VatRate:
    country: str
    category: VatCategory
    name: str  # standard, reduced, super_reduced, zero
    percent: Decimal
    valid_from: date
    valid_to: date | None = None

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _r(country: str, name: str, percent: str, valid_from: str, valid_to: str | None = None) -> VatRate:
    return VatRate(country, VatCategory.STANDARD, name, Decimal(percent), date.fromisoformat(valid_from),
                   date.fromisoformat(valid_to) if valid_to else None)


# Standard and reduced rates (Directive 2006/112/EC, national laws). Romania: Law 141/2025 raised the
# standard rate from 19 % to 21 % and merged the 5 %/9 % reduced rates into 11 % from 1 August 2025.
RATES: tuple[VatRate, ...] = (
    _r("RO", "standard", "19", "2017-01-01", "2025-07-31"),
    _r("RO", "standard", "21", "2025-08-01"),
    _r("RO", "reduced", "9", "2016-01-01", "2025-07-31"),
    _r("RO", "super_reduced", "5", "2016-01-01", "2025-07-31"),
    _r("RO", "reduced", "11", "2025-08-01"),
    _r("DE", "standard", "19", "2007-01-01", "2020-06-30"),
    _r("DE", "standard", "16", "2020-07-01", "2020-12-31"),
    _r("DE", "standard", "19", "2021-01-01"),
    _r("DE", "reduced", "7", "2021-01-01"),
    _r("SE", "standard", "25", "1990-07-01"),
    _r("SE", "reduced", "12", "1996-01-01"),
    _r("SE", "reduced", "6", "1996-01-01"),
    _r("FR", "standard", "20", "2014-01-01"),
    _r("FR", "reduced", "10", "2014-01-01"),
    _r("FR", "reduced", "5.5", "2014-01-01"),
    _r("IT", "standard", "22", "2013-10-01"),
    _r("IT", "reduced", "10", "2013-10-01"),
    _r("NL", "standard", "21", "2012-10-01"),
    _r("NL", "reduced", "9", "2019-01-01"),
    _r("AT", "standard", "20", "2016-01-01"),
    _r("AT", "reduced", "10", "2016-01-01"),
    _r("HU", "standard", "27", "2012-01-01"),
    _r("HU", "reduced", "5", "2012-01-01"),
    _r("BG", "standard", "20", "2007-01-01"),
    _r("BG", "reduced", "9", "2011-04-01"),
    _r("PL", "standard", "23", "2011-01-01"),
    _r("PL", "reduced", "8", "2011-01-01"),
    _r("ES", "standard", "21", "2012-09-01"),
    _r("ES", "reduced", "10", "2012-09-01"),
    _r("BE", "standard", "21", "1996-01-01"),
    _r("BE", "reduced", "6", "1996-01-01"),
)


@dataclass(frozen=True)
class Wording:
    reason: str  # BT-120, printed on the invoice
    vatex: str  # BT-121, CEF VATEX code
    reason_ro: str  # the Romanian legal reference, for Romanian suppliers


LEGAL_WORDING: dict[VatCategory, Wording] = {
    VatCategory.REVERSE_CHARGE: Wording(
        "Reverse charge — Art. 196 Directive 2006/112/EC", "VATEX-EU-AE",
        "Taxare inversă — art. 196 Directiva 2006/112/CE"),
    VatCategory.INTRA_COMMUNITY: Wording(
        "Intra-community supply of goods, exempt — Art. 138 Directive 2006/112/EC", "VATEX-EU-IC",
        "Livrare intracomunitară scutită — art. 294 alin. (2) lit. a) Cod fiscal"),
    VatCategory.EXPORT: Wording(
        "Export outside the EU, exempt — Art. 146 Directive 2006/112/EC", "VATEX-EU-G",
        "Export scutit — art. 294 alin. (1) lit. a) Cod fiscal"),
    VatCategory.OUTSIDE_SCOPE: Wording(
        "Not subject to VAT — place of supply outside the EU (Art. 44 Directive 2006/112/EC)", "VATEX-EU-O",
        "Neimpozabil în România — art. 278 alin. (2) Cod fiscal"),
}
DEFAULT_EXEMPTION = Wording("Exempt from VAT — Art. 132 Directive 2006/112/EC", "VATEX-EU-132",
                            "Scutit de TVA — art. 292 Cod fiscal")


@dataclass(frozen=True)
class VatTreatment:
    """The category, rate and wording of one line of a sale."""

    category: VatCategory
    rate: Decimal
    exemption_reason: str | None = None
    exemption_code: str | None = None

    @property
    def code(self) -> str:
        return self.category.value


def is_eu(country: str) -> bool:
    return (country or "").upper() in EU_MEMBER_STATES


def rate_on(country: str, day: date, name: str = "standard") -> Decimal:
    """The country's `name` rate on `day`; 422 when none is known for that date."""
    for rate in RATES:
        if rate.country == country.upper() and rate.name == name and rate.applies_on(day):
            return rate.percent
    raise ValidationFailed(f"No {name} VAT rate is known for {country} on {day.isoformat()}.", code="unknown_vat_rate")


def rates_on(country: str, day: date) -> set[Decimal]:
    """Every rate in force in `country` on `day` (and 0)."""
    return {r.percent for r in RATES if r.country == country.upper() and r.applies_on(day)} | {Decimal(0)}


def has_vat_number(vat_number: str | None, country: str) -> bool:
    """A VAT number of a business registered in `country` (prefix and at least a few characters)."""
    if not vat_number:
        return False
    number = vat_number.replace(" ", "").upper()
    prefix = VAT_PREFIX.get(country.upper(), country.upper())
    return number.startswith(prefix) and len(number) >= len(prefix) + 2


def determine(*, supplier_country: str, client_country: str, client_vat_number: str | None,
              product_rate: Decimal, kind: ProductKind | str = ProductKind.GOODS,
              exempt_reason: str | None = None, intra_community_goods_as_k: bool = False,
              romanian_wording: bool = False) -> VatTreatment:
    """The VAT treatment of one line (see the module docstring for the table)."""
    supplier_country = (supplier_country or "").upper()
    client_country = (client_country or supplier_country).upper()
    kind = ProductKind(kind)
    use_ro = bool(romanian_wording)

    def zero(category: VatCategory) -> VatTreatment:
        wording = LEGAL_WORDING[category]
        return VatTreatment(category, Decimal(0), wording.reason_ro if use_ro else wording.reason, wording.vatex)

    if client_country == supplier_country or (is_eu(client_country) and is_eu(supplier_country)
                                              and not client_vat_number):
        if exempt_reason:
            return VatTreatment(VatCategory.EXEMPT, Decimal(0), exempt_reason, None)
        if not product_rate:
            return VatTreatment(VatCategory.ZERO, Decimal(0))
        return VatTreatment(VatCategory.STANDARD, product_rate)
    if is_eu(client_country) and is_eu(supplier_country):
        if kind is ProductKind.GOODS and intra_community_goods_as_k:
            return zero(VatCategory.INTRA_COMMUNITY)
        return zero(VatCategory.REVERSE_CHARGE)
    if kind is ProductKind.GOODS:
        return zero(VatCategory.EXPORT)
    return zero(VatCategory.OUTSIDE_SCOPE)


def exemption_note(categories: Iterable[tuple[str, str | None]]) -> list[str]:
    """The legal notes an invoice prints, one per category that is not plainly taxed, in a stable order."""
    seen: dict[str, str] = {}
    for code, reason in categories:
        if code not in (VatCategory.STANDARD.value, VatCategory.ZERO.value) and reason and code not in seen:
            seen[code] = reason
    return [seen[c] for c in sorted(seen)]
