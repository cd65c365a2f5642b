"""Build docs/openapi.json (OpenAPI 3.1) from the Chalice route table and the ROUTES table below.

    cd /work/main && PYTHONPATH=. .venv/bin/python docs/openapi_build.py

From `app.routes`: paths, methods, path parameters, operationId, Bearer security (routes with
`token_authorizer`) and request media types. From ROUTES: summaries, query parameters, answers,
and the name of the JSON Schema in chalicelib/api/schemas.py that is the request body (published
as-is, never copied). tests/test_openapi.py fails when a route is missing here, when a body schema
is not the one the view validates with, or when docs/openapi.json is not what this script writes.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "openapi.json"
sys.path.insert(0, str(ROOT))

from app import app  # noqa: E402
from chalicelib.api import schemas  # noqa: E402
from chalicelib.api.http import DEFAULT_PAGE, MAX_PAGE  # noqa: E402
from chalicelib.api.security import token_authorizer  # noqa: E402
from chalicelib.web.kit import CSRF, REFRESH, SESSION  # noqa: E402
from chalicelib.domain.access import PORTAL_PERMISSIONS, ROLE_CAPABILITIES, STAFF_ROLES, Capability  # noqa: E402
from chalicelib.domain.fulfilment import CLIENT_VIEW, DeliveryStatus  # noqa: E402
from chalicelib.domain.invoicing import InvoiceStatus  # noqa: E402
from chalicelib.domain.orders import STATUS_CODES, OrderStatus, Review  # noqa: E402
from chalicelib.domain.pricing import PriceSource  # noqa: E402
from chalicelib.domain.proposals import PROPOSAL_CODES, ProposalStatus  # noqa: E402
from chalicelib.services.invoicing import PRESIGNED_SECONDS  # noqa: E402

LOCAL_ONLY = "/local/"  # infra/local registers these on the local stack; never deployed
JSON, HTML = "application/json", "text/html"
WEB_TAG = "web pages"


def ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def body_component(schema_name: str) -> str:
    """schemas.PRICE_LIST is published as components.schemas.PriceListBody."""
    return "".join(word.capitalize() for word in schema_name.split("_")) + "Body"


# --- response shapes (chalicelib/api/views.py and the routes) ------------------------------

def shape(optional: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """An answer object: every property is always present (null when empty) unless optional."""
    return {"type": "object", "required": [p for p in properties if p not in optional], "properties": properties}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
STR_OR_NULL, INT_OR_NULL = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
MONEY, PERCENT = ref("Money"), ref("Percent")
DATE, TIMESTAMP = {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}
TIMESTAMP_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
ORDER_STATUSES = [s.value for s in OrderStatus]
FULFILMENT_STATUSES = ["not_started", "preparing", "partially_shipped", "shipped", "delivered"]  # domain.fulfilment_status

DELIVERY_NOTE_FIELDS: dict[str, Any] = dict(
    id=STR, number=STR, order_id=STR, order_number=STR,
    lines={"type": "array", "items": shape(sku=STR, name=STR, unit=STR, qty=INT)},
    parcels={"type": "array", "items": shape(weight_kg={"type": "string", "description": "decimal string, kg"},
                                              length_cm=INT, width_cm=INT, height_cm=INT)},
    awb={"type": ["string", "null"], "description": "the courier's waybill number, once booked"},
    courier=STR_OR_NULL, tracking_url=STR_OR_NULL,
    backorder_of={"type": ["string", "null"], "description": "the note whose missing stock this one delivers"},
    backorder_id={"type": ["string", "null"], "description": "the note that delivers what this one lacked"},
    created_at=TIMESTAMP, shipped_at=TIMESTAMP_OR_NULL, delivered_at=TIMESTAMP_OR_NULL,
)
INVOICE_FIELDS: dict[str, Any] = dict(
    id=STR, number=STR, issue_date=DATE, due_date=DATE, order_id=STR, order_number=STR, currency=STR,
    lines={"type": "array", "items": ref("OrderLine")},
    vat_breakdown={"type": "array", "items": ref("VatBreakdown")},
    discount_percent=PERCENT, subtotal=MONEY, vat_total=MONEY, total=MONEY, amount_paid=MONEY, amount_due=MONEY,
    has_pdf={"type": "boolean", "description": "the PDF is rendered (GET .../pdf renders it when not)"},
    has_e_invoice={"type": "boolean", "description": "a UBL e-invoice exists (clients with a VAT number)"},
    amount_credited={**MONEY, "description": "what credit notes took off this invoice"},
    tax_currency={"type": ["string", "null"], "description": "the supplier's accounting currency when the invoice is in another"},
    exchange_rate={"type": ["string", "null"], "description": "tax_currency per 1 currency, fixed at issue (BNR)"},
    vat_total_tax_currency={"type": ["string", "null"], "description": "the VAT total in tax_currency"},
    delivery_date={**DATE_OR_NULL, "description": "date of supply; null when issued before delivery"},
    einvoice_status={"enum": ["not_applicable", "pending", "submitted", "accepted", "rejected"],
                     "description": "ANAF e-Factura (Romanian suppliers)"},
    einvoice_messages={"type": "array", "items": STR, "description": "what ANAF answered (its refusals word for word)"},
)
VAT_CATEGORY = {"enum": ["S", "Z", "E", "AE", "K", "G", "O"],
                "description": "EN 16931 VAT category: S standard, Z zero, E exempt, AE reverse charge, K intra-community "
                               "supply, G export outside the EU, O not subject to VAT"}
CREDIT_NOTE_FIELDS: dict[str, Any] = dict(
    id=STR, number={"type": "string", "description": "own gapless series, CN-<year>-000001"}, invoice_id=STR,
    invoice_number=STR, order_id=STR, order_number=STR, issue_date=DATE, reason=STR, currency=STR,
    lines={"type": "array", "items": ref("OrderLine")}, vat_breakdown={"type": "array", "items": ref("VatBreakdown")},
    subtotal=MONEY, vat_total=MONEY, total=MONEY,
    full={"type": "boolean", "description": "it credits everything that was left on the invoice"},
    tax_currency={"type": ["string", "null"]}, exchange_rate={"type": ["string", "null"]},
    vat_total_tax_currency={"type": ["string", "null"]}, has_pdf=BOOL, has_e_invoice=BOOL,
)

RESPONSE_SCHEMAS: dict[str, Any] = {
    "Error": shape(error=shape(
        ("field",),
        code={"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "snake_case, e.g. `below_min_qty`"},
        message={"type": "string", "description": "a sentence for people"},
        field={"type": "string", "description": "the one field at fault, e.g. `lines[0].qty`"},
    )),
    "Page": {**shape(
        items={"type": "array"},
        next_cursor={"type": ["string", "null"], "description": "pass as `?cursor=` for the next page; null on the last"},
    ), "description": "Every list: `{items, next_cursor}`."},
    "Money": schemas.MONEY,
    "Percent": {"type": "string", "description": "percentage as a decimal string, e.g. \"19\" or \"5.5\""},
    "SignedIn": shape(
        ("refresh_token",),
        token={"type": "string", "description": "Cognito ID token: send as `Authorization: Bearer <token>`"},
        refresh_token={"type": "string", "description": "for POST /auth/refresh"},
        expires_in={"type": "integer", "description": "seconds"},
        role={"enum": ["buyer", *STAFF_ROLES]},
    ),
    "NewPasswordRequired": shape(challenge={"const": "NEW_PASSWORD_REQUIRED"}, session=STR),
    "Refreshed": shape(token=STR, expires_in=INT),
    "Message": shape(message=STR),
    "DeadLetter": shape(
        id=STR, source={"enum": ["table_stream", "domain_events"]}, source_label=STR, failed_at=STR_OR_NULL,
        attempts=INT_OR_NULL, reason=STR, summary=STR,
        body={"type": "object", "description": "the message as the queue holds it: AWS's on-failure record of a "
                                               "stream batch, or the EventBridge event"}),
    "Staff": shape(id=STR, email=STR, role={"enum": list(STAFF_ROLES)}),
    "Product": shape(
        sku=STR, name=STR, category=STR, unit=STR, base_price=MONEY, currency=STR, vat_rate=PERCENT,
        min_qty=INT_OR_NULL, max_qty=INT_OR_NULL, qty_step=INT_OR_NULL, min_stock=INT_OR_NULL, portal_visible=BOOL,
        qty_on_hand=INT, qty_reserved=INT, qty_available=INT,
        description={**STR_OR_NULL, "description": "shown on the buyer's product page"},
        datasheet_url={**STR_OR_NULL, "description": "an https link to the maker's datasheet"},
    ),
    "Tier": shape(min_qty={"type": "integer", "description": "from this many units on"}, price=MONEY),
    "StockMovement": shape(at={"type": "string", "format": "date-time"}, delta={"type": "integer", "description": "+ in, - out"},
                           reason={"enum": schemas.STOCK_REASONS}, note=STR_OR_NULL, actor=shape(id=STR, name=STR)),
    "RowError": shape(row={"type": "integer", "description": "the file's line (the header is row 1)"}, field=STR_OR_NULL,
                      code=STR, message=STR),
    "ImportResult": shape(("unchanged",), created=INT, updated=INT, unchanged=INT, dry_run=BOOL,
                          errors={"type": "array", "items": ref("RowError"),
                                  "description": "empty when the file was (or would be) imported; any error: nothing written"}),
    "PriceItem": shape(price_list_id=STR, sku=STR, price=MONEY, tiers={"type": "array", "items": ref("Tier")}),
    "PriceTrace": shape(
        sku=STR, price={"type": ["string", "null"], "description": "null: nothing prices it in the client's currency"}, currency=STR,
        price_source={"enum": [*[s.value for s in PriceSource], None]}, price_list_id=STR_OR_NULL,
        tiers={"type": "array", "items": ref("Tier")},
        trace={"type": "array", "items": shape(
            level={"enum": [s.value for s in PriceSource]}, price_list_id=STR_OR_NULL, name=STR_OR_NULL,
            price={"type": ["string", "null"]}, applies=BOOL, reason=STR)}),
    "CatalogueItem": shape(
        ("qty_available", "tiers"),
        sku=STR, name=STR, category=STR, unit=STR, price=MONEY, currency=STR, vat_rate=PERCENT,
        price_source={"enum": [s.value for s in PriceSource]}, min_qty=INT_OR_NULL, max_qty=INT_OR_NULL,
        qty_step={"type": "integer", "description": "order in multiples of this (1: any quantity)"},
        tiers={"type": "array", "items": ref("Tier"), "description": "volume prices of the winning list, when it has them"},
        qty_available={"type": "integer", "description": "only for contacts with the `view_stock` permission"},
    ),
    "ClientGroup": shape(id=STR, name=STR),
    "Address": shape(("county",), id=STR, label=STR, line1=STR, city=STR, postcode=STR, country=STR,
                     county={"type": ["string", "null"], "description": "ISO 3166-2 subdivision, e.g. RO-B"}),
    "Client": shape(
        ("contacts",),
        id=STR, name=STR, vat_number=STR_OR_NULL, group_id=STR_OR_NULL, payment_term_days=INT,
        credit_limit=MONEY, currency=STR, sale_agent_id=STR_OR_NULL, auto_approve=BOOL,
        price_list_id=STR_OR_NULL, balance={**MONEY, "description": "open receivables"},
        uninvoiced_accepted={**MONEY, "description": "accepted orders not yet invoiced"},
        credit_exposure={**MONEY, "description": "balance + uninvoiced_accepted"},
        credit_available={**MONEY, "description": "credit_limit - credit_exposure (negative: over the limit)"},
        addresses={"type": "array", "items": ref("Address")},
        contacts={"type": "array", "items": ref("Contact"), "description": "GET /admin/clients/{client_id} only"},
    ),
    "Permissions": shape(**{p: BOOL for p in PORTAL_PERMISSIONS}),
    "Contact": shape(id=STR, email=STR, first_name=STR, last_name=STR, client_id=STR, permissions=ref("Permissions")),
    "PriceList": shape(
        id=STR, name=STR, currency=STR, client_id=STR_OR_NULL, group_id=STR_OR_NULL,
        is_default=BOOL, is_promotion=BOOL, valid_from=DATE_OR_NULL, valid_to=DATE_OR_NULL,
    ),
    "PriceListWithItems": {"allOf": [ref("PriceList"), shape(items={"type": "array", "items": shape(
        sku=STR, price=MONEY, tiers={"type": "array", "items": ref("Tier")})})]},
    "Price": shape(price_list_id=STR, sku=STR, price=MONEY),
    "Me": shape(
        contact=shape(id=STR, email=STR, name=STR), client=shape(id=STR, name=STR), permissions=ref("Permissions"),
    ),
    "SignedMoney": {"type": "string", "pattern": r"^-?\d{1,12}(\.\d{1,4})?$",
                    "description": "decimal string that may be negative, e.g. \"-120.00\""},
    "VatBreakdown": shape(rate=PERCENT, taxable=MONEY, vat=MONEY, vat_category=VAT_CATEGORY,
                          vat_exemption_reason={"type": ["string", "null"], "description": "the legal wording (not for S and Z)"}),
    "CreditNote": shape(**CREDIT_NOTE_FIELDS),
    "StaffCreditNote": shape(**CREDIT_NOTE_FIELDS, client_id=STR, client_name=STR, created_by=STR),
    "OrderLine": shape(
        ("vat_category", "vat_exemption_reason"),
        sku=STR, name=STR, unit=STR, qty=INT, unit_price=MONEY, vat_rate=PERCENT, line_total=MONEY,
        vat_category=VAT_CATEGORY, vat_exemption_reason={"type": ["string", "null"]},
        price_source={"enum": [*(s.value for s in PriceSource), "agent"],
                      "description": "where the unit price came from; `agent`: set by the reviewer in a modification"},
    ),
    "DeliveryAddress": shape(
        ("id",), id={"type": ["string", "null"], "description": "the saved address it was copied from, if any"},
        label=STR, line1=STR, city=STR, postcode=STR, country=STR,
        county={"type": ["string", "null"], "description": "ISO 3166-2 subdivision, e.g. RO-B"},
    ) | {"required": ["label", "line1", "city", "postcode", "country"]},
    "Proposal": {**shape(
        lines={"type": "array", "items": ref("OrderLine")}, discount_percent=PERCENT,
        subtotal=MONEY, vat_total=MONEY, total=MONEY, message=STR,
    ), "description": "The changes a reviewer proposed; the client accepts or declines them."},
    "Quote": shape(
        id=STR, number={"type": "string", "description": "gapless per year, e.g. `PR-2026-000007`"},
        status={"enum": [p.value for p in ProposalStatus]},
        status_code={"enum": sorted(PROPOSAL_CODES.values()),
                     "description": ", ".join(f"{code} {status.value}" for status, code in PROPOSAL_CODES.items())},
        lines={"type": "array", "items": ref("OrderLine")}, subtotal=MONEY, vat_total=MONEY, total=MONEY, currency=STR,
        valid_until=DATE, message=STR_OR_NULL,
        order_id={"type": ["string", "null"], "description": "the Sales Order made when the client accepted"},
        revised_by={"type": ["string", "null"], "description": "the newer version, when revised"},
        revision_of={"type": ["string", "null"], "description": "the version this one replaces"},
        decline_reason=STR_OR_NULL, created_at=TIMESTAMP,
    ),
    "StaffQuote": {"allOf": [ref("Quote"), shape(client_id=STR, client_name=STR, created_by=STR, version=INT)]},
    "AcceptedQuote": {"allOf": [ref("Quote"), shape(order=ref("Order"))]},
    "OrderHistoryEntry": shape(
        at=TIMESTAMP, actor={"type": "string", "description": "an email, or `system`; a buyer sees staff as "
                                                              "`Your sales agent`, never a staff email"},
        event={"type": "string", "description": "`placed`, `approve`, `auto_approve`, `modify`, `reject`, "
                                                "`accept_changes`, `decline_changes`, `expire`"},
        status={"enum": ORDER_STATUSES, "description": "the order's status after the event"}, note=STR_OR_NULL,
    ),
    "TimelineEntry": {**shape(
        at={"type": "string", "format": "date-time", "description": "in the supplier's time zone (SUPPLIER_TIMEZONE), with its offset"},
        kind={"type": "string", "description": "`placed`, `checks`, `auto_approve`, `approve`, `modify`, `reject`, "
                                               "`accept_changes`, `decline_changes`, `expire`, `escalated`, "
                                               "`delivery_note_created`, `delivery_note_approved`, `packing_overdue`, `packed`, "
                                               "`shipped`, `awb_failed`, `delivered`, `invoiced`, `paid`, `reminder`"},
        label={"type": "string", "description": "what happened, in words"},
        detail={"type": ["string", "null"], "description": "its figures: the checks' credit and stock, lines, AWB, amounts"},
        actor={"type": ["string", "null"], "description": "staff see emails or `Automatic`/`Warehouse`/`Finance`; a buyer "
                                                          "sees `You`, `Your company`, `Your sales agent` or `Automatic`"},
        audience={"enum": ["all", "staff"], "description": "`staff` entries (checks, escalations, reminders to the "
                                                            "warehouse, failed AWBs) are never shown to a buyer"},
    ), "description": "One step of an order's story, from its workflow executions' histories and its own records."},
    "Order": shape(
        id=STR, number={"type": "string", "description": "gapless per year, e.g. `SO-2026-000042`"},
        status={"enum": ORDER_STATUSES},
        status_code={"enum": sorted(STATUS_CODES.values()),
                     "description": ", ".join(f"{code} {status.value}" for status, code in STATUS_CODES.items())},
        review={"enum": [r.value for r in Review]},
        lines={"type": "array", "items": ref("OrderLine")},
        discount_percent=PERCENT, subtotal=MONEY, vat_total=MONEY, total=MONEY, currency=STR,
        client_reference=STR_OR_NULL, notes=STR_OR_NULL, delivery_address=ref("DeliveryAddress"),
        decision_reason={"type": ["string", "null"], "description": "the reviewer's reason for a rejection"},
        proposal={"oneOf": [ref("Proposal"), {"type": "null"}], "description": "while a modification awaits the client"},
        fulfilment_status={"enum": [*FULFILMENT_STATUSES, None],
                           "description": "accepted orders; null otherwise"},
        invoice_status={"enum": ["not_invoiced", "invoiced", "partially_paid", "paid", "overdue", None],
                        "description": "accepted orders; null otherwise"},
        valid_until={"type": ["string", "null"], "format": "date",
                     "description": "a Sales Order issued by staff (`sent`) expires after this day"},
        reorder_of={"type": ["string", "null"], "description": "the order this one repeats"},
        origin={"enum": ["portal", "staff", "upload", "email", "recurring", "proposal"],
                "description": "where the order came from"},
        created_at=TIMESTAMP, updated_at=TIMESTAMP, version=INT,
    ),
    "OrderDetail": {"allOf": [ref("Order"), shape(
        history={"type": "array", "items": ref("OrderHistoryEntry")},
        timeline={"type": "array", "items": ref("TimelineEntry"),
                  "description": "oldest first; the buyer-facing entries, deliveries and money only with those permissions"},
        delivery_notes={"type": "array", "items": ref("DeliveryNote"),
                        "description": "empty without the `deliveries` permission"},
        invoices={"type": "array", "items": ref("Invoice"),
                  "description": "issued invoices (never drafts); empty without the `invoices` permission"},
    )]},
    "Reordered": {"allOf": [ref("Order"), shape(skipped={
        "type": "array", "description": "the old order's lines that cannot be ordered now",
        "items": shape(sku=STR, reason={"type": "string", "description": "the refusal's code, e.g. `product_not_orderable`"},
                       message=STR)})]},
    "Cart": {**shape(
        lines={"type": "array", "items": shape(
            sku=STR, name={"type": ["string", "null"]}, qty=INT,
            unit_price={"oneOf": [MONEY, {"type": "null"}], "description": "null when the line cannot be ordered"},
            line_total={"oneOf": [MONEY, {"type": "null"}]}, price_source={"type": ["string", "null"]},
            vat_rate={"type": ["string", "integer", "number", "null"]},
            problem={"type": ["object", "null"], "description": "why the line cannot be ordered: {row, sku, code, message}"})},
        subtotal=MONEY, vat_total=MONEY, total=MONEY, currency=STR,
        credit_available={"type": "string", "description": "the client's credit headroom (the review checks' figure)"},
        warnings={"type": "array", "items": shape(
            code={"type": "string", "description": "`above_available_stock` (only to contacts with view_stock), "
                                                   "`beyond_credit`, `below_min_qty`, `above_max_qty`, `not_qty_step`, "
                                                   "`unknown_product`, `product_not_orderable`"},
            sku={"type": ["string", "null"]}, message=STR)},
        version={"type": "integer", "description": "changes with every change; checkout may name it (cart_version / If-Match)"},
        ready={"type": "boolean", "description": "every line can be ordered as it stands"},
    ), "description": "The contact's stored cart at the client's prices today."},
    "CartReordered": {"allOf": [ref("Cart"), shape(
        price_changes={"type": "array", "items": shape(sku=STR, old_unit_price=MONEY, unit_price=MONEY)},
        skipped={"type": "array", "items": shape(sku=STR, reason=STR, message=STR)})]},
    "CartImport": shape(
        added={"type": "array", "items": shape(row=INT, sku=STR, name=STR, qty=INT)},
        errors={"type": "array", "items": shape(row=INT, sku={"type": ["string", "null"]}, code=STR, message=STR)},
        cart=ref("Cart")),
    "SavedList": shape(id=STR, name=STR, lines={"type": "array", "items": shape(sku=STR, qty=INT)}, updated_at=TIMESTAMP),
    "IntakeOrder": {"allOf": [ref("StaffOrder"), shape(errors={
        "type": "array", "description": "the file's rows that could not be ordered",
        "items": shape(row=INT, sku={"type": ["string", "null"]}, code=STR, message=STR)})]},
    "OrderChecks": {**shape(
        credit=shape(ok=BOOL, available={**ref("SignedMoney"), "description": "credit limit minus open receivables"},
                     order_total=MONEY),
        stock=shape(ok=BOOL, short_skus={"type": "array", "items": STR}),
        prices=shape(ok=BOOL, changed_skus={"type": "array", "items": STR,
                                            "description": "SKUs whose price for the client changed since the order"}),
        checked_at=TIMESTAMP,
    ), "description": "The review checks, as run when the order was placed."},
    "StaffOrder": {"allOf": [ref("Order"), shape(
        client_id=STR, client_name=STR, contact_email=STR, sale_agent_id=STR_OR_NULL,
        auto_approved={"type": "boolean", "description": "approved without a person (trusted client, checks passed)"},
        decided_by=STR_OR_NULL, checks={"oneOf": [ref("OrderChecks"), {"type": "null"}]},
    )]},
    "StaffOrderDetail": {"allOf": [ref("StaffOrder"), shape(
        history={"type": "array", "items": ref("OrderHistoryEntry")},
        timeline={"type": "array", "items": ref("TimelineEntry"),
                  "description": "oldest first; deliveries and money when the role may see them"})]},
    "Settings": shape(
        portal_order_initial_status={"enum": ["draft", "sent"]}, review_required=BOOL,
        review_timeout_hours={"type": "number", "description": "hours before an undecided review is escalated"},
        auto_create_delivery_note=BOOL, invoice_on={"enum": ["accept", "shipping", "manual"]},
        order_confirmation_email=BOOL,
        show_stock={"type": "boolean", "description": "stock shown to contacts with view_stock, unless the client says otherwise"},
        discount_limits={"type": "object", "additionalProperties": {"type": ["string", "null"]},
                         "description": "role -> highest discount percent (null: no limit; a role absent: none)"},
        reminder_offsets={"type": "array", "items": INT, "description": "days after the due date"},
        supplier={"type": "object", "additionalProperties": STR,
                  "description": "legal data on documents: saved values over the environment's"},
    ),
    "ClientRow": shape(
        id=STR, name=STR, vat_number=STR_OR_NULL, group_id=STR_OR_NULL, sale_agent_id=STR_OR_NULL, credit_limit=MONEY,
        balance=MONEY, currency=STR, status={"enum": ["active", "disabled"]}),
    "EditedClient": {"allOf": [ref("Client"), shape(
        status={"enum": ["active", "disabled"]}, portal_enabled=BOOL,
        show_stock={"type": ["boolean", "null"], "description": "null: the settings' default"})]},
    "ContactAccount": shape(
        id=STR, email=STR, first_name=STR_OR_NULL, last_name=STR_OR_NULL, phone=STR_OR_NULL, client_id=STR,
        permissions=ref("Permissions"), status={"enum": ["active", "disabled"]}, last_login_at=TIMESTAMP_OR_NULL),
    "StaffMember": shape(id=STR, email=STR, name=STR, role={"enum": list(STAFF_ROLES)},
                         status={"enum": ["active", "disabled"]}, last_login_at=TIMESTAMP_OR_NULL),
    "AuditEntry": shape(
        at=TIMESTAMP, actor={"type": "string", "description": "who: the staff member's name (or email)"}, actor_id=STR,
        action={"type": "string", "description": "e.g. client.updated, contact.disabled, order.approved"},
        entity_type=STR, entity_id=STR,
        before={"type": ["object", "null"], "description": "the changed fields before (null for a creation)"},
        after={"type": ["object", "null"], "description": "the changed fields after"}),
    "DeliveryNote": shape(**DELIVERY_NOTE_FIELDS, status={
        "enum": sorted(set(CLIENT_VIEW.values()), key=list(CLIENT_VIEW.values()).index),
        "description": "what the client sees: ready for packing, approved, packed and AWB failed are all `preparing`"}),
    "StaffDeliveryNote": shape(
        **DELIVERY_NOTE_FIELDS,
        status={"enum": [s.value for s in DeliveryStatus],
                "description": "ready_for_packing -> approved -> packed -> shipped -> delivered; awb_failed when the "
                               "courier booking failed (POST .../retry-awb)"},
        client_id=STR, awb_error=STR_OR_NULL,
        stock_applied={"type": "boolean", "description": "stock was decremented (once, on approval)"},
        client_status={"enum": sorted(set(CLIENT_VIEW.values()), key=list(CLIENT_VIEW.values()).index),
                       "description": "the status the client sees"},
        version=INT,
    ),
    "Invoice": shape(**INVOICE_FIELDS, status={
        "enum": [s.value for s in InvoiceStatus if s is not InvoiceStatus.DRAFT],
        "description": "draft invoices are never shown to the client"}),
    "StaffInvoice": shape(
        **INVOICE_FIELDS, status={"enum": [s.value for s in InvoiceStatus]},
        client_id=STR, client_name=STR,
        reminders_sent={"type": "array", "items": INT, "description": "overdue reminders sent, as days past due"},
        version=INT,
    ),
    "Payment": shape(
        id=STR, invoice_id=STR, amount=MONEY, date=DATE,
        method={"enum": [*schemas.PAYMENT["properties"]["method"]["enum"], "credit"],
                "description": "`online`: through the gateway; `credit`: from the client's credit (paid beyond an earlier invoice)"},
        reference=STR_OR_NULL,
    ),
    "StaffInvoiceWithPayments": {"allOf": [ref("StaffInvoice"), shape(payments={"type": "array", "items": ref("Payment")})]},
    "GatewayEvent": shape(
        event_id=STR, session_id=STR_OR_NULL,
        outcome={"enum": ["recorded", "credit", "mismatch"],
                 "description": "`credit`: paid beyond what was due, the excess is the client's credit; `mismatch`: another "
                                "currency (nothing applied) or another amount than the checkout's: finance has a task"},
        outcome_label=STR, amount=MONEY, currency=STR, applied=MONEY, credit=MONEY,
        deliveries={**INT, "description": "times the gateway sent it (more than 1: duplicates, recorded once)"},
        duplicate=BOOL, message=STR_OR_NULL, received_at=TIMESTAMP,
    ),
    "InvoiceNotification": shape(
        key={"type": "string", "description": "`issued`, or `reminder:<days overdue>`"}, label=STR, to=STR,
        status={"enum": ["sending", "sent", "failed"], "description": "`failed`: SES refused it (unverified or bounced address)"},
        status_label=STR, at=TIMESTAMP, error=STR_OR_NULL,
    ),
    "StaffInvoiceDetail": {"allOf": [ref("StaffInvoiceWithPayments"), shape(
        webhook_events={"type": "array", "items": ref("GatewayEvent")},
        notifications={"type": "array", "items": ref("InvoiceNotification")})]},
    "ClientCredit": shape(
        id=STR, amount=MONEY, remaining={**MONEY, "description": "what is left; applied to the client's next invoices"},
        currency=STR, source_invoice_id=STR, source_invoice_number=STR, created_at=TIMESTAMP,
    ),
    "Checkout": shape(
        checkout_url={"type": "string", "format": "uri", "description": "the gateway's hosted payment page: send the buyer there"},
        session_id=STR,
    ),
    "Statement": shape(
        client=shape(name=STR), currency=STR, **{"from": DATE, "to": DATE},
        opening_balance=ref("SignedMoney"), closing_balance=ref("SignedMoney"),
        entries={"type": "array", "items": shape(
            date=DATE, kind={"enum": ["invoice", "payment", "credit", "refund"],
                             "description": "`credit`: money paid beyond an invoice, kept as the client's credit; "
                                            "`refund`: such a credit paid back"},
            reference=STR, description=STR,
            debit=MONEY, credit=MONEY, balance={**ref("SignedMoney"), "description": "running balance after this entry"},
        )},
    ),
    "Report": shape(
        ("from", "to", "series"), name=STR, title=STR,
        columns={"type": "array", "items": shape(key=STR, title=STR, kind={
            "enum": ["text", "money", "count", "percent", "date", "days", "hours"]})},
        rows={"type": "array", "items": {"type": "object", "description": "one value per column key (money as strings)"}},
        totals={"type": "object", "description": "the totals of the columns that add up"},
        **{"from": DATE, "to": DATE},
        series={"type": "object", "description": "what the report page's chart draws (per month, per day, per agent)"}),
    "Dashboard": shape(
        credit_limit=MONEY, credit_available=ref("SignedMoney"), balance=ref("SignedMoney"), overdue_amount=MONEY,
        open_orders={"type": "integer"}, currency=STR,
        spend_by_month={"type": "array", "items": shape(month={"type": "string", "description": "YYYY-MM"}, total=MONEY)},
        deliveries_in_transit={"type": "array", "items": shape(
            id=STR, number=STR, order_id=STR, awb=STR_OR_NULL, courier=STR_OR_NULL, tracking_url=STR_OR_NULL)}),
    "ReminderRun": shape(execution_arn={"type": "string", "description": "the Step Functions execution sending the reminders"}),
    "WebhookReceipt": shape(
        ("outcome", "duplicate"), received=BOOL, recorded={"type": "boolean", "description": "false for events that are no payment"},
        outcome={"enum": ["recorded", "credit", "mismatch"]},
        duplicate={"type": "boolean", "description": "the event was recorded before; nothing changed"}),
}


def page_of(name: str) -> dict[str, Any]:
    return {"allOf": [ref("Page"), {"properties": {"items": {"items": ref(name)}}}]}


# Error answers, all in the Error shape; an operation may refine the description.
ERRORS = {
    400: ("BadRequest", "Malformed request: `invalid_json` (body not a JSON object, over 1 MB, nested over 16 levels, "
                        "NaN/Infinity, or text that is not Unicode)."),
    401: ("Unauthorized", "Missing, invalid or expired token (`unauthorized`)."),
    403: ("Forbidden", "Valid token, wrong role or missing permission."),
    404: ("NotFound", "No such resource (or a document of another client)."),
    409: ("Conflict", "State conflict."),
    422: ("Unprocessable", "Validation failed: `missing_field`, `unknown_field`, `invalid_value` or a specific code; "
                           "`field` names the field."),
    415: ("UnsupportedMediaType", "The body's Content-Type is not one this operation takes (`unsupported_media_type`)."),
    500: ("ServerError", "Unexpected error (`internal_error`); it has been logged."),
    503: ("Unavailable", "`unavailable`: a service this depends on did not answer in time or is busy; try again "
                         "later. `outcome_unknown`: a change was sent but its answer was lost, so it may or may not "
                         "have been saved (check before repeating it; a request with the same Idempotency-Key is safe "
                         "to repeat)."),
}

QUERY = {
    "status": {"schema": {"enum": ORDER_STATUSES, "default": OrderStatus.DRAFT.value},
               "description": "orders in this status, oldest first (the review queue is `draft`)"},
    "limit": {"schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
              "description": f"page size, 1..{MAX_PAGE} (422 `invalid_limit` otherwise)"},
    "cursor": {"schema": {"type": "string"}, "description": "`next_cursor` of the previous page (422 `invalid_cursor` when not one)"},
    "before": {"schema": {"type": "string"}, "description": "a cursor the page gave out for its newer-orders link"},
    "category": {"schema": {"type": "string", "maxLength": 100}, "description": "only this category"},
    "q": {"schema": {"type": "string", "maxLength": 100}, "description": "search in SKU and product name"},
    "client_id": {"schema": {"type": "string"}, "description": "the list assigned to this client"},
    "group_id": {"schema": {"type": "string"}, "description": "the list assigned to this client group"},
    "is_default": {"schema": {"type": "boolean"},
                   "description": "true: the default list; false: promotions (`true`/`false`, else 422 `invalid_value`)"},
    "delivery_status": {"name": "status", "schema": {"enum": [s.value for s in DeliveryStatus],
                                                     "default": DeliveryStatus.READY_FOR_PACKING.value},
                        "description": "delivery notes in this status, oldest first (422 `invalid_value` otherwise)"},
    "invoice_status": {"name": "status", "schema": {"enum": [s.value for s in InvoiceStatus]},
                       "description": "invoices in this status (422 `invalid_value` otherwise); without it and without "
                                      "client_id: `unpaid`, by due date"},
    "credit_note_client_id": {"name": "client_id", "schema": {"type": "string"},
                              "description": "only this client's credit notes"},
    "invoice_client_id": {"name": "client_id", "schema": {"type": "string"},
                          "description": "this client's invoices, newest first, drafts included; with status, only those "
                                         "of the page in that status (a page may then hold fewer than `limit`)"},
    "dry_run": {"schema": {"type": "boolean", "default": False},
                "description": "true: check and report, write nothing (`true`/`false`, else 422 `invalid_value`)"},
    "qty": {"schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
            "description": "the quantity priced (volume tiers); 422 `invalid_quantity` otherwise"},
    "sku": {"schema": {"type": "string", "maxLength": 64}, "description": "the product code"},
    "contact": {"schema": {"type": "string"}, "description": "the client's contact to preview as (default: the first)"},
    "confirm": {"schema": {"enum": ["yes"]}, "description": "`yes`: import for real (after a preview); otherwise a dry run"},
    "rule_id": {"schema": {"type": "string"}, "description": "this rule's runs, newest first (404 `rule_not_found`)"},
    "entity_id": {"schema": {"type": "string"},
                  "description": "the runs that concerned this order, invoice, proposal or client (newest 200 at most)"},
    "from": {"schema": {"type": "string", "format": "date"},
             "description": "first day (default: the first of this month; 422 `invalid_date` when not a date)"},
    "client_q": {"name": "q", "schema": {"type": "string", "maxLength": 100},
                 "description": "name words (prefixes, diacritics ignored) or VAT number, with or without its country prefix; "
                                "a search page may hold fewer than `limit` when other words or filters leave hits out"},
    "client_group_id": {"name": "group_id", "schema": {"type": "string"}, "description": "clients of this group"},
    "agent_id": {"schema": {"type": "string"}, "description": "clients of this sales agent (an agent always sees only its own)"},
    "client_status": {"name": "status", "schema": {"enum": ["active", "disabled"]}, "description": "portal on or off"},
    "entity_type": {"schema": {"enum": ["client", "contact", "staff", "settings", "order", "product", "price_list"]},
                    "description": "entries about this kind of thing"},
    "entity_id": {"schema": {"type": "string"}, "description": "with entity_type: entries about this one"},
    "audit_q": {"name": "q", "schema": {"type": "string", "maxLength": 100}, "description": "name or VAT number"},
    "audit_status": {"name": "status", "schema": {"type": "string"}, "description": "active or disabled"},
    "to": {"schema": {"type": "string", "format": "date"},
           "description": "last day (default: today; 422 `invalid_date`, or `invalid_date_range` when before from)"},
}

QUERY.update({
    "report_from": {"name": "from", "schema": {"type": "string", "format": "date"},
                    "description": "first day of the period (default: the first of the month eleven months back; 422 "
                                   "`invalid_date`, or `invalid_period` when after to or over three years)"},
    "report_to": {"name": "to", "schema": {"type": "string", "format": "date"}, "description": "last day (default: today)"},
    "format": {"schema": {"enum": ["json", "csv"], "default": "json"}, "description": "the answer's format (422 `invalid_value`)"},
    "agent_id": {"schema": {"type": "string"}, "description": "only this sales agent's clients (an agent always sees only its own)"},
    "report_group_id": {"name": "group_id", "schema": {"type": "string"}, "description": "only this client group's clients"},
    "report_client_id": {"name": "client_id", "schema": {"type": "string"}, "description": "only this client"},
})
REPORT_QUERY = ("report_from", "report_to", "format", "agent_id", "report_group_id", "report_client_id")

HEADERS = {
    "Idempotency-Key": {"schema": {"type": "string", "maxLength": 200},
                        "description": "optional; the same key with the same request within 24 hours gives the same "
                                       "order instead of a new one (per contact)"},
    "Stripe-Signature": {"required": True, "schema": {"type": "string"},
                         "description": "`t=<timestamp>,v1=<HMAC-SHA256>` over the raw body with the webhook secret: "
                                        "this is the webhook's only authentication"},
}

LOGIN_FORM = {"type": "object", "required": ["csrf", "email"], "properties": {
    "csrf": {"type": "string", "description": f"must equal the `{CSRF}` cookie"},
    "email": {"type": "string"}, "password": {"type": "string"},
    "session": {"type": "string", "description": "with new_password: the first-login step"},
    "new_password": {"type": "string"},
    "next": {"type": "string", "description": "an app path to return to after signing in (others are ignored)"},
}}
LOGOUT_FORM = {"type": "object", "required": ["csrf"], "properties": {"csrf": LOGIN_FORM["properties"]["csrf"]}}



CSRF_FIELD = LOGIN_FORM["properties"]["csrf"]


def form_of(required: list[str], **fields: Any) -> dict[str, Any]:
    """An HTML form's fields; `csrf` is always one of them."""
    return {"type": "object", "required": ["csrf", *required], "properties": {"csrf": CSRF_FIELD, **fields}}


