"""Addresses carry the county (ISO 3166-2) and, in Bucharest, the sector: what CIUS-RO asks of every Romanian party."""
import pytest

from chalicelib.domain.addresses import check_address, county_name, normalize_county, sector_label
from chalicelib.domain.errors import ValidationFailed


@pytest.mark.parametrize("typed, code", [("RO-CJ", "RO-CJ"), ("cj", "RO-CJ"), ("Cluj", "RO-CJ"), ("Iasi", "RO-IS"),
                                         ("Iași", "RO-IS"), ("b", "RO-B"), ("București", "RO-B"), ("Bucharest", "RO-B")])
def test_a_romanian_county_is_read_as_its_iso_code(typed, code):
    assert normalize_county("RO", typed) == code


@pytest.mark.parametrize("city, stored", [("Sector 3", "SECTOR3"), ("Sectorul 1", "SECTOR1"), ("SECTOR6", "SECTOR6"),
                                          ("București, Sector 2", "SECTOR2"), ("Bucharest sector 5", "SECTOR5")])
def test_a_bucharest_address_is_stored_with_its_sector(city, stored):
    checked = check_address(country="RO", county="RO-B", city=city)
    assert (checked.county, checked.city) == ("RO-B", stored)
    assert sector_label(checked.city) == f"Sector {stored[-1]}"


def test_outside_bucharest_the_city_is_kept():
    assert check_address(country="RO", county="RO-CJ", city=" Cluj-Napoca ").city == "Cluj-Napoca"
    assert county_name("RO-CJ") == "Cluj"


@pytest.mark.parametrize("address, code, field", [
    (dict(country="RO", county=None, city="Cluj-Napoca"), "county_required", "addresses[0].county"),
    (dict(country="RO", county="RO-XX", city="Cluj-Napoca"), "invalid_county", "addresses[0].county"),
    (dict(country="RO", county="RO-B", city="Bucharest"), "sector_required", "addresses[0].city"),
    (dict(country="RO", county="RO-B", city="Sector 7"), "sector_required", "addresses[0].city"),
    (dict(country="DE", county="FR-75", city="Berlin"), "invalid_county", "addresses[0].county"),
    (dict(country="DE", county="Bavaria!", city="Munich"), "invalid_county", "addresses[0].county"),
])
def test_an_address_without_what_anaf_needs_is_refused_on_its_field(address, code, field):
    with pytest.raises(ValidationFailed) as caught:
        check_address(**address, field="addresses[0].county")
    assert (caught.value.code, caught.value.field) == (code, field)


def test_outside_romania_the_county_is_optional_and_iso_shaped():
    assert check_address(country="DE", county=None, city="Berlin").county is None
    assert check_address(country="DE", county="by", city="München").county == "DE-BY"
