"""The staff's order intake page (/agent/intake) in headless Chromium: an agent imports a client's CSV or XLSX order
as a draft order, the same file twice is the same order, a file with nothing to order makes none and says why line by
line, and an agent cannot import for another agent's client, not even with a forged form."""
from __future__ import annotations


import pytest

from chalicelib.store import orders as order_store
from chalicelib.store.users import find_user
from tests.test_web_ordering import HQ, people, shop, sign_in, submit  # noqa: F401 - fixtures and steps
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module
from tests.support.files import xlsx

pytestmark = pytest.mark.browser


def orders_of(client):
    return order_store.for_client(client, limit=10, after=None)[0]


def agent_at_intake(people, http_server, email):
    """The agent signed in, on the intake page through the sidebar."""
    agent = people()
    sign_in(agent, http_server, email, lands="**/agent/orders")
    agent.click(".sidebar >> text=Import an order")
    agent.wait_for_url("**/agent/intake")
    return agent


def import_file(page, client, path, reference=""):
    page.select_option("#intake-client", client)
    page.set_input_files("#intake-file", str(path))
    page.fill("#intake-reference", reference)
    submit(page, "#intake-upload")


def test_a_clients_csv_becomes_a_draft_order_once(people, http_server, world, tmp_path):
    acme = shop(world)
    csv = tmp_path / "acme-week-48.csv"
    csv.write_text("SKU,Qty\nCAB-001,12\nNET-001,2\n")
    agent = agent_at_intake(people, http_server, acme.agent_email)
    import_file(agent, acme.client, csv, reference="PO-48")

    [order] = orders_of(acme.client)
    agent.wait_for_url(f"**/agent/orders/{order.id}")
    assert agent.inner_text("#flash-notice") == (f"Draft order {order.number} made from acme-week-48.csv for Acme SRL; "
                                                 "review it below.")
    assert agent.inner_text("#order-origin") == "Spreadsheet"
    assert [(r.get_attribute("data-sku"), r.query_selector(".qty").inner_text()) for r in agent.query_selector_all("#lines tbody tr")] == [
        ("CAB-001", "12"), ("NET-001", "2")]
    assert (order.origin, order.status, order.client_reference) == ("upload", "draft", "PO-48")

    agent.click(".sidebar >> text=Import an order")
    agent.wait_for_url("**/agent/intake")
    import_file(agent, acme.client, csv)
    assert agent.inner_text("#intake-result").startswith(
        f"This file was already imported as order {order.number} for Acme SRL.")
    agent.click("#intake-order")
    agent.wait_for_url(f"**/agent/orders/{order.id}")
    assert len(orders_of(acme.client)) == 1


def test_an_xlsx_order_is_imported_and_its_bad_lines_are_listed(people, http_server, world, tmp_path):
    acme = shop(world)
    sheet = tmp_path / "acme.xlsx"
    sheet.write_bytes(xlsx([["Item code", "Quantity"], ["CAB-001", 5], ["BOX-010", 3], ["GHOST-1", 1]]))
    agent = agent_at_intake(people, http_server, acme.agent_email)
    import_file(agent, acme.client, sheet)

    [order] = orders_of(acme.client)
    assert [(m.sku, m.qty) for m in order.lines] == [("CAB-001", 5)]
    assert agent.inner_text("#intake-result").startswith(f"Draft order {order.number} made for Acme SRL, without the lines below.")
    rows = agent.query_selector_all("#line-problems tbody tr")
    assert [r.inner_text().split("\t")[:2] for r in rows] == [["3", "BOX-010"], ["4", "GHOST-1"]]
    assert all(r.query_selector(".message").inner_text() for r in rows)
    agent.click("#intake-order")
    agent.wait_for_url(f"**/agent/orders/{order.id}")
    assert agent.inner_text('#lines tr[data-sku="CAB-001"] .qty') == "5"


def test_a_file_with_nothing_to_order_makes_no_order_and_says_why(people, http_server, world, tmp_path):
    acme = shop(world)
    csv = tmp_path / "typo.csv"
    csv.write_text("NET-00l,2\nCAB-001,zero\n")
    agent = agent_at_intake(people, http_server, acme.agent_email)
    import_file(agent, acme.client, csv)

    assert "no order was made" in agent.inner_text("#intake-error")
    problems = {r.get_attribute("data-row"): r.inner_text() for r in agent.query_selector_all("#line-problems tbody tr")}
    assert list(problems) == ["1", "2"]
    assert problems["1"].split("\t")[:2] == ["1", "NET-00l"] and "NET-00l" in problems["1"].split("\t")[2]
    assert agent.input_value("#intake-client") == acme.client  # the choice stays for the next try
    assert orders_of(acme.client) == []


def test_bad_uploads_are_explained_on_the_page(people, http_server, world, tmp_path):
    acme = shop(world)
    agent = agent_at_intake(people, http_server, acme.agent_email)
    agent.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
    agent.select_option("#intake-client", acme.client)
    submit(agent, "#intake-upload")
    assert agent.inner_text("#intake-error") == "Choose the order file (.csv or .xlsx) to upload."

    for name, content, words in (("empty.csv", b"", "The file is empty."),
                                 ("order.pdf", b"%PDF-1.4", "Upload the order as a .csv or .xlsx file"),
                                 ("huge.csv", b"CAB-001,1\n" * 300_000, "The file is larger than 2 MB.")):
        path = tmp_path / name
        path.write_bytes(content)
        agent.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
        import_file(agent, acme.client, path)
        assert words in agent.inner_text("#intake-error"), name
    assert orders_of(acme.client) == []


def test_an_agent_cannot_import_for_another_agents_client(people, http_server, world, tmp_path):
    acme = shop(world)
    other_agent_id, _ = world.staff("agent")
    beta = world.client("Beta SRL", sale_agent_id=other_agent_id, addresses=[HQ])
    world.buyer(beta)
    agent = agent_at_intake(people, http_server, acme.agent_email)
    assert [o.get_attribute("value") for o in agent.query_selector_all("#intake-client option")] == ["", acme.client]

    # a forged form: Beta's id put into the picker by hand
    agent.evaluate(f"""() => {{ const o = document.createElement('option'); o.value = '{beta}'; o.text = 'Beta';
                               document.querySelector('#intake-client').append(o); }}""")
    csv = tmp_path / "beta.csv"
    csv.write_text("CAB-001,4\n")
    import_file(agent, beta, csv)
    assert agent.inner_text("#intake-error") == "Choose one of your clients from the list."
    assert orders_of(beta) == []

    manager = people()  # a manager sees every client
    sign_in(manager, http_server, find_user(world.staff("manager")[0]).email, lands="**/agent/orders")
    manager.goto(f"{http_server}/agent/intake")
    assert {acme.client, beta} <= {o.get_attribute("value") for o in manager.query_selector_all("#intake-client option")}