REPEATED = "repeated once per line, in order"
CART_ADD_FORM = form_of(["sku", "qty"], sku=STR, qty={"type": "string", "description": "whole number >= 1"},
                        back={"type": "string", "description": "the catalogue page to return to (/catalogue?...)"})
CART_UPDATE_FORM = form_of([], sku={"type": "string", "description": REPEATED},
                           qty={"type": "string", "description": f"{REPEATED}; 0 removes the line"})
CART_REMOVE_FORM = form_of(["sku"], sku=STR)
KEY_FIELD = {"type": "string", "maxLength": 200,
             "description": "the Idempotency-Key minted with the form: a second submit of the same form places nothing new"}
CHECKOUT_FORM = form_of(
    ["key", "version"],
    key=KEY_FIELD,
    version={"type": "string", "description": "the cart version the page showed: another one is a 409"},
    delivery_address_id={"type": "string", "description": "a saved address's id, or `new` for the address_* fields"},
    address_label=STR, address_line1=STR, address_city=STR, address_postcode=STR,
    address_country={"type": "string", "description": "two letters"},
    client_reference={"type": "string", "maxLength": 100}, notes={"type": "string", "maxLength": 2000},
)
APPROVE_FORM = form_of([], discount_percent={"type": "string", "description": "optional, 0 to 99.99"},
                       discount_reason={"type": "string", "description": "required with a discount"})
CLIENT_FORM = form_of(
    ["name", "payment_term_days", "credit_limit", "currency"], name=STR, vat_number=STR, group_id=STR, sale_agent_id=STR,
    payment_term_days=STR, credit_limit=STR, currency=STR,
    auto_approve={"type": "string", "description": "`on` when ticked"}, portal_enabled={"type": "string", "description": "`on` when ticked"},
    show_stock={"enum": ["", "yes", "no"]},
    **{f"address_{k}": {"type": "string", "description": REPEATED.replace("line", "address")}
       for k in ("id", "label", "line1", "city", "postcode", "country", "county")})
CONTACT_FORM = form_of([], first_name=STR, last_name=STR, phone=STR,
                       permission={"type": "string", "description": "repeated once per permission ticked"})
