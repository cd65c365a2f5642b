"""The words people read instead of internal codes."""
from chalicelib.domain.fulfilment import DeliveryStatus
from chalicelib.domain.vocabulary import label
from chalicelib.templating import environment


def test_a_known_code_reads_as_its_word():
    assert label("ready_for_packing", "delivery_status") == "Ready for packing"
    assert label(DeliveryStatus.AWB_FAILED, "delivery_status") == "AWB failed"


def test_the_buyer_reads_your_price_not_the_level_name():
    assert label("group", "price_source") == "Your price" and label("base", "price_source") == "List price"


def test_an_unknown_code_never_shows_snake_case():
    assert label("waiting_for_stock", "delivery_status") == "Waiting for stock"


def test_templates_have_the_label_filter():
    assert environment().from_string('{{ "partially_paid" | label("invoice_status") }}').render() == "Partially paid"
