"""Postal addresses: the county (ISO 3166-2 subdivision) and, in Bucharest, the sector.

CIUS-RO (ANAF e-Factura) wants every Romanian address to carry its county as `RO-XX` (BR-RO-110/111)
and, for Bucharest (`RO-B`), the city named as one of its six sectors, `SECTOR1` .. `SECTOR6`
(BR-RO-100/101). Other countries: the county is optional and, when given, must look like an ISO 3166-2
code of that country (`DE-BY`, `FR-75`...).

`county` is the attribute name used everywhere (API bodies, the stored address, documents).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from chalicelib.domain.errors import ValidationFailed

# ISO 3166-2:RO: the 41 counties and the municipality of Bucharest.
ROMANIAN_COUNTIES: dict[str, str] = {
    "RO-AB": "Alba", "RO-AR": "Arad", "RO-AG": "Argeș", "RO-BC": "Bacău", "RO-BH": "Bihor",
    "RO-BN": "Bistrița-Năsăud", "RO-BT": "Botoșani", "RO-BV": "Brașov", "RO-BR": "Brăila",
    "RO-B": "București", "RO-BZ": "Buzău", "RO-CS": "Caraș-Severin", "RO-CL": "Călărași",
    "RO-CJ": "Cluj", "RO-CT": "Constanța", "RO-CV": "Covasna", "RO-DB": "Dâmbovița", "RO-DJ": "Dolj",
    "RO-GL": "Galați", "RO-GR": "Giurgiu", "RO-GJ": "Gorj", "RO-HR": "Harghita", "RO-HD": "Hunedoara",
    "RO-IL": "Ialomița", "RO-IS": "Iași", "RO-IF": "Ilfov", "RO-MM": "Maramureș", "RO-MH": "Mehedinți",
    "RO-MS": "Mureș", "RO-NT": "Neamț", "RO-OT": "Olt", "RO-PH": "Prahova", "RO-SM": "Satu Mare",
    "RO-SJ": "Sălaj", "RO-SB": "Sibiu", "RO-SV": "Suceava", "RO-TR": "Teleorman", "RO-TM": "Timiș",
    "RO-TL": "Tulcea", "RO-VS": "Vaslui", "RO-VL": "Vâlcea", "RO-VN": "Vrancea",
}
BUCHAREST = "RO-B"
BUCHAREST_SECTORS = tuple(f"SECTOR{n}" for n in range(1, 7))

_ISO_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_SECTOR_WORDS = re.compile(r"^(?:MUN(?:ICIPIUL)?\.?\s*)?(?:BUCURESTI|BUCHAREST)?[\s,.-]*(?:SECTOR(?:UL)?|SECT\.?|S\.?)\s*([1-6])$")


@dataclass(frozen=True)
class CheckedAddress:
    county: str | None
    city: str


def _fold(text: str) -> str:
    """Upper case without diacritics, for matching what people type ("Sectorul 3", "București")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper().strip()


def normalize_county(country: str, county: str | None) -> str | None:
    """The ISO 3166-2 code for what was typed: "b", "RO-b", "Cluj" -> "RO-B", "RO-B", "RO-CJ"; None when empty."""
    if county is None or not str(county).strip():
        return None
    raw = str(county).strip()
    country = (country or "").strip().upper()
    upper = raw.upper().replace(" ", "")
    if country == "RO":
        if upper in ROMANIAN_COUNTIES:
            return upper
        if f"RO-{upper}" in ROMANIAN_COUNTIES:
            return f"RO-{upper}"
        folded = _fold(raw)
        for code, name in ROMANIAN_COUNTIES.items():
            if _fold(name) == folded:
                return code
        if folded in ("BUCHAREST", "BUCURESTI", "MUNICIPIUL BUCURESTI"):
            return BUCHAREST
        return upper
    if country and "-" not in upper:
        upper = f"{country}-{upper}"
    return upper


def sector_of(city: str) -> str | None:
    """`SECTOR3` for "Sector 3", "Sectorul 3", "București, Sector 3", "SECTOR3"; None when no sector is named."""
    match = _SECTOR_WORDS.match(_fold(city or "").replace("Ş", "S"))
    return f"SECTOR{match.group(1)}" if match else None


def check_address(*, country: str, county: str | None, city: str, field: str = "county") -> CheckedAddress:
    """The county as ISO 3166-2 and the city as documents print it, or 422 with the field at fault.

    Romania: the county is required and must be one of the 42 subdivisions; in Bucharest the city must
    name a sector ("Sector 3"), which is stored as `SECTOR3`. Elsewhere: optional, ISO 3166-2 shaped,
    and of the address's own country.
    """
    country = (country or "").strip().upper()
    code = normalize_county(country, county)
    city_field = field.rsplit("county", 1)[0] + "city" if field.endswith("county") else "city"
    if country == "RO":
        if code is None:
            raise ValidationFailed("A Romanian address needs its county (e.g. RO-CJ for Cluj, RO-B for Bucharest).",
                                   code="county_required", field=field)
        if code not in ROMANIAN_COUNTIES:
            raise ValidationFailed(f"{county!s} is not a Romanian county; use its ISO 3166-2 code, e.g. RO-CJ.",
                                   code="invalid_county", field=field)
        if code == BUCHAREST:
            sector = sector_of(city)
            if sector is None:
                raise ValidationFailed("A Bucharest address names its sector as the city: Sector 1 to Sector 6.",
                                       code="sector_required", field=city_field)
            return CheckedAddress(code, sector)
        return CheckedAddress(code, city.strip())
    if code is None:
        return CheckedAddress(None, city.strip())
    if not _ISO_SUBDIVISION.match(code) or not code.startswith(f"{country}-"):
        raise ValidationFailed(f"{county!s} is not an ISO 3166-2 subdivision of {country or 'the country'}.",
                               code="invalid_county", field=field)
    return CheckedAddress(code, city.strip())


def county_name(code: str | None) -> str:
    """The county's name for printing ("RO-CJ" -> "Cluj"); the code itself outside Romania."""
    if not code:
        return ""
    return ROMANIAN_COUNTIES.get(code, code)


def sector_label(city: str) -> str:
    """"SECTOR3" -> "Sector 3" as people read it; other cities unchanged."""
    sector = sector_of(city)
    return f"Sector {sector[-1]}" if sector else city