ROLE_FORM = form_of(["role"], role={"enum": list(STAFF_ROLES)})
SETTINGS_FORM = form_of(
    [], portal_order_initial_status={"enum": ["draft", "sent"]}, review_required=STR, review_timeout_hours=STR,
    auto_create_delivery_note={"enum": ["auto", "manual"]}, invoice_on={"enum": ["accept", "shipping", "manual"]},
    order_confirmation_email=STR, show_stock=STR, reminder_offsets={"type": "string", "description": "e.g. 1, 7, 14"},
    discount_agent=STR, discount_manager=STR, discount_admin=STR,
    **{f"supplier_{k}": STR for k in ("name", "vat_number", "street", "city", "postcode", "country", "email",
                                      "registration_number", "iban")})
REJECT_FORM = form_of(["reason"], reason={"type": "string", "maxLength": 2000})
CANCEL_FORM = form_of(["reason", "confirm"], reason={"type": "string", "maxLength": 2000},
                      confirm={"type": "string", "description": "the confirmation box: `yes`"})

STAFF_ORDER_FORM = form_of(
    ["client_id", "sku", "qty"], client_id=STR, key={"type": "string", "description": "the page's one-time key"},
    sku={"type": "string", "description": REPEATED}, qty={"type": "string", "description": REPEATED},
    unit_price={"type": "string", "description": f"{REPEATED}; empty: the client's price (reviewers only)"},
    valid_until={"type": "string", "format": "date"}, client_reference=STR, notes=STR, delivery_address_id=STR,
    action={"enum": ["preview", "issue"]})
INTAKE_FORM = form_of(["client_id", "file"], client_id=STR,
                      file={"type": "string", "format": "binary", "description": "the client's order, a .csv or .xlsx file"},
                      client_reference={"type": "string", "maxLength": 100})
OFFER_ACCEPT_FORM = form_of([], client_reference=STR, delivery_address_id=STR)
OFFER_DECLINE_FORM = form_of([], reason={"type": "string", "maxLength": 2000})
RECURRING_FORM = form_of(
    ["sku", "qty", "every", "interval", "start_date"], sku={"type": "string", "description": REPEATED},
    qty={"type": "string", "description": REPEATED}, every={"enum": ["week", "month"]}, interval=STR,
    start_date={"type": "string", "format": "date"}, delivery_address_id=STR, client_reference=STR)
MODIFY_FORM = form_of(
    ["sku", "qty", "unit_price", "message"],
    sku={"type": "string", "description": f"{REPEATED} (the last row may add a product)"},
    qty={"type": "string", "description": f"{REPEATED}; 0 drops the line"},
    unit_price={"type": "string", "description": f"{REPEATED}; blank keeps the client's price"},
    message={"type": "string", "maxLength": 2000}, discount_percent={"type": "string", "description": "optional, 0 to 99.99"},
)
REVIEW_LINK_FORM = form_of([], reason={"type": "string", "description": "required for a rejection link"})
QUOTE_FORM = form_of([], message={"type": "string", "maxLength": 2000})
QUICK_ORDER_FORM = form_of([], lines={"type": "string", "description": "`SKU, qty` per line"},
                           file={"type": "string", "format": "binary", "description": "a .csv or .xlsx file"})
LIST_NAME_FORM = form_of(["name"], name={"type": "string", "maxLength": 100})

PAY_FORM = form_of([], back={"type": "string", "description": "`invoice` to come back to the invoice's page on a refusal "
                                                               "(else /invoices)"})
PACKING_FORM = form_of(
    [], weight_kg={"type": "string", "description": f"{REPEATED}; kg, e.g. 2.5"},
    length_cm={"type": "string", "description": f"{REPEATED}; whole cm"},
    width_cm={"type": "string", "description": f"{REPEATED}; whole cm"},
    height_cm={"type": "string", "description": f"{REPEATED}; whole cm; rows left blank are ignored"})
PAYMENT_FORM = form_of(["amount", "date", "method"], amount={"type": "string", "description": "e.g. 1234.50"},
                       date={"type": "string", "description": "YYYY-MM-DD, not in the future"},
                       method={"enum": ["bank_transfer", "card", "cash", "online", "other"]},
                       reference={"type": "string", "maxLength": 200})

CREDIT_NOTE_FORM = form_of(["reason"], reason={"type": "string", "maxLength": 500},
                           qty_0={"type": "string", "description": "quantity of the invoice's first line to credit; "
                                                                    "qty_1, qty_2 ... for the next lines; all blank: everything"})
CSRF_ONLY_FORM = form_of([])
DECLINE_FORM = form_of([], reason={"type": "string", "maxLength": 2000, "description": "why not (optional)"})
PRODUCT_FORM = form_of(["name", "category", "unit", "base_price", "vat_rate"], **{
    name: {"type": "string"} for name in ("name", "category", "unit", "base_price", "vat_rate", "min_qty", "max_qty",
                                          "qty_step", "min_stock")}, portal_visible={"enum": ["yes"]})
STOCK_FORM = form_of(["delta", "reason"], delta={"type": "string", "description": "+24 or -3"},
                     reason={"enum": schemas.STOCK_REASONS}, note={"type": "string", "maxLength": 500})
CSV_FORM = form_of([], file={"type": "string", "format": "binary", "description": "the CSV file"},
                   csv_text={"type": "string", "description": "or the CSV pasted (a confirmed preview sends it back)"})
PRICE_LIST_FORM = form_of(["name"], name=STR, owner={"enum": ["none", "client", "group", "default"]}, client_id=STR,
                          group_id=STR, valid_from={"type": "string", "format": "date"},
                          valid_to={"type": "string", "format": "date"})
PRICE_ITEM_FORM = form_of(["sku", "price"], sku=STR, price={"type": "string", "description": "e.g. 9.50"},
                          tiers={"type": "string", "description": "volume prices, e.g. `10=9.00; 50=8.50`"})
CSV_IMPORT = ("The body is CSV text (`Content-Type: text/csv`, UTF-8). Every row is checked before anything is "
              "written; a file with any error changes nothing and the answer lists each row's problem.")
AUTOMATION_EVENT = shape(event=STR, label=STR, entity=STR, fields={"type": "object"}, entity_fields={"type": "object"},
                         date_fields={"type": "array", "items": STR})
AUTOMATION_RULE_OUT = shape(id=STR, name=STR, enabled={"type": "boolean"}, trigger={"type": "object"},
                            conditions={"type": "object"}, actions={"type": "array", "items": {"type": "object"}},
                            version={"type": "integer"}, template_key={"type": ["string", "null"]})
AUTOMATION_RUN = shape(id=STR, rule_id=STR, event_id=STR, event=STR, matched={"type": "boolean"}, status=STR,
                       conditions={"type": "array", "items": {"type": "object"}},
                       actions={"type": "array", "items": {"type": "object"}}, at=TIMESTAMP)
AUTOMATION_RULE_FORM = form_of(["name", "trigger", "actions"], name=STR, enabled={"enum": ["on"]},
                               trigger={"type": "string", "description": "JSON"}, conditions={"type": "string", "description": "JSON"},
                               actions={"type": "string", "description": "JSON"})
AUTOMATION_RULE_CHECK = {"oneOf": [
    shape(ok={"const": True}),
    shape(errors={"type": "array", "minItems": 1, "items": shape(
        field={"type": "string", "description": "the rule's path at fault (`actions[1].url`), or the box whose JSON "
                                                "does not read (`trigger`)"},
        box={"enum": ["name", "enabled", "trigger", "conditions", "actions"], "description": "the editor box it concerns"},
        message={"type": "string", "description": "the sentence the editor shows beside the box (a JSON error with "
                                                  "its line and column)"})}),
]}
REGISTER_FORM = form_of(["company", "line1", "city", "postcode", "country", "first_name", "last_name", "email"],
                        company=STR, vat_number=STR, line1=STR, city=STR, postcode=STR,
                        country={"type": "string", "description": "ISO 3166 two-letter code"}, first_name=STR,
                        last_name=STR, email=STR)
AUTOMATION_DRY_RUN_FORM = form_of([], sample={"type": "string", "description": "a sample event as JSON"},
                                  since={"type": "string", "description": "YYYY-MM-DD"})

DOWNLOAD_303 = "To a download URL valid for a few minutes (S3); to /login when signed out."


# --- the table: one entry per (method, path) of app.routes ---------------------------------

def api(summary: str, answer: str, returns: dict[str, Any] | None = None, *, status: int = 200, body: str | None = None,
        optional_body: bool = False, query: tuple[str, ...] = (), headers: tuple[str, ...] = (),
        errors: dict[int, str] | None = None, capability: Capability | None = None,
        answer_headers: dict[str, Any] | None = None, description: str | None = None) -> dict[str, Any]:
    """A JSON operation. `body` names the schema in chalicelib.api.schemas (`optional_body`: it may be left out);
    `headers` are request headers (HEADERS); `errors` adds or refines error answers; `answer_headers` are the success
    answer's headers (a redirect's Location)."""
    return {"summary": summary, "answer": answer, "returns": returns, "status": status, "body": body,
            "optional_body": optional_body, "query": query, "headers": headers, "errors": errors or {},
            "capability": capability, "answer_headers": answer_headers or {}, "description": description}


def page(summary: str, answers: dict[int, str], *, form: dict[str, Any] | None = None, query: tuple[str, ...] = (),
         session: bool = False, cookies: tuple[int, ...] = (), media: str | None = None,
         returns: dict[str, Any] | None = None) -> dict[str, Any]:
    """A server-rendered page: 303 answers are redirects, the others HTML (or `media`, for the 200 answer, whose
    schema is `returns` when it is not text); `cookies`: statuses that set cookies."""
    return {"summary": summary, "answers": answers, "form": form, "query": query, "session": session, "cookies": cookies,
            "media": media, "returns": returns}


SIGNED_IN = {"oneOf": [ref("SignedIn"), ref("NewPasswordRequired")]}
PORTAL_403 = "Staff token (`not_a_portal_contact`), or a contact without any permission (`no_portal_access`)."


def portal_403(permission: str) -> str:
    return (f"Staff token (`not_a_portal_contact`), a contact without any permission (`no_portal_access`), or without "
            f"the `{permission}` permission (`missing_permission`).")


DOWNLOAD_REDIRECT = {
    "Location": {"schema": {"type": "string", "format": "uri"},
                 "description": f"a download URL valid for {PRESIGNED_SECONDS // 60} minutes"},
    "Cache-Control": {"schema": {"const": "no-store"}},
}

ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    # auth.py (public)
    ("POST", "/auth/login"): api(
        "Sign in with email and password", "Signed in, or a first login that needs a new password (POST /auth/challenge)",
        SIGNED_IN, body="LOGIN", errors={401: "`invalid_credentials`, `unknown_account`, `unsupported_challenge`."}),
    ("POST", "/auth/challenge"): api(
        "Set the new password a first login asks for", "Signed in", ref("SignedIn"), body="CHALLENGE",
        errors={401: "`invalid_session`: sign in again.", 422: "`weak_password` or a schema error."}),
    ("POST", "/auth/refresh"): api(
        "Get a new ID token with the refresh token", "A new token", ref("Refreshed"), body="REFRESH",
        errors={401: "`invalid_refresh_token`."}),
    ("POST", "/auth/logout"): api(
        "Sign out: the refresh token stops working", "Signed out (also when the token no longer worked)", status=204,
        body="REFRESH",
        description="Revokes the refresh token (Cognito global sign-out of its user: every refresh token of the "
                    "account stops working). ID tokens already issued stay valid until they expire."),
    ("POST", "/auth/forgot-password"): api(
        "Email a password-reset code", "Always, whether or not the email has an account", ref("Message"),
        status=202, body="FORGOT"),
    ("POST", "/auth/reset-password"): api(
        "Set a new password with the emailed code", "Password changed", ref("Message"), body="RESET",
        errors={422: "`invalid_code`, `weak_password` or a schema error."}),
    # admin.py (staff tokens)
    ("POST", "/admin/staff"): api(
        "Create a staff account (emails an invitation)", "Created", ref("Staff"), status=201, body="STAFF",
        capability=Capability.MANAGE_STAFF, errors={409: "`email_taken`.", 422: "`weak_password` or a schema error."}),
    ("POST", "/admin/products"): api(
        "Create a product", "Created", ref("Product"), status=201, body="PRODUCT", capability=Capability.MANAGE_CATALOGUE,
        errors={409: "`product_exists`.", 422: "`invalid_quantity_range`, `invalid_value` or a schema error."}),
    ("GET", "/admin/products/{sku}"): api(
        "One product with its stock", "The product", ref("Product"), capability=Capability.VIEW_CATALOGUE,
        errors={404: "`product_not_found`."}),
    ("PUT", "/admin/products/{sku}/stock"): api(
        "Set a product's quantity on hand", "The product", ref("Product"), body="STOCK", capability=Capability.MANAGE_STOCK,
        errors={404: "`product_not_found`."}),
    ("POST", "/admin/client-groups"): api(
        "Create a client group", "Created", ref("ClientGroup"), status=201, body="GROUP", capability=Capability.MANAGE_CLIENTS),
    ("POST", "/admin/clients"): api(
        "Create a client with its addresses", "Created", ref("Client"), status=201, body="CLIENT",
        capability=Capability.MANAGE_CLIENTS, errors={422: "`unknown_group`, `unknown_agent` or a schema error."}),
    ("GET", "/admin/clients/{client_id}"): api(
        "One client with its balance and contacts", "The client", ref("Client"), capability=Capability.VIEW_CLIENTS,
        errors={404: "`client_not_found`."}),
    ("POST", "/admin/clients/{client_id}/contacts"): api(
        "Create a portal contact (opens the account, emails an invitation)", "Created", ref("Contact"), status=201,
        body="CONTACT", capability=Capability.MANAGE_CLIENTS,
        errors={404: "`client_not_found`.", 409: "`email_taken`.", 422: "`weak_password` or a schema error."}),
    ("PUT", "/admin/contacts/{contact_id}/permissions"): api(
        "Change some of a contact's portal permissions (the others stay)", "The contact", ref("Contact"),
        body="PERMISSIONS", capability=Capability.MANAGE_CLIENTS,
        errors={404: "`contact_not_found`.", 422: "`missing_field` (empty body) or a schema error."}),
    ("POST", "/admin/price-lists"): api(
        "Create a price list for a client, a group, the default or a promotion", "Created", ref("PriceList"), status=201,
        body="PRICE_LIST", capability=Capability.MANAGE_PRICING,
        errors={409: "`price_list_exists`: the owner already has one.",
                422: "`conflicting_assignment`, `invalid_date`, `invalid_date_range`, `missing_field`, `unknown_client`, "
                     "`unknown_group`, `currency_mismatch`, `duplicate_sku`, `unknown_product` or a schema error."}),
    ("GET", "/admin/price-lists"): api(
        "Price lists, optionally by owner (client_id, else group_id, else is_default)", "All matching lists in one page",
        page_of("PriceList"), query=("client_id", "group_id", "is_default"), capability=Capability.VIEW_PRICING,
        errors={422: "`invalid_value` (is_default)."}),
    ("GET", "/admin/price-lists/{price_list_id}"): api(
        "One price list with its prices", "The list", ref("PriceListWithItems"), capability=Capability.VIEW_PRICING,
        errors={404: "`price_list_not_found`."}),
    ("PUT", "/admin/price-lists/{price_list_id}/items/{sku}"): api(
        "Set one product's price in a list", "The price", ref("Price"), body="PRICE", capability=Capability.MANAGE_PRICING,
        errors={404: "`price_list_not_found` or `product_not_found`."}),
    ("POST", "/admin/price-lists/{price_list_id}/clone"): api(
        "Copy a list's prices into a new list", "Created", ref("PriceList"), status=201, body="CLONE",
        capability=Capability.MANAGE_PRICING,
        errors={404: "`price_list_not_found`.", 409: "`price_list_exists`.",
                422: "`missing_field` (a clone needs client_id or group_id), `conflicting_assignment`, `unknown_client`, "
                     "`unknown_group`, `currency_mismatch` or a schema error."}),
    # admin_orders.py (the review queue, decisions, settings)
    ("GET", "/admin/orders"): api(
        "Orders in one status, oldest first (the review queue: status=draft)", "One page of orders", page_of("StaffOrder"),
        query=("status", "limit", "cursor"), capability=Capability.VIEW_ORDERS,
        errors={422: "`invalid_value` (status), `invalid_limit` or `invalid_cursor`."}),
    ("GET", "/admin/orders/{order_id}"): api(
        "One order with its review, checks and history", "The order", ref("StaffOrderDetail"),
        capability=Capability.VIEW_ORDERS, errors={404: "`order_not_found`."}),
    ("POST", "/admin/orders/{order_id}/approve"): api(
        "Approve an order awaiting review, optionally with a discount", "The order, status `accepted`", ref("StaffOrder"),
        body="APPROVE", optional_body=True, capability=Capability.REVIEW_ORDERS,
        errors={404: "`order_not_found`.",
                409: "`order_state_conflict` (not awaiting review, e.g. declined or decided already) or `stale_version`."}),
    ("POST", "/admin/orders/{order_id}/modify"): api(
        "Propose changed lines, unit prices or a discount; the client accepts or declines them",
        "The order with its `proposal`, review `modified`, awaiting the client", ref("StaffOrder"), body="MODIFY",
        capability=Capability.REVIEW_ORDERS,
        errors={404: "`order_not_found`.", 409: "`order_state_conflict` (not awaiting review) or `stale_version`.",
                422: "`invalid_quantity`, `duplicate_sku`, `too_many_lines`, `unknown_product`, `product_not_orderable`, "
                     "`below_min_qty`, `above_max_qty` (`field`: `lines[i].sku`/`lines[i].qty`) or a schema error."}),
    ("POST", "/admin/orders/{order_id}/reject"): api(
        "Reject an order awaiting review, with a reason the client reads", "The order, status `declined`", ref("StaffOrder"),
        body="REJECT", capability=Capability.REVIEW_ORDERS,
        errors={404: "`order_not_found`.", 409: "`order_state_conflict` (not awaiting review) or `stale_version`."}),
    ("POST", "/admin/orders/{order_id}/cancel"): api(
        "Cancel an accepted order before any stock left for it, with a reason the client reads",
        "The order, status `cancelled` (`status_code` 7)", ref("StaffOrder"), body="CANCEL",
        capability=Capability.REVIEW_ORDERS,
        description="All or nothing: the order's stock reservation and credit exposure are given back, its delivery "
                    "notes still waiting for the warehouse's approval become `cancelled`, its fulfilment workflow ends "
                    "at the Cancelled state, the buyer is emailed and `order.cancelled` is announced. A second cancel "
                    "answers 409 and releases nothing (docs/decisions.md).",
        errors={404: "`order_not_found` (also another agent's client's order).",
                409: "`order_not_cancellable`: not accepted (e.g. a draft or already cancelled), stock already taken for "
                     "one of its delivery notes (the message names it), or an invoice issued for it; or `stale_version`.",
                422: "`missing_field` / a schema error for `reason` (required, 1 to 2000 characters)."}),
    # recurring.py (standing orders)
    ("POST", "/portal/recurring-orders"): api(
        "Set up a recurring order: lines every N weeks or months from a start date (place_orders)",
        "The recurring order `{id, next_run, status, ...}`", None, status=201, body="RECURRING_ORDER",
        description="Each run places an order through the same pipeline as POST /portal/orders (origin `recurring`), "
                    "once per occurrence; the buyer is emailed the day before.",
        errors={403: portal_403("place_orders"),
                422: "`invalid_value` (every, interval), `invalid_date` (start_date in the past or not a date), "
                     "`unknown_product`, `product_not_orderable`, `invalid_quantity`, `below_min_qty`, `above_max_qty`, "
                     "`unknown_address` or a schema error."}),
    ("GET", "/portal/recurring-orders"): api(
        "The client's recurring orders (place_orders)", "One page of recurring orders", None, query=("limit", "cursor"),
        errors={403: portal_403("place_orders"), 422: "`invalid_limit` or `invalid_cursor`."}),
    ("PATCH", "/portal/recurring-orders/{recurring_id}"): api(
        "Pause or resume a recurring order, or replace its lines (place_orders)", "The recurring order", None,
        body="RECURRING_CHANGE",
        errors={403: portal_403("place_orders"), 404: "`recurring_order_not_found` (or another client's).",
                409: "`stale_version`.", 422: "The line errors of POST, or a schema error."}),
    ("POST", "/portal/recurring-orders/{recurring_id}/skip-next"): api(
        "Skip the next run (place_orders)", "The recurring order with its new `next_run`", None,
        errors={403: portal_403("place_orders"), 404: "`recurring_order_not_found` (or another client's).",
                409: "`recurring_paused` or `stale_version`."}),
    ("GET", "/agent/orders/new"): page(
        "Write a Sales Order for a client: client picker, lines at the client's prices (view_orders)", query=("client_id",),
        session=True, cookies=(200,), answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact."}),
    ("POST", "/agent/orders/new"): page(
        "Show the client's prices for the lines, or issue the order (status `sent`; the client is emailed)",
        form=STAFF_ORDER_FORM, session=True, cookies=(200, 303, 422),
        answers={200: "The form with the client's prices.", 303: "To the new order's page.",
                 403: "CSRF check failed, or a client contact.", 422: "The form again with the problem."}),
    ("GET", "/agent/intake"): page(
        "Import a client's order spreadsheet: client picker (an agent's own clients) and file upload (review_orders)",
        session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role that may not "
                                                                          "review orders."}),
    ("POST", "/agent/intake"): page(
        "Turn the uploaded CSV / XLSX into a draft order, origin `upload` (multipart/form-data; as POST /admin/intake)",
        form=INTAKE_FORM, session=True, cookies=(200, 303, 422),
        answers={200: "The page with a link to the order: the file was imported before, or some of its lines were left "
                      "out (listed with their reasons).",
                 303: "To the new draft order's page, or to /login when signed out.",
                 403: "CSRF check failed, a client contact, or a role that may not review orders.",
                 422: "The page with the problem: no client or file, a client the person may not see, a file of another "
                      "type, an empty file, one larger than 2 MB, or nothing in it can be ordered (each line with its reason; no order made)."}),
    ("GET", "/agent/orders/{order_id}/pdf"): page(
        "Download the order as PDF (view_orders)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "A client contact.", 404: "No such order."}),
    ("POST", "/orders/{order_id}/accept"): page(
        "Accept a Sales Order the sales team sent, with an optional PO number and address (place_orders)",
        form=OFFER_ACCEPT_FORM, session=True, cookies=(303,),
        answers={303: "To the order's page with a notice (or why not: expired, answered, stock gone).",
                 403: "CSRF check failed, or no place_orders permission.", 404: "No such order, or another client's."}),
    ("POST", "/orders/{order_id}/decline"): page(
        "Decline a Sales Order the sales team sent, with an optional reason (place_orders)", form=OFFER_DECLINE_FORM,
        session=True, cookies=(303,),
        answers={303: "To the order's page with a notice (or why not).",
                 403: "CSRF check failed, or no place_orders permission.", 404: "No such order, or another client's."}),
    ("GET", "/orders/{order_id}/pdf"): page(
        "Download the order as PDF (download_documents)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "No download_documents permission.", 404: "No such order, or another client's."}),
    ("GET", "/proposals/{proposal_id}/pdf"): page(
        "Download the proposal as PDF (download_documents)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "No download_documents permission.",
                 404: "No such proposal, a draft, or another client's."}),
    ("GET", "/recurring-orders"): page(
        "The buyer's recurring orders with pause / resume / skip, and the form to set one up (place_orders)",
        session=True, cookies=(200,), answers={200: "The page.", 303: "To /login when signed out.",
                                                403: "No place_orders permission."}),
    ("POST", "/recurring-orders"): page(
        "Set up a recurring order (place_orders)", form=RECURRING_FORM, session=True, cookies=(303, 422),
        answers={303: "To the list with a notice.", 403: "CSRF check failed, or no place_orders permission.",
                 422: "The page again with the problem."}),
    ("POST", "/recurring-orders/{recurring_id}/pause"): page(
        "Pause a recurring order (place_orders)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the list with a notice.", 403: "CSRF check failed, or no place_orders permission.",
                 404: "No such recurring order, or another client's."}),
    ("POST", "/recurring-orders/{recurring_id}/resume"): page(
        "Resume a paused recurring order; runs missed while paused are not placed (place_orders)", form=LOGOUT_FORM,
        session=True, cookies=(303,),
        answers={303: "To the list with a notice.", 403: "CSRF check failed, or no place_orders permission.",
                 404: "No such recurring order, or another client's."}),
    ("POST", "/recurring-orders/{recurring_id}/skip-next"): page(
        "Skip the next run of a recurring order (place_orders)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the list with a notice (or why not: paused).",
                 403: "CSRF check failed, or no place_orders permission.",
                 404: "No such recurring order, or another client's."}),
    # admin_staff_orders.py (Sales Orders issued by staff, the client's answer)
    ("POST", "/admin/orders"): api(
        "Issue a Sales Order for a client (status `sent`, origin `staff`); the client accepts or declines it in the portal",
        "Issued (or, with a key used before, that same order: 200)", ref("StaffOrder"), status=201, body="STAFF_ORDER",
        headers=("Idempotency-Key",), capability=Capability.VIEW_ORDERS,
        description="Lines at the client's prices; a `unit_price` overrides one (REVIEW_ORDERS only; recorded in the "
                    "history). The client's ordering contacts are emailed; the staff-order workflow expires the order "
                    "after `valid_until` (default 14 days). An agent issues orders for its own clients only.",
        errors={409: "`idempotency_key_reused` (this key was used for a different order).",
                422: "`unknown_client`, `no_ordering_contact`, `price_override_not_allowed`, `invalid_date`, "
                     "`invalid_quantity`, `duplicate_sku`, `unknown_product`, `product_not_orderable`, `below_min_qty`, "
                     "`above_max_qty`, `unknown_address` or a schema error."}),
    ("POST", "/portal/orders/{order_id}/accept"): api(
        "Accept a Sales Order the sales team sent (place_orders), optionally with a PO number and delivery address",
        "The order, status `accepted` (4): its stock is reserved and fulfilment starts", ref("Order"),
        body="OFFER_ACCEPT", optional_body=True,
        errors={403: portal_403("place_orders"), 404: "`order_not_found` (or another client's).",
                409: "`order_expired` (past `valid_until`), `order_state_conflict` (not `sent`), `insufficient_stock` "
                     "(the stock went to another order meanwhile) or `stale_version`.",
                422: "`unknown_address` or a schema error."}),
    ("POST", "/portal/orders/{order_id}/decline"): api(
        "Decline a Sales Order the sales team sent (place_orders), with an optional reason",
        "The order, status `declined` (3)", ref("Order"), body="OFFER_DECLINE", optional_body=True,
        errors={403: portal_403("place_orders"), 404: "`order_not_found` (or another client's).",
                409: "`order_expired` (past `valid_until`), `order_state_conflict` (not `sent`) or `stale_version`."}),
    ("GET", "/admin/settings"): api(
        "The supplier's ordering settings", "The settings", ref("Settings"), capability=Capability.VIEW_ORDERS),
    ("PUT", "/admin/settings"): api(
        "Change some of the settings (the others stay)", "The settings", ref("Settings"), body="SETTINGS",
        capability=Capability.MANAGE_SETTINGS),
    # admin_fulfilment.py (delivery notes, invoices, payments)
    ("POST", "/admin/orders/{order_id}/delivery-notes"): api(
        "Create a delivery note for an accepted order: what is left to deliver, or the given lines. The order's "
        "fulfilment workflow, when it waits for a manual note, goes on with this one; any other note runs its own",
        "Created, status `ready_for_packing`", ref("StaffDeliveryNote"), status=201, body="DELIVERY_NOTE", optional_body=True,
        capability=Capability.MANAGE_DELIVERIES,
        description="Without a body (or without `lines`) the note takes every quantity not yet on a delivery note. "
                    "With `auto_create_delivery_note` on, accepted orders get theirs automatically.",
        errors={404: "`order_not_found`.",
                409: "`order_not_accepted`, `nothing_to_deliver` (every line is on a note already) or `busy` (retry).",
                422: "`unknown_product` (not on this order), `duplicate_sku`, `invalid_quantity`, `above_ordered_qty` "
                     "(`field`: `lines[i]...`) or a schema error."}),
    ("GET", "/admin/delivery-notes"): api(
        "Delivery notes in one status, oldest first (default: ready_for_packing)", "One page of delivery notes",
        page_of("StaffDeliveryNote"), query=("delivery_status", "limit", "cursor"), capability=Capability.VIEW_DELIVERIES,
        errors={422: "`invalid_value` (status), `invalid_limit` or `invalid_cursor`."}),
    ("GET", "/admin/delivery-notes/{dn_id}"): api(
        "One delivery note", "The delivery note", ref("StaffDeliveryNote"), capability=Capability.VIEW_DELIVERIES,
        errors={404: "`delivery_note_not_found`."}),
    ("POST", "/admin/delivery-notes/{dn_id}/approve"): api(
        "Approve a note for packing: stock goes down once; what is not in stock goes on a back-order note",
        "The note, status `approved`, with the lines that ship now (`backorder_id` names the back-order note, if any); "
        "repeating it changes nothing", ref("StaffDeliveryNote"), capability=Capability.MANAGE_DELIVERIES,
        errors={404: "`delivery_note_not_found`.",
                409: "`delivery_state_conflict` (not ready_for_packing), `no_stock` (none of its products is in stock), "
                     "`order_not_accepted` (its order was cancelled), `busy` or `stale_version` (retry)."}),
    ("POST", "/admin/delivery-notes/{dn_id}/packing-list"): api(
        "Record the parcels of an approved note; the courier AWB is booked next", "The note, status `packed`",
        ref("StaffDeliveryNote"), body="PACKING_LIST", capability=Capability.MANAGE_DELIVERIES,
        errors={404: "`delivery_note_not_found`.", 409: "`delivery_state_conflict` (not approved) or `stale_version`."}),
    ("POST", "/admin/delivery-notes/{dn_id}/retry-awb"): api(
        "Book the courier again after a failed AWB", "The note, back to `packed`; the note's waiting fulfilment "
        "execution (the same one) books the courier again",
        ref("StaffDeliveryNote"), capability=Capability.MANAGE_DELIVERIES,
        errors={404: "`delivery_note_not_found`.", 409: "`delivery_state_conflict` (not awb_failed) or `stale_version`."}),
    ("POST", "/admin/delivery-notes/{dn_id}/delivered"): api(
        "Mark a shipped note delivered", "The note, status `delivered`", ref("StaffDeliveryNote"),
        capability=Capability.MANAGE_DELIVERIES,
        errors={404: "`delivery_note_not_found`.", 409: "`delivery_state_conflict` (not shipped) or `stale_version`."}),
    ("POST", "/admin/orders/{order_id}/invoice"): api(
        "Issue the invoice of an accepted order (by hand); its PDF, e-invoice and email follow",
        "Issued, status `unpaid` (the same invoice again when it was issued already)", ref("StaffInvoice"), status=201,
        capability=Capability.MANAGE_INVOICES,
        errors={404: "`order_not_found`.", 409: "`order_not_accepted` or `busy` (retry)."}),
    ("GET", "/admin/invoices"): api(
        "Invoices by status (by due date) or by client (newest first)", "One page of invoices", page_of("StaffInvoice"),
        query=("invoice_status", "invoice_client_id", "limit", "cursor"), capability=Capability.VIEW_INVOICES,
        errors={422: "`invalid_value` (status), `invalid_limit` or `invalid_cursor`."}),
    ("GET", "/admin/invoices/{invoice_id}"): api(
        "One invoice with its payments, gateway events and emails", "The invoice", ref("StaffInvoiceDetail"),
        capability=Capability.VIEW_INVOICES, errors={404: "`invoice_not_found`."}),
    ("GET", "/admin/clients/{client_id}/credits"): api(
        "The client's credits (money paid online beyond its invoices)", "The credits, oldest first",
        page_of("ClientCredit"), capability=Capability.VIEW_INVOICES, errors={404: "`client_not_found`."},
        description="A credit is applied to the client's next invoices in its currency when they are issued; finance "
                    "gets a task when one is created, to refund it instead."),
    ("POST", "/admin/clients/{client_id}/credits/{credit_id}/refund"): api(
        "Record that what is left of a credit was paid back to the client", "The credit, nothing left",
        ref("ClientCredit"), capability=Capability.MANAGE_INVOICES,
        description="The money goes back outside the platform (a bank transfer, or a refund in the gateway's dashboard); "
                    "this records it: a `refund` line on the statement, the client's balance, and the finance task closed.",
        errors={404: "`credit_not_found`.", 409: "`credit_used` (nothing left) or `stale_version` (retry)."}),
    ("POST", "/admin/invoices/{invoice_id}/payments"): api(
        "Record a (partial) payment", "Recorded: the invoice, now `partially_paid`, `paid` (or still `overdue`), with its "
        "payments", ref("StaffInvoiceWithPayments"), status=201, body="PAYMENT", capability=Capability.MANAGE_INVOICES,
        errors={404: "`invoice_not_found`.",
                409: "`invoice_not_open` (draft, paid or cancelled) or `stale_version` (retry).",
                422: "`overpayment` (more than is due), `invalid_amount`, `invalid_date` (no day, or in the future) or a "
                     "schema error."}),
    # admin_credit_notes.py (finance's credit notes and the client's)
    ("POST", "/admin/invoices/{invoice_id}/credit-notes"): api(
        "Credit an issued invoice in full (no `lines`) or in part", "The credit note: the invoice owes that much less "
        "(cancelled when credited in full), the client's balance drops, the PDF and UBL CreditNote are emailed",
        ref("StaffCreditNote"), status=201, body="CREDIT_NOTE", capability=Capability.MANAGE_INVOICES,
        errors={404: "`invoice_not_found`.",
                409: "`invoice_not_creditable` (draft or cancelled), `invoice_fully_credited` or `stale_version` (retry).",
                422: "`unknown_product` (not on the invoice), `above_max_qty` (more than is left to credit), "
                     "`invalid_quantity`, `duplicate_sku`, `missing_field` (reason) or a schema error."}),
    ("GET", "/admin/invoices/{invoice_id}/credit-notes"): api(
        "An invoice's credit notes", "The credit notes", page_of("StaffCreditNote"), capability=Capability.VIEW_INVOICES),
    ("GET", "/admin/credit-notes"): api(
        "Credit notes, newest first (all, or a client's)", "One page of credit notes", page_of("StaffCreditNote"),
        query=("credit_note_client_id", "limit", "cursor"), capability=Capability.VIEW_INVOICES,
        errors={422: "`invalid_limit` or `invalid_cursor`."}),
    ("GET", "/admin/credit-notes/{credit_note_id}"): api(
        "One credit note", "The credit note", ref("StaffCreditNote"), capability=Capability.VIEW_INVOICES,
        errors={404: "`credit_note_not_found`."}),
    ("GET", "/portal/credit-notes"): api(
        "The client's credit notes, newest first (invoices)", "One page of credit notes", page_of("CreditNote"),
        query=("limit", "cursor"), errors={403: portal_403("invoices"), 422: "`invalid_limit` or `invalid_cursor`."}),
    ("GET", "/portal/credit-notes/{credit_note_id}"): api(
        "One credit note (invoices)", "The credit note", ref("CreditNote"),
        errors={403: portal_403("invoices"), 404: "`credit_note_not_found` (also another client's)."}),
    ("GET", "/portal/credit-notes/{credit_note_id}/pdf"): api(
        "Download a credit note's PDF (download_documents)", "Redirect to the PDF", status=302,
        answer_headers=DOWNLOAD_REDIRECT,
        errors={403: portal_403("download_documents"), 404: "`credit_note_not_found` (also another client's)."}),
    ("GET", "/portal/credit-notes/{credit_note_id}/e-invoice"): api(
        "Download a credit note's UBL CreditNote (download_documents)", "Redirect to the XML", status=302,
        answer_headers=DOWNLOAD_REDIRECT,
        errors={403: portal_403("download_documents"), 404: "`credit_note_not_found` (also another client's)."}),
    # web/staff/credit_notes.py and web/portal/credit_notes.py
    ("POST", "/agent/invoices/{invoice_id}/credit-notes"): page(
        "Issue a credit note from the invoice's page (manage_invoices): blank quantities credit everything left",
        form=CREDIT_NOTE_FORM, session=True, cookies=(303,),
        answers={303: "To the invoice's page with the credit note's number, or with why not (nothing left, bad quantity).",
                 403: "CSRF check failed, a client contact, or a role without manage_invoices.", 404: "No such invoice."}),
    ("GET", "/agent/credit-notes"): page(
        "Credit notes, newest first (view_invoices)", query=("cursor",), session=True, cookies=(200,),
        answers={200: "The page (50 credit notes, a link to older ones).", 303: "To /login when signed out.",
                 403: "A client contact, or a role without view_invoices.", 422: "A cursor this page did not give out."}),
    ("GET", "/agent/credit-notes/{credit_note_id}/pdf"): page(
        "Download a credit note's PDF (view_invoices)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "A client contact, or a role without view_invoices.", 404: "No such credit note."}),
    ("POST", "/agent/invoices/{invoice_id}/e-invoice/check"): page(
        "Send a pending e-invoice to ANAF now, or ask ANAF again about a submitted one (manage_invoices)",
        form=CSRF_ONLY_FORM, session=True, cookies=(303,),
        answers={303: "To the invoice's page with the e-Factura status, or ANAF's failure to answer.",
                 403: "CSRF check failed, a client contact, or a role without manage_invoices.", 404: "No such invoice."}),
    ("GET", "/credit-notes"): page(
        "The client's credit notes, newest first (invoices)", query=("cursor",), session=True, cookies=(200,),
        answers={200: "The page (50 credit notes, a link to older ones).", 303: "To /login when signed out.",
                 403: "No invoices permission.", 422: "A cursor this page did not give out."}),
    ("GET", "/credit-notes/{credit_note_id}/pdf"): page(
        "Download a credit note's PDF (download_documents)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "No download_documents permission.", 404: "No such credit note, or another client's."}),
    ("POST", "/admin/reminders/run"): api(
        "Send the overdue reminders now (the daily schedule does the same)", "Started", ref("ReminderRun"), status=202,
        capability=Capability.MANAGE_INVOICES,
        description="Open invoices past due become `overdue`; each gets the reminder it is due (1, 7 and 14 days past "
                    "due), never twice."),
    # payments.py (public: the gateway's signature is the authentication)
    ("POST", "/payments/webhook"): api(
        "The payment gateway's webhook (Stripe events): money taken is always recorded on its invoice",
        "Recorded (2xx only once it is stored): what is due is paid, the rest becomes the client's credit; a currency "
        "mismatch is kept for finance; a replayed event is recorded once", ref("WebhookReceipt"),
        headers=("Stripe-Signature",),
        description="The body is the gateway's event exactly as signed (a Stripe event object, `application/json`); "
                    "it is verified with `Stripe-Signature`, not parsed against a schema of this API.",
        errors={400: "`invalid_signature`: missing, wrong or stale signature, or a body that is no signed event.",
                404: "`invoice_not_found`.", 409: "`stale_version` (the invoice kept changing; the gateway retries).",
                422: "`invalid_amount` (not a positive amount)."}),
    # portal.py (buyer tokens, scoped to the token's client)
    ("GET", "/portal/me"): api("The signed-in contact, its client and permissions", "Who is calling", ref("Me"),
                               errors={403: PORTAL_403}),
    ("GET", "/portal/catalogue"): api(
        "The client's catalogue with its prices", "One page of products", page_of("CatalogueItem"),
        query=("category", "q", "limit", "cursor"),
        errors={422: "`invalid_limit`, `invalid_cursor`, `invalid_value` (category or q over 100 characters).",
                403: PORTAL_403}),
    ("GET", "/portal/catalogue/{sku}"): api(
        "One product as the client sees it", "The product", ref("CatalogueItem"),
        errors={403: PORTAL_403, 404: "`product_not_found`: unknown, hidden, or not priced for this client."}),
    ("POST", "/portal/orders"): api(
        "Place an order at the client's prices (place_orders)", "Placed (or, with a key used before for the same body, "
        "that same order)", ref("Order"), status=201, body="ORDER", headers=("Idempotency-Key",),
        description="Prices are resolved on the server. The order starts as `draft` or `sent` (settings) with review "
                    "`pending`; without delivery_address_id or delivery_address it goes to the client's first address.",
        errors={403: portal_403("place_orders"),
                409: "`idempotency_key_reused` (this key was used for a different body), `request_in_progress` (the "
                     "same key is being placed right now) or `busy` (retry).",
                422: "`invalid_quantity`, `duplicate_sku`, `too_many_lines`, `unknown_product`, `product_not_orderable`, "
                     "`below_min_qty`, `above_max_qty` (`field`: `lines[i].sku`/`lines[i].qty`), `unknown_address`, "
                     "`missing_field`, `invalid_value` (e.g. an Idempotency-Key over 200 characters) or a schema error."}),
    ("GET", "/portal/orders"): api(
        "The client's orders, newest first (orders)", "One page of orders (`fulfilment_status` is null here)",
        page_of("Order"), query=("limit", "cursor"),
        errors={403: portal_403("orders"), 422: "`invalid_limit` or `invalid_cursor`."}),
    ("GET", "/portal/orders/{order_id}"): api(
        "One order with its history, delivery notes, invoices and fulfilment status (orders)", "The order",
        ref("OrderDetail"), errors={403: portal_403("orders"), 404: "`order_not_found` (or another client's)."}),
    ("POST", "/portal/orders/{order_id}/accept-changes"): api(
        "Accept the changes a reviewer proposed (place_orders)", "The order with the proposed lines, status `accepted`",
        ref("Order"),
        errors={403: portal_403("place_orders"), 404: "`order_not_found` (or another client's).",
                409: "`order_state_conflict` (no proposal awaiting an answer) or `stale_version`."}),
    ("POST", "/portal/orders/{order_id}/decline-changes"): api(
        "Decline the changes a reviewer proposed (place_orders)", "The order, status `declined`", ref("Order"),
        errors={403: portal_403("place_orders"), 404: "`order_not_found` (or another client's).",
                409: "`order_state_conflict` (no proposal awaiting an answer) or `stale_version`."}),
    ("POST", "/portal/orders/{order_id}/reorder"): api(
        "Order the same lines again at today's prices (place_orders)",
        "The new order; `skipped` lists the lines that cannot be ordered now", ref("Reordered"), status=201,
        headers=("Idempotency-Key",),
        errors={403: portal_403("place_orders"), 404: "`order_not_found` (or another client's).",
                409: "`idempotency_key_reused`, `request_in_progress` or `busy` (retry).",
                422: "`nothing_to_reorder`: none of the lines can be ordered now."}),
    ("GET", "/portal/cart"): api(
        "The contact's cart at today's prices, with warnings before checkout (place_orders)", "The cart", ref("Cart"),
        errors={403: portal_403("place_orders")}),
    ("PUT", "/portal/cart/lines/{sku}"): api(
        "Put a quantity of a product in the cart, replacing its quantity; 0 removes it (place_orders)", "The cart",
        ref("Cart"), body="CART_LINE",
        errors={403: portal_403("place_orders"), 409: "`cart_changed`: written by another tab meanwhile (retry).",
                422: "`invalid_quantity`, `unknown_product`, `product_not_orderable` or `too_many_lines`."}),
    ("DELETE", "/portal/cart/lines/{sku}"): api(
        "Remove a product from the cart (place_orders)", "The cart", ref("Cart"),
        errors={403: portal_403("place_orders"), 422: "`not_in_cart`."}),
    ("POST", "/portal/cart/import"): api(
        "Quick order: add `SKU,qty` lines (text/csv) or an .xlsx file's first sheet to the cart (place_orders)",
        "What was added and each row that was not, with its reason", ref("CartImport"),
        description="Body: CSV text (comma, semicolon or tab separated; an optional header row naming SKU and quantity "
                    "columns) or an .xlsx workbook.",
        errors={403: portal_403("place_orders"),
                415: "`unsupported_media_type`: not text/csv, text/plain or an .xlsx workbook.",
                422: "`missing_field` (empty body), `file_too_large`, `unreadable_file` or `too_many_lines`."}),
    ("POST", "/portal/cart/checkout"): api(
        "Place the cart as an order and empty it, once per cart version (place_orders)", "The order (200 when this "
        "Idempotency-Key had placed it already)", ref("Order"), status=201, body="CART_CHECKOUT", optional_body=True,
        headers=("Idempotency-Key",),
        errors={403: portal_403("place_orders"),
                409: "`cart_empty` (checked out already, e.g. in another tab) or `cart_changed` (not the version named).",
                422: "The order's rules, as POST /portal/orders (`below_min_qty` on `lines[i].qty`, `unknown_address`...)."}),
    ("POST", "/portal/orders/{order_id}/reorder-to-cart"): api(
        "Put an earlier order's lines in the cart at today's prices; nothing is ordered (place_orders)",
        "The cart, with the lines whose price changed and those that cannot be ordered now", ref("CartReordered"),
        errors={403: portal_403("place_orders"), 404: "`order_not_found` (or another client's).",
                422: "`nothing_to_reorder`."}),
    ("POST", "/portal/cart/request-quote"): api(
        "Ask the client's agent for a quote on the cart: a draft proposal, the agent emailed (place_orders)",
        "The draft proposal's id and number", shape(proposal_id=STR, number=STR, status=STR), status=201,
        body="QUOTE_REQUEST", optional_body=True,
        errors={403: portal_403("place_orders"), 422: "`cart_empty`, or a line that cannot be ordered."}),
    ("GET", "/portal/saved-lists"): api(
        "The contact's saved lists (place_orders)", "The lists", {"type": "object", "properties": {
            "items": {"type": "array", "items": ref("SavedList")}, "next_cursor": {"type": "null"}}},
        errors={403: portal_403("place_orders")}),
    ("POST", "/portal/saved-lists"): api(
        "Create a saved list, empty or from the cart's lines (place_orders)", "The list", ref("SavedList"), status=201,
        body="SAVED_LIST", errors={403: portal_403("place_orders"), 422: "`cart_empty`, `too_many_lists` or a bad name."}),
    ("PUT", "/portal/saved-lists/{list_id}/lines/{sku}"): api(
        "Put a product with its usual quantity on a saved list (place_orders)", "The list", ref("SavedList"),
        body="CART_LINE", errors={403: portal_403("place_orders"), 404: "`saved_list_not_found`.",
                                  422: "`invalid_quantity`, `unknown_product`, `product_not_orderable`."}),
    ("POST", "/portal/saved-lists/{list_id}/add-to-cart"): api(
        "Put a saved list's products in the cart (place_orders)", "The cart; `skipped` names what cannot be ordered now",
        {"allOf": [ref("Cart"), shape(skipped={"type": "array", "items": shape(sku=STR, message=STR)})]},
        errors={403: portal_403("place_orders"), 404: "`saved_list_not_found`.", 422: "`nothing_to_add`."}),
    ("GET", "/portal/deliveries"): api(
        "The client's delivery notes, newest first (deliveries)", "One page of delivery notes", page_of("DeliveryNote"),
        query=("limit", "cursor"), errors={403: portal_403("deliveries"), 422: "`invalid_limit` or `invalid_cursor`."}),
    ("GET", "/portal/deliveries/{dn_id}/pdf"): api(
        "Download a delivery note's PDF (download_documents)", "Redirect to the PDF", status=302,
        answer_headers=DOWNLOAD_REDIRECT,
        errors={403: portal_403("download_documents"), 404: "`delivery_note_not_found` (or another client's)."}),
    ("GET", "/portal/invoices"): api(
        "The client's invoices, newest first; never drafts (invoices)", "One page of invoices", page_of("Invoice"),
        query=("limit", "cursor"), errors={403: portal_403("invoices"), 422: "`invalid_limit` or `invalid_cursor`."}),
    ("GET", "/portal/invoices/{invoice_id}"): api(
        "One invoice (invoices)", "The invoice", ref("Invoice"),
        errors={403: portal_403("invoices"), 404: "`invoice_not_found` (also for drafts and another client's)."}),
    ("GET", "/portal/invoices/{invoice_id}/pdf"): api(
        "Download an invoice's PDF (download_documents)", "Redirect to the PDF", status=302, answer_headers=DOWNLOAD_REDIRECT,
        errors={403: portal_403("download_documents"), 404: "`invoice_not_found` (also for drafts and another client's)."}),
    ("GET", "/portal/invoices/{invoice_id}/e-invoice"): api(
        "Download an invoice's UBL e-invoice (download_documents)", "Redirect to the XML", status=302,
        answer_headers=DOWNLOAD_REDIRECT,
        errors={403: portal_403("download_documents"),
                404: "`invoice_not_found`, or `e_invoice_not_found` (the client has no VAT number)."}),
    ("POST", "/portal/invoices/{invoice_id}/pay"): api(
        "Pay what is due on an invoice online (invoices)", "A checkout session: send the buyer to `checkout_url`; the "
        "payment is recorded when the gateway's webhook arrives", ref("Checkout"), status=201,
        errors={403: portal_403("invoices"), 404: "`invoice_not_found` (also for drafts and another client's).",
                409: "`invoice_not_open` (nothing due) or `payment_refused` (the gateway cannot take this amount).",
                503: "`payment_gateway_unavailable`: try again in a few minutes."}),
    # web/documents.py (the buyer's deliveries, invoices and statement; the staff's delivery notes and invoices)
    ("GET", "/deliveries"): page(
        "The client's deliveries, newest first: status (preparing/shipped/delivered), courier, AWB with tracking link",
        query=("cursor",), session=True, cookies=(200,),
        answers={200: "The page (25 deliveries, a link to older ones).", 303: "To /login when signed out.",
                 403: "No deliveries permission.", 422: "A cursor this page did not give out."}),
    ("GET", "/deliveries/{dn_id}/pdf"): page(
        "Download a delivery note's PDF (download_documents)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "No download_documents permission.", 404: "No such delivery, or another client's."}),
    ("GET", "/invoices"): page(
        "The client's invoices (never drafts), newest first, with PDF / e-invoice links and Pay online",
        query=("cursor",), session=True, cookies=(200,),
        answers={200: "The page (25 invoices, a link to older ones).", 303: "To /login when signed out.",
                 403: "No invoices permission.", 422: "A cursor this page did not give out."}),
    ("GET", "/invoices/{invoice_id}"): page(
        "One invoice: lines, VAT breakdown, payments, amount due", session=True, cookies=(200,),
        answers={200: "The page (`paid=1`, back from the checkout: a thank-you until the payment is recorded).",
                 303: "To /login when signed out.", 403: "No invoices permission.",
                 404: "No such invoice, a draft, or another client's."}),
    ("GET", "/invoices/{invoice_id}/pdf"): page(
        "Download the invoice PDF (download_documents); rendered now if the workflow has not yet", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "No download_documents permission.", 404: "No such invoice, a draft, or another client's."}),
    ("GET", "/invoices/{invoice_id}/e-invoice"): page(
        "Download the UBL e-invoice (download_documents)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "No download_documents permission.",
                 404: "No such invoice, another client's, or no e-invoice (client without VAT number)."}),
    ("POST", "/invoices/{invoice_id}/pay"): page(
        "Pay what is due online: to the payment gateway's hosted checkout (invoices)", form=PAY_FORM, session=True, cookies=(303,),
        answers={303: "To the checkout URL; or back to /invoices (or the invoice) with the refusal (nothing due, gateway down).",
                 403: "CSRF check failed, or no invoices permission.", 404: "No such invoice, a draft, or another client's."}),
    ("GET", "/proposals"): page(
        "The client's proposals (never drafts), newest first (proposals)", query=("cursor",), session=True, cookies=(200,),
        answers={200: "The page (25 proposals, a link to older ones).", 303: "To /login when signed out.",
                 403: "No proposals permission.", 422: "A cursor this page did not give out."}),
    ("GET", "/proposals/{proposal_id}"): page(
        "One proposal with Accept / Decline while it is open; opening a sent one marks it viewed", session=True,
        cookies=(200,), answers={200: "The page.", 303: "To /login when signed out.", 403: "No proposals permission.",
                                 404: "No such proposal, a draft, or another client's."}),
    ("POST", "/proposals/{proposal_id}/accept"): page(
        "Accept the proposal: an accepted order at its prices", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the new order's page (or back to the proposal without the orders permission).",
                 403: "CSRF check failed, or no proposals permission.", 404: "No such proposal, or another client's.",
                 409: "Answered already, or expired."}),
    ("POST", "/proposals/{proposal_id}/decline"): page(
        "Decline the proposal, optionally saying why", form=DECLINE_FORM, session=True, cookies=(303,),
        answers={303: "Back to the proposal.", 403: "CSRF check failed, or no proposals permission.",
                 404: "No such proposal, or another client's.", 409: "Answered already."}),
    ("GET", "/statement"): page(
        "Statement of account: opening balance, invoices and payments with a running balance, closing balance (invoices)",
        query=("from", "to"), session=True, cookies=(200, 422),
        answers={200: "The page (this month so far by default).", 303: "To /login when signed out.",
                 403: "No invoices permission.", 422: "The page with the error: a bad date, or to before from."}),
    ("GET", "/statement/pdf"): page(
        "Download the statement as PDF (download_documents)", query=("from", "to"), session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "No download_documents permission.", 422: "A bad date, or to before from."}),
    ("GET", "/agent/delivery-notes"): page(
        "Delivery notes by status for the warehouse, oldest first (view_deliveries)", query=("delivery_status", "cursor"),
        session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role without view_deliveries.",
                 404: "Not one of the status tabs.", 422: "A cursor this page did not give out."}),
    ("GET", "/agent/delivery-notes/{dn_id}"): page(
        "One delivery note: order, lines, parcels, AWB, back-order links, and the next step's form (view_deliveries)",
        session=True, cookies=(200,),
        answers={200: "The page (forms only with manage_deliveries).", 303: "To /login when signed out.",
                 403: "A client contact, or a role without view_deliveries.", 404: "No such delivery note."}),
    ("GET", "/agent/delivery-notes/{dn_id}/pdf"): page(
        "Download the delivery note PDF (view_deliveries)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "A client contact, or a role without view_deliveries.", 404: "No such delivery note."}),
    ("POST", "/agent/delivery-notes/{dn_id}/approve"): page(
        "Approve: stock is taken once; what is missing goes on a back-order note (manage_deliveries)", form=LOGOUT_FORM,
        session=True, cookies=(303,),
        answers={303: "To the note's page with a notice naming any back-order (or the refusal, e.g. no stock).",
                 403: "CSRF check failed, a client contact, or a role without manage_deliveries.", 404: "No such delivery note."}),
    ("POST", "/agent/delivery-notes/{dn_id}/packing-list"): page(
        "The packing list, one row per parcel (manage_deliveries); the courier's AWB follows", form=PACKING_FORM,
        session=True, cookies=(303, 409, 422),
        answers={303: "To the note's page with a notice.", 403: "CSRF check failed, a client contact, or a role without manage_deliveries.",
                 404: "No such delivery note.", 409: "The page again: the note is not approved (any more).",
                 422: "The page again with what was typed and the refusal next to its parcel."}),
    ("POST", "/agent/delivery-notes/{dn_id}/delivered"): page(
        "Mark a shipped note delivered (manage_deliveries)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the note's page with a notice (or the refusal).",
                 403: "CSRF check failed, a client contact, or a role without manage_deliveries.", 404: "No such delivery note."}),
    ("POST", "/agent/delivery-notes/{dn_id}/retry-awb"): page(
        "After awb_failed: book the courier again (manage_deliveries)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the note's page with a notice (or the refusal).",
                 403: "CSRF check failed, a client contact, or a role without manage_deliveries.", 404: "No such delivery note."}),
    ("POST", "/agent/orders/{order_id}/delivery-notes"): page(
        "A delivery note for all of an accepted order's lines not yet on one (manage_deliveries)", form=LOGOUT_FORM,
        session=True, cookies=(303,),
        answers={303: "To the new note's page; to the order's page with the refusal (not accepted, nothing left).",
                 403: "CSRF check failed, a client contact, or a role without manage_deliveries.", 404: "No such order."}),
    ("POST", "/agent/orders/{order_id}/invoice"): page(
        "Issue the invoice of an accepted order without one; PDF and email follow in the workflow (manage_invoices)",
        form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the invoice's page; to the order's page with the refusal (not accepted, already invoiced).",
                 403: "CSRF check failed, a client contact, or a role without manage_invoices.", 404: "No such order."}),
    # admin_clients.py (back office: clients, contacts, staff, audit)
    ("GET", "/admin/clients"): api(
        "Clients by name, searched and filtered (an agent: its own clients only)", "One page", page_of("ClientRow"),
        query=("client_q", "client_group_id", "agent_id", "client_status", "limit", "cursor"),
        capability=Capability.VIEW_CLIENTS, errors={422: "`invalid_value` (status, q), `invalid_limit`, `invalid_cursor`."}),
    ("PATCH", "/admin/clients/{client_id}"): api(
        "Change some of a client's fields (`group_id: null` removes the group; `portal_enabled: false` signs its contacts out)",
        "The client", ref("EditedClient"), body="CLIENT_PATCH", capability=Capability.MANAGE_CLIENTS,
        errors={404: "`client_not_found` (or another agent's client).", 409: "`stale_version` (changed meanwhile).",
                422: "`unknown_group`, `unknown_agent`, `invalid_county` or a schema error."}),
    ("GET", "/admin/clients/{client_id}/contacts"): api(
        "A client's contacts with their status and last sign-in", "The contacts", page_of("ContactAccount"),
        capability=Capability.VIEW_CLIENTS, errors={404: "`client_not_found`."}),
    ("GET", "/admin/contacts/{contact_id}"): api(
        "One contact", "The contact", ref("ContactAccount"), capability=Capability.VIEW_CLIENTS,
        errors={404: "`contact_not_found`."}),
    ("PATCH", "/admin/contacts/{contact_id}"): api(
        "Change a contact's name, phone or some permissions", "The contact", ref("ContactAccount"), body="CONTACT_PATCH",
        capability=Capability.MANAGE_CLIENTS, errors={404: "`contact_not_found`."}),
    ("POST", "/admin/contacts/{contact_id}/disable"): api(
        "Disable a contact: Cognito refuses its sign-in and its tokens get 401 at the next request", "The contact",
        ref("ContactAccount"), capability=Capability.MANAGE_CLIENTS, errors={404: "`contact_not_found`."}),
    ("POST", "/admin/contacts/{contact_id}/enable"): api(
        "Enable a disabled contact again", "The contact", ref("ContactAccount"), capability=Capability.MANAGE_CLIENTS,
        errors={404: "`contact_not_found`."}),
    ("POST", "/admin/contacts/{contact_id}/reset-password"): api(
        "Email the contact a code to set a new password", "Sent", shape(status={"const": "reset_sent"}), status=202,
        capability=Capability.MANAGE_CLIENTS, errors={404: "`contact_not_found`.", 409: "`contact_disabled`."}),
    ("POST", "/admin/contacts/{contact_id}/resend-invitation"): api(
        "Send the invitation again with a new temporary password (a contact that never signed in)", "Sent",
        ref("ContactAccount"), status=202, capability=Capability.MANAGE_CLIENTS,
        errors={404: "`contact_not_found`.", 409: "`no_portal_access`, `contact_disabled` or `already_signed_in`."}),
    ("GET", "/admin/staff"): api(
        "Every staff member", "The staff", page_of("StaffMember"), capability=Capability.MANAGE_STAFF),
    ("PATCH", "/admin/staff/{user_id}"): api(
        "Rename a staff member or change its role", "The staff member", ref("StaffMember"), body="STAFF_PATCH",
        capability=Capability.MANAGE_STAFF, errors={404: "`staff_not_found`.", 409: "`last_admin`."}),
    ("POST", "/admin/staff/{user_id}/disable"): api(
        "Disable a staff login (its tokens get 401 at the next request)", "The staff member", ref("StaffMember"),
        capability=Capability.MANAGE_STAFF, errors={404: "`staff_not_found`.", 409: "`last_admin`, `cannot_disable_self`."}),
    ("POST", "/admin/staff/{user_id}/enable"): api(
        "Enable a staff login again", "The staff member", ref("StaffMember"), capability=Capability.MANAGE_STAFF,
        errors={404: "`staff_not_found`."}),
    ("GET", "/admin/audit"): api(
        "The audit log, newest first: staff changes with before and after (agents: one of their clients)", "One page",
        page_of("AuditEntry"), query=("entity_type", "entity_id", "limit", "cursor"), capability=Capability.VIEW_CLIENTS,
        errors={404: "`client_not_found` (an agent asking about another agent's client).",
                422: "`invalid_value` (entity_type), `missing_field`, `invalid_limit`, `invalid_cursor`."}),
    ("GET", "/agent/clients"): page(
        "Clients: search, filters and paging (view_clients; agents see their own)", query=("client_q", "client_group_id", "agent_id",
                                                                                          "client_status", "cursor"),
        session=True, cookies=(200,), answers={200: "The page (a bad filter shows its message).", 303: "To /login when signed out.",
                                               403: "A client contact, or a role without view_clients."}),
    ("GET", "/agent/clients/{client_id}"): page(
        "One client: account, credit headroom, addresses, price lists, contacts, orders, invoices, changes", session=True,
        cookies=(200,), answers={200: "The page.", 303: "To /login when signed out.",
                                 403: "A client contact, or a role without view_clients.",
                                 404: "No such client (or another agent's)."}),
    ("GET", "/agent/clients/{client_id}/edit"): page(
        "The client's edit form (manage_clients)", session=True, cookies=(200,),
        answers={200: "The form.", 303: "To /login when signed out.", 403: "A role without manage_clients.", 404: "No such client."}),
    ("POST", "/agent/clients/{client_id}/edit"): page(
        "Save the client (manage_clients)", form=CLIENT_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "To the client's page with a notice.", 403: "CSRF check failed, or a role without manage_clients.",
                 404: "No such client.", 409: "The form again: the client changed meanwhile.",
                 422: "The form again with what was typed and the field at fault."}),
    ("POST", "/agent/contacts/{contact_id}"): page(
        "Save a contact's name, phone and permissions (manage_clients)", form=CONTACT_FORM, session=True, cookies=(303, 422),
        answers={303: "To the client's page with a notice.", 403: "CSRF check failed, or a role without manage_clients.",
                 404: "No such contact.", 422: "The client's page with the contact's form and the field at fault."}),
    **{("POST", f"/agent/contacts/{{contact_id}}/{act}"): page(
        f"{words} (manage_clients)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the client's page with a notice (or the refusal).",
                 403: "CSRF check failed, or a role without manage_clients.", 404: "No such contact."})
       for act, words in (("disable", "Disable a contact"), ("enable", "Enable a contact"),
                          ("reset-password", "Email a contact a password reset"),
                          ("resend-invitation", "Send a contact its invitation again"))},
    ("GET", "/agent/staff"): page(
        "Staff with their roles and status (admin)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a staff role other than admin."}),
    ("POST", "/agent/staff/{user_id}/role"): page(
        "Change a staff member's role (admin)", form=ROLE_FORM, session=True, cookies=(303,),
        answers={303: "To the staff page with a notice or the refusal (the last admin).",
                 403: "CSRF check failed, or a staff role other than admin.", 404: "No such staff member."}),
    **{("POST", f"/agent/staff/{{user_id}}/{act}"): page(
        f"{act.capitalize()} a staff login (admin)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the staff page with a notice or the refusal.",
                 403: "CSRF check failed, or a staff role other than admin.", 404: "No such staff member."})
       for act in ("disable", "enable")},
    ("GET", "/agent/settings"): page(
        "Every portal setting on one form (admin)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a staff role other than admin."}),
    ("POST", "/agent/settings"): page(
        "Save the settings (admin)", form=SETTINGS_FORM, session=True, cookies=(303, 422),
        answers={303: "To the settings page with a notice.", 403: "CSRF check failed, or a staff role other than admin.",
                 422: "The form again with what was typed and the field at fault."}),
    ("GET", "/agent/audit"): page(
        "The audit log, newest first, by entity (admin)", query=("entity_type", "entity_id", "cursor"), session=True,
        cookies=(200,), answers={200: "The page.", 303: "To /login when signed out.",
                                 403: "A client contact, or a staff role other than admin."}),
    ("GET", "/agent/invoices"): page(
        "Invoices by status, by due date (view_invoices)", query=("invoice_status", "cursor"), session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role without view_invoices.",
                 404: "Not one of the status tabs.", 422: "A cursor this page did not give out."}),
    ("GET", "/agent/invoices/{invoice_id}"): page(
        "One invoice with its payments and, while open, the record-payment form (view_invoices)", session=True, cookies=(200,),
        answers={200: "The page (the form only with manage_invoices).", 303: "To /login when signed out.",
                 403: "A client contact, or a role without view_invoices.", 404: "No such invoice."}),
    ("GET", "/agent/invoices/{invoice_id}/pdf"): page(
        "Download the invoice PDF (view_invoices)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "A client contact, or a role without view_invoices.", 404: "No such invoice."}),
    ("GET", "/agent/invoices/{invoice_id}/e-invoice"): page(
        "Download the UBL e-invoice (view_invoices)", session=True, cookies=(303,),
        answers={303: DOWNLOAD_303, 403: "A client contact, or a role without view_invoices.",
                 404: "No such invoice, or it has no e-invoice."}),
    ("POST", "/agent/invoices/{invoice_id}/payments"): page(
        "Record a (partial) payment (manage_invoices)", form=PAYMENT_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "To the invoice's page with a notice (amount still due).",
                 403: "CSRF check failed, a client contact, or a role without manage_invoices.", 404: "No such invoice.",
                 409: "The page again: the invoice takes no payments (paid, cancelled).",
                 422: "The page again with what was typed and the refusal (bad amount or date, overpayment)."}),
    ("GET", "/admin/products"): api(
        "Every product (visible in the portal or not), by SKU; search by code prefix or name words, filter by category",
        "One page of products", page_of("Product"), query=("q", "category", "limit", "cursor"),
        capability=Capability.VIEW_CATALOGUE),
    ("PATCH", "/admin/products/{sku}"): api(
        "Change a product's catalogue fields (never its stock counters)", "The product", ref("Product"),
        body="PRODUCT_PATCH", capability=Capability.MANAGE_CATALOGUE,
        errors={404: "`product_not_found`.", 422: "`invalid_qty_step` (min/max not multiples of the step), "
                "`invalid_quantity_range`, `invalid_value`, `missing_field` (empty body) or a schema error."}),
    ("POST", "/admin/products/{sku}/stock-adjustments"): api(
        "Add or take away counted stock with a reason; logged as a stock movement in the same write", "The product",
        ref("Product"), status=201, body="STOCK_ADJUSTMENT", capability=Capability.MANAGE_STOCK,
        errors={404: "`product_not_found`.", 409: "`insufficient_stock`: stock would go below zero.",
                422: "`invalid_value` (a zero change) or a schema error."}),
    ("GET", "/admin/products/{sku}/stock-movements"): api(
        "The product's stock movements, newest first (the latest 50)", "The movements", page_of("StockMovement"),
        capability=Capability.VIEW_CATALOGUE),
    ("POST", "/admin/products/import"): api(
        "Create or update products from a catalogue CSV (header `sku,name,category,unit,base_price,currency,vat_rate"
        "[,min_qty,max_qty,qty_step,portal_visible]`); up to 10,000 rows", "What was (or would be) done",
        ref("ImportResult"), query=("dry_run",), capability=Capability.MANAGE_CATALOGUE, description=CSV_IMPORT,
        errors={400: "`invalid_csv` (not UTF-8) or `payload_too_large` (over 5 MB)."}),
    ("GET", "/admin/exports/products"): api(
        "Every product as CSV (the import's columns, then min_stock and stock)", "`text/csv` attachment",
        capability=Capability.VIEW_CATALOGUE),
    ("PATCH", "/admin/price-lists/{price_list_id}"): api(
        "Change a list's name, owner (one client, one group or the default) or validity window", "The list",
        ref("PriceList"), body="PRICE_LIST_PATCH", capability=Capability.MANAGE_PRICING,
        errors={404: "`price_list_not_found`.", 409: "`price_list_exists`: the new owner has a list already.",
                422: "`invalid_date_range`, `conflicting_assignment`, `unknown_client`, `unknown_group`, "
                     "`currency_mismatch` or a schema error."}),
    ("DELETE", "/admin/price-lists/{price_list_id}"): api(
        "Delete a list and its prices; its owner falls back to the next level", "Deleted", status=204,
        capability=Capability.MANAGE_PRICING, errors={404: "`price_list_not_found`."}),
    ("PUT", "/admin/price-lists/{price_list_id}/items/{sku}"): api(
        "Set a product's price in a list, with volume tiers (the lowest applicable tier wins inside the list)",
        "The item", ref("PriceItem"), body="PRICE_WITH_TIERS", capability=Capability.MANAGE_PRICING,
        errors={404: "`price_list_not_found` or `product_not_found`.",
                422: "`tier_not_lower`, `duplicate_tier` or a schema error."}),
    ("DELETE", "/admin/price-lists/{price_list_id}/items/{sku}"): api(
        "Take a product off a list", "Removed", status=204, capability=Capability.MANAGE_PRICING,
        errors={404: "`price_list_not_found` or `price_not_found`."}),
    ("POST", "/admin/price-lists/{price_list_id}/import"): api(
        "Add or change a list's prices from CSV (header `sku,price[,tiers]`, tiers written `10=9.50; 50=9.00`)",
        "What was (or would be) done", ref("ImportResult"), query=("dry_run",), capability=Capability.MANAGE_PRICING,
        description=CSV_IMPORT, errors={400: "`invalid_csv` (not UTF-8) or `payload_too_large` (over 5 MB).",
                                        404: "`price_list_not_found`."}),
    ("GET", "/admin/price-lists/{price_list_id}/export"): api(
        "A list's items as CSV (the import's columns)", "`text/csv` attachment", capability=Capability.VIEW_PRICING,
        errors={404: "`price_list_not_found`."}),
    ("GET", "/admin/clients/{client_id}/prices/{sku}"): api(
        "Why this client pays this price: every level of the price rule consulted, with its reason",
        "The price and its trace", ref("PriceTrace"), query=("qty",), capability=Capability.VIEW_PRICING,
        errors={404: "`client_not_found` or `product_not_found`."}),
    ("GET", "/agent/products"): page(
        "Products: search by code or name, filter by category, paged (view_catalogue)", query=("q", "category", "cursor"),
        session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role without view_catalogue.",
                 422: "A cursor this page did not give out."}),
    ("GET", "/agent/products/{sku}"): page(
        "One product: its edit form, stock, the stock adjustment form and the movement log (view_catalogue)",
        session=True, cookies=(200,),
        answers={200: "The page (forms by role: manage_catalogue edits, manage_stock adjusts).",
                 303: "To /login when signed out.", 403: "A client contact.", 404: "No such product."}),
    ("POST", "/agent/products/{sku}"): page(
        "Save a product's details (manage_catalogue)", form=PRODUCT_FORM, session=True, cookies=(303, 422),
        answers={303: "To the product's page with a notice.", 403: "CSRF check failed, or a role without manage_catalogue.",
                 404: "No such product.", 422: "The page again with what was typed and the refusal beside its field."}),
    ("POST", "/agent/products/{sku}/stock"): page(
        "Adjust the stock with a reason (manage_stock)", form=STOCK_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "To the product's page with a notice.", 403: "CSRF check failed, or a role without manage_stock.",
                 404: "No such product.", 409: "The page again: not that much in stock.",
                 422: "The page again with the refusal beside its field."}),
    ("GET", "/agent/import/products"): page(
        "The product import page (manage_catalogue)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A role without manage_catalogue."}),
    ("POST", "/agent/import/products"): page(
        "Check a catalogue CSV (preview with per-row errors), or with ?confirm=yes import it (manage_catalogue)",
        form=CSV_FORM, query=("confirm",), session=True, cookies=(200, 303, 422),
        answers={200: "The preview: what each row would do, and the confirm button.",
                 303: "Imported: to the products with a notice.", 403: "CSRF check failed, or a role without manage_catalogue.",
                 422: "The page with every row's problem; nothing was written."}),
    ("GET", "/agent/exports/products"): page(
        "Download every product as CSV (view_catalogue)", session=True, cookies=(200,),
        answers={200: "`text/csv` attachment.", 303: "To /login when signed out.", 403: "A client contact."}),
    ("GET", "/agent/price-lists"): page(
        "Price lists with whom each applies to (view_pricing)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role without view_pricing."}),
    ("GET", "/agent/price-lists/{price_list_id}"): page(
        "One price list: header, items with volume prices edited inline, add, import, export, delete (view_pricing)",
        session=True, cookies=(200,),
        answers={200: "The page (forms only with manage_pricing).", 303: "To /login when signed out.",
                 403: "A client contact, or a role without view_pricing.", 404: "No such price list."}),
    ("POST", "/agent/price-lists/{price_list_id}"): page(
        "Save a list's header: name, owner, validity (manage_pricing)", form=PRICE_LIST_FORM, session=True,
        cookies=(303, 409, 422),
        answers={303: "To the list with a notice.", 403: "CSRF check failed, or a role without manage_pricing.",
                 404: "No such price list.", 409: "The page again: the new owner has a list already.",
                 422: "The page again with the refusal beside its field."}),
    ("POST", "/agent/price-lists/{price_list_id}/items"): page(
        "Add or change one item's price and volume prices (manage_pricing)", form=PRICE_ITEM_FORM, session=True,
        cookies=(303, 404, 422),
        answers={303: "To the list with a notice.", 403: "CSRF check failed, or a role without manage_pricing.",
                 404: "No such price list, or the page again: no such product.",
                 422: "The page again with the refusal beside the item."}),
    ("POST", "/agent/price-lists/{price_list_id}/items/{sku}/delete"): page(
        "Take a product off the list (manage_pricing)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the list with a notice.", 403: "CSRF check failed, or a role without manage_pricing.",
                 404: "No such price list, or the list has no price for it."}),
    ("POST", "/agent/price-lists/{price_list_id}/import"): page(
        "Check a CSV of items (preview with per-row errors), or with ?confirm=yes import it (manage_pricing)",
        form=CSV_FORM, query=("confirm",), session=True, cookies=(200, 303, 422),
        answers={200: "The list with the preview and the confirm button.", 303: "Imported: to the list with a notice.",
                 403: "CSRF check failed, or a role without manage_pricing.", 404: "No such price list.",
                 422: "The list with every row's problem; nothing was written."}),
    ("GET", "/agent/price-lists/{price_list_id}/export"): page(
        "Download the list's items as CSV (view_pricing)", session=True, cookies=(200,),
        answers={200: "`text/csv` attachment.", 303: "To /login when signed out.", 403: "A role without view_pricing.",
                 404: "No such price list."}),
    ("POST", "/agent/price-lists/{price_list_id}/delete"): page(
        "Delete the list (manage_pricing)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the price lists with a notice.", 403: "CSRF check failed, or a role without manage_pricing.",
                 404: "No such price list."}),
    ("GET", "/agent/pricing"): page(
        "Why this price: a client, a product and a quantity, and every level of the price rule with its reason (view_pricing)",
        query=("client_id", "sku", "qty"), session=True, cookies=(200, 404),
        answers={200: "The page (the trace once a client and a product are given).", 303: "To /login when signed out.",
                 403: "A role without view_pricing.", 404: "The page with the problem: no such client."}),
    ("GET", "/agent/clients/{client_id}/prices"): page(
        "Why this price for one client (view_pricing)", query=("sku", "qty"), session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A role without view_pricing.",
                 404: "No such client."}),
    ("GET", "/agent/clients/{client_id}/preview"): page(
        "The catalogue exactly as one of the client's contacts sees it: prices, sources, stock when allowed; read-only "
        "(view_pricing)", query=("contact", "category", "q", "cursor"), session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A role without view_pricing.",
                 404: "No such client.", 422: "A cursor this page did not give out."}),
    ("GET", "/admin/dead-letters"): api(
        "Failed background work: what the table-stream and domain-event consumers gave up on after their retries",
        "The dead letters, oldest first (at most 100; nothing is consumed)", {
            "type": "object", "required": ["items", "next_cursor"], "properties": {
                "items": {"type": "array", "items": ref("DeadLetter")}, "next_cursor": {"type": "null"}}},
        capability=Capability.OPERATE_PLATFORM),
    ("POST", "/admin/dead-letters/{message_id}/replay"): api(
        "Process a dead letter again, as its consumer would have (safe: every consumer is idempotent)",
        "Replayed; it left the dead-letter queue", ref("DeadLetter"), capability=Capability.OPERATE_PLATFORM,
        errors={404: "`dead_letter_not_found` (replayed or discarded already).",
                409: "`records_expired` (the stream keeps records 24 hours) or `dead_letter_unreadable`."}),
    ("DELETE", "/admin/dead-letters/{message_id}"): api(
        "Discard a dead letter", "Discarded", status=204, capability=Capability.OPERATE_PLATFORM,
        errors={404: "`dead_letter_not_found`."}),
    ("GET", "/agent/failed-work"): page(
        "Failed background work with replay and discard buttons (admin)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a staff role other than admin."}),
    ("POST", "/agent/failed-work/{message_id}/replay"): page(
        "Replay one failed piece of work (admin)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the failed-work page with a notice, or the refusal (gone already, records expired).",
                 403: "CSRF check failed, a client contact, or a staff role other than admin."}),
    ("POST", "/agent/failed-work/{message_id}/discard"): page(
        "Discard one failed piece of work (admin)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the failed-work page with a notice, or the refusal (gone already).",
                 403: "CSRF check failed, a client contact, or a staff role other than admin."}),
    ("GET", "/admin/tasks"): api(
        "The caller's open tasks: orders to review, overdue reviews, failed AWBs (newest first, at most 200)",
        "The tasks", {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": shape(kind=STR, order_id=STR, title=STR, created_at=TIMESTAMP)},
            "next_cursor": {"type": "null"}}},
        capability=Capability.VIEW_ORDERS),
    ("POST", "/admin/intake"): api(
        "A client's order spreadsheet (xlsx) or CSV becomes a draft order in the review queue, origin `upload`",
        "The draft order with the rows that could not be ordered (200 with the same order when this file was received "
        "for this client before)", ref("IntakeOrder"), status=201, body="INTAKE", capability=Capability.REVIEW_ORDERS,
        errors={404: "`client_not_found`: another agent's client.",
                422: "`unknown_client`, `unsupported_file` (not .csv, .xlsx, .xlsm or .txt), `empty_file`, `no_valid_lines` "
                     "(nothing in the file can be ordered), `unreadable_file`, `no_ordering_contact` or an invalid "
                     "`content_base64`."}),
    ("POST", "/admin/proposals"): api(
        "Make a proposal (quote) for a client", "The proposal, `draft` or (with `send`) `sent`", ref("StaffQuote"),
        status=201, body="PROPOSAL", capability=Capability.REVIEW_ORDERS,
        errors={422: "`unknown_client`, `unknown_product`, `product_not_orderable`, `invalid_quantity`, `below_min_qty`, "
                     "`above_max_qty`, `duplicate_sku`, `invalid_date` (valid_until in the past) or a schema error."}),
    ("GET", "/admin/proposals"): api(
        "A client's proposals, newest first", "One page", page_of("StaffQuote"), query=("client_id", "limit", "cursor"),
        capability=Capability.VIEW_ORDERS, errors={422: "`missing_field` (client_id), `invalid_limit`, `invalid_cursor`."}),
    ("GET", "/admin/proposals/{proposal_id}"): api(
        "One proposal", "The proposal", ref("StaffQuote"), capability=Capability.VIEW_ORDERS,
        errors={404: "`proposal_not_found`."}),
    ("POST", "/admin/proposals/{proposal_id}/send"): api(
        "Send a draft proposal (emails the client's contacts with `proposals`)", "The proposal, `sent`", ref("StaffQuote"),
        capability=Capability.REVIEW_ORDERS,
        errors={404: "`proposal_not_found`.", 409: "`proposal_state_conflict` (not a draft) or `stale_version`."}),
    ("POST", "/admin/proposals/{proposal_id}/revise"): api(
        "A new version of a proposal; the old one becomes `revised`", "The new proposal", ref("StaffQuote"), status=201,
        body="REVISE_PROPOSAL", capability=Capability.REVIEW_ORDERS,
        errors={404: "`proposal_not_found`.", 409: "`proposal_state_conflict` (accepted or revised already).",
                422: "as for POST /admin/proposals"}),
    ("GET", "/portal/proposals"): api(
        "The client's proposals, newest first (never drafts)", "One page", page_of("Quote"), query=("limit", "cursor"),
        errors={403: portal_403("proposals")}),
    ("GET", "/portal/proposals/{proposal_id}"): api(
        "One proposal; opening a sent one marks it Open/Viewed", "The proposal", ref("Quote"),
        errors={403: portal_403("proposals"), 404: "`proposal_not_found` (a draft, or another client's)."}),
    ("POST", "/portal/proposals/{proposal_id}/accept"): api(
        "Accept a proposal, optionally with a PO number and delivery address: an accepted Sales Order at its prices "
        "follows (origin `proposal`, stock reserved)", "The proposal and its order",
        ref("AcceptedQuote"), body="OFFER_ACCEPT", optional_body=True,
        errors={403: portal_403("proposals"), 404: "`proposal_not_found`.",
                409: "`proposal_state_conflict` (answered already), `proposal_expired` (past `valid_until`; its status is "
                     "then `expired`) or `stale_version`.",
                422: "`missing_field` (the company has no delivery address), `unknown_address` or a schema error."}),
    ("POST", "/portal/proposals/{proposal_id}/decline"): api(
        "Decline a proposal, optionally saying why", "The proposal, `declined`", ref("Quote"), body="DECLINE_PROPOSAL",
        optional_body=True, errors={403: portal_403("proposals"), 404: "`proposal_not_found`.",
                                    409: "`proposal_state_conflict` or `stale_version`."}),
    ("GET", "/portal/statement"): api(
        "The client's account statement for a period (invoices)",
        "Opening balance, the period's invoices and payments with a running balance, closing balance",
        ref("Statement"), query=("from", "to"),
        errors={403: portal_403("invoices"), 422: "`invalid_date` (from or to) or `invalid_date_range`."}),
    ("GET", "/portal/statement/pdf"): api(
        "The same statement as a PDF (download_documents)", "Redirect to the PDF, rendered now", status=302,
        answer_headers=DOWNLOAD_REDIRECT, query=("from", "to"),
        errors={403: portal_403("download_documents"), 422: "`invalid_date` (from or to) or `invalid_date_range`."}),
    # chalicelib/web (HTML pages; session cookie)
    ("GET", "/"): page("Home: redirects to the buyer's dashboard", {303: "To /dashboard (which sends the signed out "
                                                                     "to /login and staff to their own first page)."}),
    ("GET", "/login"): page("The sign-in page (after an expired session it says so; `next` is where to go after)",
                            {200: "The form."}, query=("next", "expired"), cookies=(200,)),
    ("POST", "/login"): page(
        "Sign in (or set the first-login password); buyers and staff", form=LOGIN_FORM, cookies=(303,),
        answers={303: "Signed in, with the session cookies (and an empty cart): buyers to /dashboard, staff to /agent/orders.",
                 200: "The new-password step of a first login.",
                 401: "The form again with the error.", 403: "The form again: CSRF check failed.",
                 422: "The form again with the error (e.g. weak password)."}),
    ("POST", "/logout"): page("Sign out", {303: "To /login with the session cookies cleared (to /catalogue when the "
                                                 "CSRF check fails)."}, form=LOGOUT_FORM, cookies=(303,)),
    # api/reports.py and web/staff/reports.py, web/portal/dashboard.py (reports and the buyer's dashboard)
    ("GET", "/admin/reports/{name}"): api(
        "One of the eight reports for a period: sales-by-client, sales-by-agent, approval-sla, receivables-aging, "
        "overdue-invoices, clients-by-group, portal-activity, stock-below-minimum", "The report (or CSV with format=csv)",
        ref("Report"), query=REPORT_QUERY, capability=Capability.VIEW_CLIENTS,
        errors={404: "`unknown_report`.", 422: "`invalid_date`, `invalid_period` (from/to) or `invalid_value` (format, an id)."}),
    ("GET", "/portal/dashboard"): api(
        "The buyer's company at a glance: credit, balance, overdue money, open orders, deliveries on the way, spend per month",
        "The figures", ref("Dashboard"), errors={403: PORTAL_403}),
    ("GET", "/agent/reports"): page(
        "The list of reports (staff who see clients)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role that does not see clients."}),
    ("GET", "/agent/reports/{name}"): page(
        "One report: filters, an SVG chart, the table and its CSV link", query=("report_from", "report_to", "agent_id",
                                                                                "report_group_id", "report_client_id"),
        session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role that does not see clients.",
                 404: "No such report.", 422: "A bad date or period."}),
    ("GET", "/agent/reports/{name}/csv"): page(
        "The report as a CSV download (text/csv)", query=("report_from", "report_to", "agent_id", "report_group_id",
                                                          "report_client_id"), session=True,
        answers={200: "The CSV file.", 303: "To /login when signed out.", 403: "A client contact, or a role that does not see clients.",
                 404: "No such report.", 422: "A bad date or period."}),
    ("GET", "/dashboard"): page(
        "The buyer's landing page: credit, balance, overdue, open orders, deliveries on the way, spend per month (SVG)",
        session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out; staff to /agent/orders.",
                 403: "Signed in, but the contact has no portal access."}),
    ("GET", "/catalogue"): page(
        "The catalogue page of the signed-in buyer", query=("category", "q", "cursor"), session=True, cookies=(200,),
        answers={200: "The page (24 products, a next-page link).", 303: "To /login when signed out; staff to "
                 "/agent/orders; to /catalogue when the cursor is stale.", 403: "Signed in, but the contact has no portal access."}),
    ("GET", "/catalogue/{sku}"): page(
        "A product as the signed-in buyer sees it: their price and the list price it beats, description, datasheet, "
        "stock when allowed", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out; staff to /agent/orders.",
                 403: "Signed in, but the contact has no portal access.", 404: "Hidden, unknown or not priced for this client."}),
    # web/portal/cart.py, orders.py, quick_order.py, saved_lists.py (the buyer's ordering pages; session cookie; every form carries `csrf`). Signed out: 303 to /login;
    # staff: 303 to /agent/orders.
    ("POST", "/cart/add"): page(
        "Add a product to the stored cart (place_orders)", form=CART_ADD_FORM, session=True, cookies=(303,),
        answers={303: "Back to the catalogue page it came from, with a notice (or the error, e.g. a "
                      "quantity that is no whole number); to /login when signed out.",
                 403: "CSRF check failed, or no place_orders permission.", 404: "Not orderable by this client."}),
    ("GET", "/cart"): page(
        "The cart at the client's prices today, with each line's problem (e.g. below the minimum)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out (staff: to /agent/orders).", 403: "No place_orders permission."}),
    ("POST", "/cart/update"): page(
        "New quantities for the cart's lines (0 removes a line)", form=CART_UPDATE_FORM, session=True, cookies=(303,),
        answers={303: "To /cart (to /login when signed out).", 403: "CSRF check failed, or no place_orders permission."}),
    ("POST", "/cart/remove"): page(
        "Remove a line from the cart", form=CART_REMOVE_FORM, session=True, cookies=(303,),
        answers={303: "To /cart (to /login when signed out).", 403: "CSRF check failed, or no place_orders permission."}),
    ("GET", "/checkout"): page(
        "Review the lines at the client's prices, choose the delivery address, give a reference", session=True, cookies=(200,),
        answers={200: "The form, with a fresh Idempotency-Key in it.", 303: "To /cart when the cart is empty; to /login when signed out.",
                 403: "No place_orders permission."}),
    ("POST", "/checkout"): page(
        "Place the cart version the page showed (POST /portal/cart/checkout's rules; the form's key is the Idempotency-Key)",
        form=CHECKOUT_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "Placed (or already placed with this key): to /orders/{id} (to /catalogue without the orders "
                      "permission), with the cart emptied; to /login when signed out.",
                 403: "CSRF check failed, or no place_orders permission.",
                 409: "The form again with what happened: the cart was checked out already (another tab) or changed since.",
                 422: "The form again with the service's refusal next to its field (e.g. below_min_qty on a line)."}),
    ("GET", "/orders"): page(
        "The client's orders, newest first, found by number or reference (q), status and placing dates (from, to)",
        query=("cursor", "before"), session=True, cookies=(200,),
        answers={200: "The page (25 orders, links to newer and older ones; filters not understood are named on the page).", 303: "To /login when signed out.",
                 403: "No orders permission.", 422: "A cursor this page did not give out."}),
    ("GET", "/orders/{order_id}"): page(
        "One order: lines, totals, status, history; an agent's proposal with Accept / Decline", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "No orders permission.",
                 404: "No such order, or another client's."}),
    ("POST", "/orders/{order_id}/accept-changes"): page(
        "Accept the changes an agent proposed (place_orders)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the order's page with a notice (or the conflict, e.g. already answered).",
                 403: "CSRF check failed, or no place_orders permission.", 404: "No such order, or another client's."}),
    ("POST", "/orders/{order_id}/decline-changes"): page(
        "Decline the changes an agent proposed: the order is declined (place_orders)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the order's page with a notice (or the conflict).",
                 403: "CSRF check failed, or no place_orders permission.", 404: "No such order, or another client's."}),
    ("POST", "/orders/{order_id}/reorder-to-cart"): page(
        "Order these again: the lines go into the cart at today's prices; nothing is ordered (place_orders)",
        form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To /cart with the price changes and the lines left out; to the order's page when none could be "
                      "added.", 403: "CSRF check failed, or no place_orders permission.",
                 404: "No such order, or another client's."}),
    ("POST", "/cart/request-quote"): page(
        "Ask the sales agent for a quote on the cart's lines (place_orders)", form=QUOTE_FORM, session=True, cookies=(303,),
        answers={303: "To /cart with a notice (or why not).", 403: "CSRF check failed, or no place_orders permission."}),
    ("GET", "/quick-order"): page(
        "Quick order: paste lines or upload a CSV / XLSX file (place_orders)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "No place_orders permission."}),
    ("POST", "/quick-order"): page(
        "Add the pasted or uploaded lines to the cart (multipart/form-data)", form=QUICK_ORDER_FORM, session=True,
        cookies=(200, 422),
        answers={200: "The page with the lines added and each bad row with its reason.",
                 303: "To /login when signed out.", 403: "CSRF check failed, or no place_orders permission.",
                 422: "Nothing sent, or a file that cannot be read."}),
    ("GET", "/saved-lists"): page(
        "The buyer's saved lists (place_orders)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "No place_orders permission."}),
    ("POST", "/saved-lists"): page(
        "Create a saved list", form=LIST_NAME_FORM, session=True, cookies=(303,),
        answers={303: "To the new list (or back with the error).", 403: "CSRF check failed, or no place_orders permission."}),
    ("POST", "/saved-lists/from-cart"): page(
        "Save the cart's lines as a new list", form=LIST_NAME_FORM, session=True, cookies=(303,),
        answers={303: "To the new list (to /cart with the error).", 403: "CSRF check failed, or no place_orders permission."}),
    ("GET", "/saved-lists/{list_id}"): page(
        "One saved list", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "No place_orders permission.", 404: "No such list."}),
    ("POST", "/saved-lists/{list_id}/add"): page(
        "Put a product on a list (`favourites`: the catalogue's star, made on first use)", form=CART_ADD_FORM,
        session=True, cookies=(303,),
        answers={303: "Back to the catalogue page or the list, with a notice or the error.",
                 403: "CSRF check failed, or no place_orders permission.", 404: "No such list."}),
    ("POST", "/saved-lists/{list_id}/remove"): page(
        "Take a product off a list", form=CART_REMOVE_FORM, session=True, cookies=(303,),
        answers={303: "To the list.", 403: "CSRF check failed, or no place_orders permission.", 404: "No such list."}),
    ("POST", "/saved-lists/{list_id}/delete"): page(
        "Delete a list", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To /saved-lists.", 403: "CSRF check failed, or no place_orders permission.", 404: "No such list."}),
    ("POST", "/saved-lists/{list_id}/to-cart"): page(
        "Put a list's products in the cart", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To /cart, naming the products that cannot be ordered now.",
                 403: "CSRF check failed, or no place_orders permission.", 404: "No such list."}),
    # web/staff/review.py (staff pages; every staff role may look, deciding needs review_orders)
    ("GET", "/agent/orders"): page(
        "Orders by status for the staff (the review queue is status=draft), oldest first", query=("status", "cursor"),
        session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact (buyers have no staff pages).",
                 404: "Not one of the status tabs.", 422: "A cursor this page did not give out."}),
    ("GET", "/agent/orders/{order_id}"): page(
        "One order for the staff: client, lines, totals, checks with today's numbers, history, and the decision forms",
        session=True, cookies=(200,),
        answers={200: "The page (read-only without review_orders).", 303: "To /login when signed out.",
                 403: "A client contact.", 404: "No such order."}),
    ("POST", "/agent/orders/{order_id}/approve"): page(
        "Approve, with an optional discount (review_orders)", form=APPROVE_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "To the order's page with a notice.", 403: "CSRF check failed, a client contact, or a role without review_orders.",
                 404: "No such order.", 409: "The page again: the order was decided meanwhile.", 422: "The page again: bad discount."}),
    ("POST", "/agent/orders/{order_id}/reject"): page(
        "Reject with a reason the client reads (review_orders)", form=REJECT_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "To the order's page with a notice.", 403: "CSRF check failed, a client contact, or a role without review_orders.",
                 404: "No such order.", 409: "The page again: the order was decided meanwhile.", 422: "The page again: no reason."}),
    ("POST", "/agent/orders/{order_id}/cancel"): page(
        "Cancel an accepted order before any stock left, with a reason the client reads (review_orders)",
        form=CANCEL_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "To the order's page with a notice; the order shows as Cancelled.",
                 403: "CSRF check failed, a client contact, or a role without review_orders.",
                 404: "No such order.", 409: "The page again with why it cannot be cancelled (e.g. stock already taken).",
                 422: "The page again: no reason, or the confirmation box not ticked."}),
    ("POST", "/agent/orders/{order_id}/modify"): page(
        "Propose changed quantities, unit prices, a discount, with a message; the client answers (review_orders)",
        form=MODIFY_FORM, session=True, cookies=(303, 409, 422),
        answers={303: "To the order's page with a notice.", 403: "CSRF check failed, a client contact, or a role without review_orders.",
                 404: "No such order.", 409: "The page again: the order was decided meanwhile.",
                 422: "The page again with the refusal next to its line (e.g. below_min_qty, a bad unit price)."}),
    ("GET", "/review-links/{token}"): page(
        "A review link from the reviewer's email: the order and a confirm button; changes nothing (mail scanners open links)",
        cookies=(200,),
        answers={200: "The confirm page.", 404: "A forged or broken link.", 409: "The order is decided already.",
                 410: "The link has expired."}),
    ("POST", "/review-links/{token}"): page(
        "Approve or reject (the link's decision) as the link's reviewer", form=REVIEW_LINK_FORM, cookies=(200,),
        answers={200: "What was done.", 403: "CSRF check failed, or the reviewer may no longer decide.",
                 404: "A forged or broken link.", 409: "Decided meanwhile.", 410: "The link has expired.",
                 422: "The confirm page again: a rejection needs a reason."}),
    # admin_automation.py (admin, manager): workflow automation rules, dry runs, runs, templates
    ("GET", "/admin/automation/events"): api(
        "The events rules can run on, each with its payload fields and the fields of what it refers to",
        "The event catalogue", {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": AUTOMATION_EVENT}, "next_cursor": {"type": "null"}}},
        capability=Capability.MANAGE_AUTOMATION),
    ("POST", "/admin/automation/rules"): api(
        "Create a rule: trigger -> conditions -> actions", "Created", AUTOMATION_RULE_OUT, status=201, body="AUTOMATION_RULE",
        capability=Capability.MANAGE_AUTOMATION,
        errors={422: "`invalid_rule` or `invalid_template` with `field` naming the wrong part (`actions[1].url`)."}),
    ("GET", "/admin/automation/rules"): api(
        "Every rule, by name", "The rules", {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": AUTOMATION_RULE_OUT}, "next_cursor": {"type": "null"}}},
        capability=Capability.MANAGE_AUTOMATION),
    ("GET", "/admin/automation/rules/{rule_id}"): api(
        "One rule", "The rule", AUTOMATION_RULE_OUT, capability=Capability.MANAGE_AUTOMATION,
        errors={404: "`rule_not_found`."}),
    ("PATCH", "/admin/automation/rules/{rule_id}"): api(
        "Change parts of a rule (validated as a whole; its version goes up)", "The rule", AUTOMATION_RULE_OUT,
        body="AUTOMATION_RULE_PATCH", capability=Capability.MANAGE_AUTOMATION,
        errors={404: "`rule_not_found`.", 422: "`invalid_rule` with `field`."}),
    ("DELETE", "/admin/automation/rules/{rule_id}"): api(
        "Delete a rule (its runs stay in the audit)", "Deleted", status=204, capability=Capability.MANAGE_AUTOMATION,
        errors={404: "`rule_not_found`."}),
    ("POST", "/admin/automation/rules/{rule_id}/dry-run"): api(
        "Try a rule on a sample event or on the events stored since a date: what matches, why, what would be done",
        "The explanation; nothing is sent or written", {"type": "object", "required": ["matched", "conditions", "actions"],
                                                        "properties": {"matched": {"type": "boolean"},
                                                                       "conditions": {"type": "array", "items": {"type": "object"}},
                                                                       "actions": {"type": "array", "items": shape(type=STR, would=STR)}}},
        body="AUTOMATION_DRY_RUN", capability=Capability.MANAGE_AUTOMATION,
        errors={404: "`rule_not_found`.", 422: "`invalid_event` or a schema error."}),
    ("GET", "/admin/automation/runs"): api(
        "Runs of a rule (`rule_id`, newest first, paged), of a business object (`entity_id`), or the newest of all",
        "The runs", {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": AUTOMATION_RUN}, "next_cursor": {"type": ["string", "null"]}}},
        query=("rule_id", "entity_id", "limit", "cursor"), capability=Capability.MANAGE_AUTOMATION,
        errors={404: "`rule_not_found`."}),
    ("GET", "/admin/automation/templates"): api(
        "Installable rule templates (the automation use cases and the ordering workflow's examples)", "The templates",
        {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": shape(key=STR, title=STR, group=STR, source=STR, description=STR)},
            "next_cursor": {"type": "null"}}},
        capability=Capability.MANAGE_AUTOMATION),
    ("POST", "/admin/automation/templates/{key}/install"): api(
        "Install a template as a new rule, disabled until enabled", "Created", AUTOMATION_RULE_OUT, status=201,
        capability=Capability.MANAGE_AUTOMATION, errors={404: "`template_not_found`."}),
    ("GET", "/agent/automation"): page(
        "Automation: rules with enable/disable, recent runs, templates gallery (admin, manager)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role other than admin or manager."}),
    ("GET", "/agent/automation/rules/new"): page(
        "A new rule's editor", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role other than admin or manager."}),
    ("GET", "/agent/automation/rules/{rule_id}"): page(
        "One rule: its editor, dry-run panel and runs", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A role other than admin or manager.",
                 404: "No such rule."}),
    ("POST", "/agent/automation/rules"): page(
        "Create a rule from the editor", form=AUTOMATION_RULE_FORM, session=True, cookies=(303, 422),
        answers={303: "To the rule's page with a notice.", 403: "CSRF check failed, or a role other than admin or manager.",
                 422: "The editor again with what was typed and the refusal beside its box."}),
    ("POST", "/agent/automation/rules/{rule_id}"): page(
        "Save a rule from the editor", form=AUTOMATION_RULE_FORM, session=True, cookies=(303, 422),
        answers={303: "To the rule's page with a notice.", 403: "CSRF check failed, or a role other than admin or manager.",
                 404: "No such rule.", 422: "The editor again with what was typed and the refusal beside its box."}),
    ("POST", "/agent/automation/rules/validate"): page(
        "The editor's live validation: the form checked exactly as a save checks it; nothing is written",
        form=AUTOMATION_RULE_FORM, session=True, cookies=(200,), media=JSON, returns=AUTOMATION_RULE_CHECK,
        answers={200: "`{\"ok\": true}`, or the problems, each beside its editor box (`box`).",
                 303: "To /login when signed out.", 403: "CSRF check failed, or a role other than admin or manager."}),
    ("POST", "/agent/automation/rules/{rule_id}/toggle"): page(
        "Enable or disable a rule", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the automation page with a notice.", 403: "CSRF check failed, or a role other than admin or manager.",
                 404: "No such rule."}),
    ("POST", "/agent/automation/rules/{rule_id}/delete"): page(
        "Delete a rule", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the automation page with a notice.", 403: "CSRF check failed, or a role other than admin or manager.",
                 404: "No such rule."}),
    ("POST", "/agent/automation/rules/{rule_id}/dry-run"): page(
        "Dry-run a rule on a sample event or the events since a date (nothing is sent)", form=AUTOMATION_DRY_RUN_FORM,
        session=True, cookies=(200, 422),
        answers={200: "The rule's page with the explanation.", 403: "CSRF check failed, or a role other than admin or manager.",
                 404: "No such rule.", 422: "The rule's page with the refusal (sample not JSON, bad date)."}),
    ("GET", "/register"): page(
        "The public company registration form", cookies=(200,), answers={200: "The form."}),
    ("POST", "/register"): page(
        "Ask for a business account: a pending registration staff approve", form=REGISTER_FORM, cookies=(200, 403, 422),
        answers={200: "Thank-you message.", 403: "The form again: the CSRF check failed.",
                 422: "The form again with what was typed and the refusal beside its field."}),
    ("GET", "/agent/registrations"): page(
        "Company registrations waiting for approval (admin, manager)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "A client contact, or a role other than admin or manager."}),
    ("POST", "/agent/registrations/{registration_id}/approve"): page(
        "Approve a registration: the client and its contact, invited to the portal", form=LOGOUT_FORM, session=True,
        cookies=(303,), answers={303: "To the registrations page with a notice, or the refusal (decided already).",
                                 403: "CSRF check failed, or a role other than admin or manager."}),
    ("POST", "/agent/registrations/{registration_id}/reject"): page(
        "Reject a registration", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the registrations page with a notice, or the refusal (decided already).",
                 403: "CSRF check failed, or a role other than admin or manager."}),
    ("POST", "/agent/automation/templates/{key}/install"): page(
        "Install a template (disabled)", form=LOGOUT_FORM, session=True, cookies=(303,),
        answers={303: "To the new rule's page, or to the automation page with the refusal.",
                 403: "CSRF check failed, or a role other than admin or manager."}),
}


# --- portal accounts, company self-service, approvals (chalicelib/api/profile.py, company.py; web signin/account/company)
NOTIFY_SHAPE = shape(**{t: BOOL for t in ("order_updates", "invoices", "proposals", "comments", "approvals")})
RESPONSE_SCHEMAS.update({
    "Profile": shape(
        id=STR, email=STR, first_name=STR, last_name=STR, phone=STR_OR_NULL, notify=NOTIFY_SHAPE,
        permissions=ref("Permissions"), spending_limit={"type": ["string", "null"], "description": "order limit"},
        company=shape(id=STR, name=STR, vat_number=STR_OR_NULL, currency=STR, payment_term_days=INT, credit_limit=MONEY,
                      addresses={"type": "array", "items": ref("Address")}),
    ),
    "CompanyContact": shape(
        id=STR, email=STR, first_name=STR_OR_NULL, last_name=STR_OR_NULL, name=STR, permissions=ref("Permissions"),
        spending_limit={"type": ["string", "null"], "description": "order limit; null: none"},
        status={"enum": ["active", "disabled"]}),
})
PROFILE_FORM = form_of(["first_name", "last_name"], first_name=STR, last_name=STR, phone=STR,
                       **{f"notify_{t}": {"const": "on"} for t in ("order_updates", "invoices", "proposals", "comments", "approvals")},
                       **{f"shown_{t}": STR for t in ("order_updates", "invoices", "proposals", "comments", "approvals")})
PASSWORD_FORM = form_of(["current_password", "new_password", "repeat_password"], current_password=STR, new_password=STR,
                        repeat_password=STR)
MESSAGE_FORM = form_of(["message"], message={"type": "string", "maxLength": 4000})
FORGOT_FORM = form_of(["email"], email=STR)
RESET_FORM = form_of(["email", "code", "new_password"], email=STR, code=STR, new_password=STR)
PERMISSION_FIELD = {"type": "string", "enum": list(PORTAL_PERMISSIONS), "description": "repeated once per permission granted"}
INVITE_FORM = form_of(["email", "first_name", "last_name"], email=STR, first_name=STR, last_name=STR,
                      spending_limit={"type": "string", "description": "e.g. 500.00; empty: no limit"},
                      permission=PERMISSION_FIELD)
COLLEAGUE_FORM = form_of([], action={"enum": ["disable", "enable"], "description": "without it: save permissions and limit"},
                         spending_limit={"type": "string"}, permission=PERMISSION_FIELD)
DECISION_FORM = form_of(["decision"], decision={"enum": ["approve", "reject"]},
                        reason={"type": "string", "maxLength": 2000, "description": "why not (rejections)"})
QUERY.update({
    "next": {"schema": {"type": "string"}, "description": "an app path to return to after signing in (others are ignored)"},
    "expired": {"schema": {"const": "1"}, "description": "the session expired: the page says so"},
    "email": {"schema": {"type": "string"}, "description": "prefills the email field"},
    "sent": {"schema": {"const": "1"}, "description": "a code was just requested: the page says so"},
})
MANAGE_COMPANY_403 = portal_403("manage_company")
APPROVE_403 = portal_403("approve_orders")
RESPONSE_SCHEMAS["Comment"] = shape(id=STR, author_name=STR, author_side={"enum": ["client", "supplier"]}, body=STR,
                                    at={"type": "string", "format": "date-time"})
COMMENT_FORM = form_of(["body"], body={"type": "string", "maxLength": 4000})


def _comment_routes() -> dict[tuple[str, str], dict[str, Any]]:
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, param, permission in (("orders", "order_id", "orders"), ("proposals", "proposal_id", "proposals")):
        missing = f"`{kind[:-1]}_not_found` (or another client's)."
        routes[("GET", f"/portal/{kind}/{{{param}}}/comments")] = api(
            f"The comments on one of the client's {kind}, oldest first ({permission})", "One page",
            page_of("Comment"), query=("limit", "cursor"), errors={403: portal_403(permission), 404: missing})
        routes[("POST", f"/portal/{kind}/{{{param}}}/comments")] = api(
            f"Comment on one of the client's {kind} ({permission}); the supplier's agent is emailed", "Posted",
            ref("Comment"), status=201, body="COMMENT", errors={403: portal_403(permission), 404: missing})
        routes[("GET", f"/admin/{kind}/{{{param}}}/comments")] = api(
            f"The comments on a {kind[:-1]}, oldest first", "One page", page_of("Comment"), query=("limit", "cursor"),
            capability=Capability.VIEW_ORDERS, errors={404: f"`{kind[:-1]}_not_found`."})
        routes[("POST", f"/admin/{kind}/{{{param}}}/comments")] = api(
            f"Comment on a {kind[:-1]}; the client's contacts who see it are emailed", "Posted", ref("Comment"),
            status=201, body="COMMENT", capability=Capability.VIEW_ORDERS, errors={404: f"`{kind[:-1]}_not_found`."})
    for path, who in (("/orders/{order_id}/comments", "orders"), ("/proposals/{proposal_id}/comments", "proposals"),
                      ("/agent/orders/{order_id}/comments", None)):
        routes[("POST", path)] = page(
            "Post a comment from the page" + (f" ({who})" if who else " (staff)"), form=COMMENT_FORM, session=True,
            cookies=(303,), answers={303: "Back to the page, at its comments.", 403: "CSRF check failed, or not allowed.",
                                     404: "No such document, or another client's."})
    return routes


ROUTES.update(_comment_routes())
ROUTES.update({
    ("GET", "/{proxy+}"): page(
        "Any other path: a 404 page for people, the API error shape (`not_found`) for a JSON Accept header or a path "
        "under /auth, /admin, /portal, /payments", cookies=(404,),
        answers={404: "The not-found page in the layout (or the JSON error).",
                 200: "A path that is one of the app's own pages is answered by that page (e.g. `login`).",
                 303: "A path that is one of the app's own pages that redirects (e.g. the empty path: to /catalogue).",
                 401: "A path that is one of the API's own routes without a token."}),
    ("GET", "/favicon.ico"): page("The portal's icon (SVG)", {200: "The icon."}, media="image/svg+xml"),
    ("GET", "/scripts/{name}"): page(
        "A page's script (chalicelib/web/scripts/): the pages' Content-Security-Policy runs no inline script",
        {200: "The script.", 404: "No such script."}, media="text/javascript"),
})
ROUTES.update({
    ("GET", "/portal/profile"): api("The signed-in contact's profile, email preferences and company (read-only)",
                                    "The profile", ref("Profile"), errors={403: PORTAL_403}),
    ("PATCH", "/portal/profile"): api(
        "Change name, phone or email preferences", "The profile", ref("Profile"), body="PROFILE",
        errors={403: PORTAL_403, 422: "A schema error (company data cannot be changed here: `unknown_field`)."}),
    ("POST", "/portal/profile/password"): api(
        "Change the password (the current one is checked)", "Changed", status=204, body="CHANGE_PASSWORD",
        errors={403: PORTAL_403, 422: "`invalid_credentials` (field `current_password`), `weak_password`."}),
    ("POST", "/portal/profile/company-change-request"): api(
        "Ask the client's sales agent to change the company's data", "Sent to the agent", ref("Message"), status=202,
        body="CHANGE_REQUEST", errors={403: PORTAL_403, 404: "`no_recipient`."}),
    ("GET", "/portal/company/contacts"): api(
        "The company's portal contacts (manage_company)", "All of them", page_of("CompanyContact"),
        errors={403: MANAGE_COMPANY_403}),
    ("POST", "/portal/company/contacts"): api(
        "Invite a colleague (manage_company); emails a Cognito invitation", "Invited", ref("CompanyContact"), status=201,
        body="COMPANY_CONTACT",
        errors={403: MANAGE_COMPANY_403 + " `permission_not_held`: a permission the caller lacks (`field`).",
                409: "`email_taken`.", 422: "`invalid_value` (spending_limit) or a schema error."}),
    ("PATCH", "/portal/company/contacts/{contact_id}"): api(
        "Change a colleague's permissions, spending limit (null: none) or status (manage_company)", "The colleague",
        ref("CompanyContact"), body="COMPANY_CONTACT_CHANGE",
        errors={403: MANAGE_COMPANY_403 + " `permission_not_held`, `own_account`.",
                404: "`contact_not_found` (or another company's).", 422: "`invalid_value` or a schema error."}),
    ("GET", "/portal/approvals"): api(
        "The company's orders above their buyer's spending limit, waiting for an approver (approve_orders)",
        "One page, oldest first", page_of("Order"), query=("limit", "cursor"),
        errors={403: APPROVE_403, 422: "`invalid_limit` or `invalid_cursor`."}),
    ("POST", "/portal/approvals/{order_id}/approve"): api(
        "Approve: the order goes on to the supplier's review (approve_orders)", "The order", ref("Order"),
        errors={403: APPROVE_403 + " `own_order`: the approver placed it.", 404: "`order_not_found`.",
                409: "`order_state_conflict`: not waiting for approval."}),
    ("POST", "/portal/approvals/{order_id}/reject"): api(
        "Reject: the order is declined and never reaches the supplier (approve_orders)", "The order", ref("Order"),
        body="APPROVAL_REJECT", optional_body=True,
        errors={403: APPROVE_403 + " `own_order`.", 404: "`order_not_found`.", 409: "`order_state_conflict`."}),
    ("GET", "/forgot-password"): page("Ask for a password-reset code", {200: "The form."}, query=("email",), cookies=(200,)),
    ("POST", "/forgot-password"): page(
        "Email a reset code (silent about unknown emails)", form=FORGOT_FORM, cookies=(303, 403, 422),
        answers={303: "To /reset-password.", 403: "CSRF check failed.", 422: "Not an email address."}),
    ("GET", "/reset-password"): page("Enter the emailed code and a new password", {200: "The form."},
                                     query=("email", "sent"), cookies=(200,)),
    ("POST", "/reset-password"): page(
        "Set the new password with the code", form=RESET_FORM, cookies=(303, 403, 422),
        answers={303: "To /login, saying the password changed.", 403: "CSRF check failed.",
                 422: "The form again: a wrong or expired code, a weak password."}),
    ("GET", "/profile"): page("The buyer's profile: name, phone, email preferences, password, company data read-only",
                              session=True, cookies=(200,), answers={200: "The page.", 303: "To /login when signed out."}),
    ("POST", "/profile"): page(
        "Save name, phone and email preferences", form=PROFILE_FORM, session=True, cookies=(303, 422),
        answers={303: "Back to /profile.", 403: "CSRF check failed.", 422: "The page with the error."}),
    ("POST", "/profile/password"): page(
        "Change the password", form=PASSWORD_FORM, session=True, cookies=(303, 422),
        answers={303: "Back to /profile.", 403: "CSRF check failed.", 422: "Wrong current password, weak or differing new one."}),
    ("POST", "/profile/company-change"): page(
        "Ask the sales agent to change the company's data", form=MESSAGE_FORM, session=True, cookies=(303, 422),
        answers={303: "Back to /profile.", 403: "CSRF check failed.", 404: "Nobody to send it to.", 422: "An empty message."}),
    ("GET", "/company/users"): page(
        "The company's portal users, with invite / permissions / limits / disable (manage_company)", session=True,
        cookies=(200,), answers={200: "The page.", 303: "To /login when signed out.", 403: "No manage_company permission."}),
    ("POST", "/company/users"): page(
        "Invite a colleague (manage_company)", form=INVITE_FORM, session=True, cookies=(303, 403, 409, 422),
        answers={303: "Back to the list.", 403: "CSRF check failed, no manage_company, or a permission the admin lacks.",
                 409: "The email has an account already.", 422: "Missing fields or a bad limit."}),
    ("POST", "/company/users/{contact_id}"): page(
        "Change a colleague's permissions and limit, or disable / enable them (manage_company)", form=COLLEAGUE_FORM,
        session=True, cookies=(303, 403, 422),
        answers={303: "Back to the list.", 403: "CSRF check failed, or beyond the admin's own permissions.",
                 404: "Not a colleague.", 422: "A bad limit."}),
    ("GET", "/approvals"): page(
        "Orders waiting for the company's approval (approve_orders)", session=True, cookies=(200,),
        answers={200: "The page.", 303: "To /login when signed out.", 403: "No approve_orders permission."}),
    ("POST", "/approvals/{order_id}"): page(
        "Approve or reject an order waiting for the company (approve_orders)", form=DECISION_FORM, session=True,
        cookies=(303,), answers={303: "Back to /approvals.", 403: "CSRF check failed, or the approver's own order.",
                                 404: "No such order.", 409: "Decided meanwhile."}),
})


# --- assembling the document -------------------------------------------------------------------

def deployed_routes() -> dict[tuple[str, str], Any]:
    return {(method, path): entry for path, methods in app.routes.items() if not path.startswith(LOCAL_ONLY)
            for method, entry in methods.items()}


def path_params(path: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+\+?)}", path)]  # `proxy+`: API Gateway's greedy parameter


def error(status: int, description: str | None = None) -> dict[str, Any]:
    answer = ref(ERRORS[status][0], "responses")
    return {**answer, "description": description} if description else answer


def json_operation(path: str, entry: Any, spec: dict[str, Any]) -> dict[str, Any]:
    # Every operation: a Content-Type other than its own (415) and AWS not answering (503, chalicelib/api/http.py).
    errors: dict[int, str | None] = {415: None, 500: None, 503: None}
    op: dict[str, Any] = {"tags": [path.split("/")[1]], "security": []}
    if spec["body"]:
        op["requestBody"] = {"required": not spec["optional_body"],
                             "content": {ct: {"schema": ref(body_component(spec["body"]))} for ct in entry.content_types}}
        errors |= {400: None, 422: None}
    if entry.authorizer is not None:
        assert entry.authorizer.name == token_authorizer.name, f"unknown authorizer on {path}"
        op["security"] = [{"bearerAuth": []}]
        errors |= {401: None, 403: None}
    descriptions = [spec["description"]] if spec["description"] else []
    if spec["capability"]:
        roles = ", ".join(r for r in STAFF_ROLES if r in ROLE_CAPABILITIES[spec["capability"]])
        descriptions.append(f"Staff roles: {roles}.")
        errors[403] = f"Not a staff token with `{spec['capability'].value}` (roles: {roles}): `forbidden`."
    if descriptions:
        op["description"] = " ".join(descriptions)
    if "{" in path:
        errors[404] = None
    if spec["query"]:  # every query parameter is checked: a bad one is a 422 naming it
        errors[422] = None
    errors |= spec["errors"]
    success: dict[str, Any] = {"description": spec["answer"]}
    if spec["answer_headers"]:
        success["headers"] = spec["answer_headers"]
    if spec["returns"]:
        success["content"] = {JSON: {"schema": spec["returns"]}}
    op["responses"] = {str(spec["status"]): success} | {str(s): error(s, d) for s, d in sorted(errors.items())}
    return op


def page_operation(entry: Any, spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"tags": [WEB_TAG], "security": [{"sessionCookie": []}] if spec["session"] else []}
    if spec["form"]:
        op["requestBody"] = {"required": True, "content": {ct: {"schema": spec["form"]} for ct in entry.content_types}}
    responses = {}
    for status, description in spec["answers"].items():
        answer: dict[str, Any] = {"description": description, "headers": {}}
        if status == 303:
            answer["headers"]["Location"] = {"schema": {"type": "string"}}
        else:
            schema = (spec.get("returns") if status == 200 else None) or {"type": "string"}
            answer["content"] = {(spec.get("media") if status == 200 else None) or HTML: {"schema": schema}}
        if status in spec["cookies"]:
            answer["headers"]["Set-Cookie"] = {"schema": {"type": "string"}, "description": "session and/or CSRF cookies"}
        if not answer["headers"]:
            del answer["headers"]
        responses[str(status)] = answer
    # Chalice answers a Content-Type the route does not take with 415, and its own failures with 500, both in the
    # API's error shape (chalicelib/api/http.py reshape_framework_errors).
    responses |= {str(status): error(status) for status in (415, 500)}
    op["responses"] = responses
    return op


def operation(method: str, path: str, entry: Any) -> dict[str, Any]:
    spec = ROUTES[(method, path)]
    op = page_operation(entry, spec) if "answers" in spec else json_operation(path, entry, spec)
    parameters = path_params(path) + [{"$ref": f"#/components/parameters/{name}"}
                                      for name in (*spec["query"], *spec.get("headers", ()))]
    if parameters:
        op["parameters"] = parameters
    return {"operationId": entry.view_name, "summary": spec["summary"], **op}


def build() -> dict[str, Any]:
    routes = deployed_routes()
    missing, stale = sorted(set(routes) - set(ROUTES)), sorted(set(ROUTES) - set(routes))
    if missing or stale:
        raise KeyError(f"docs/openapi_build.py ROUTES is out of date: add {missing}, remove {stale}")
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), entry in routes.items():
        paths.setdefault(path, {})[method.lower()] = operation(method, path, entry)
    bodies = {spec["body"] for spec in ROUTES.values() if spec.get("body")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "B2B ordering platform API",
            "version": "1.0.0",
            "description": "The JSON API (shared/API.md) and the portal's HTML pages. Money is a decimal string "
                           "(\"1234.50\"), quantities are integers, dates ISO 8601. Every 4xx/5xx answer is "
                           "`{\"error\": {\"code\", \"message\", \"field\"?}}`; lists are `{\"items\", \"next_cursor\"}`. "
                           "Generated by docs/openapi_build.py; do not edit by hand.",
        },
        "tags": [
            {"name": "auth", "description": "Sign-in with Cognito (public)."},
            {"name": "admin", "description": "The supplier's staff (staff tokens)."},
            {"name": "portal", "description": "A buyer's own view, scoped to the token's client."},
            {"name": "payments", "description": "The payment gateway's callback (public; authenticated by its signature)."},
            {"name": WEB_TAG, "description": "Server-rendered portal pages (HTML, cookie session, CSRF-checked forms)."},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "`Authorization: Bearer <ID token from /auth/login>`: the `token` of a login, "
                                   "challenge or refresh answer. Renew it with POST /auth/refresh.",
                },
                "sessionCookie": {
                    "type": "apiKey", "in": "cookie", "name": SESSION,
                    "description": f"The pages' session: the same ID token in an HttpOnly cookie set by POST /login "
                                   f"(renewed with the `{REFRESH}` cookie). Forms also send the `{CSRF}` cookie's "
                                   "value as the `csrf` field.",
                },
            },
            "schemas": RESPONSE_SCHEMAS | {body_component(name): getattr(schemas, name) for name in sorted(bodies)},
            "responses": {name: {"description": text, "content": {JSON: {"schema": ref("Error")}}}
                          for name, text in ERRORS.values()},
            "parameters": {name: {"name": name, "in": "query", "required": False, **p} for name, p in QUERY.items()}
                          | {name: {"name": name, "in": "header", "required": False, **p} for name, p in HEADERS.items()},
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(build()))
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {sum(len(m) for m in build()['paths'].values())} operations")
