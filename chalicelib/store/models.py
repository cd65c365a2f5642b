"""The single DynamoDB table and its item types.

This module is the only place that knows the key layout; docs/data-model.md
holds the access-pattern table (pattern -> key condition -> index).

    entity          pk                    sk               gsi1pk / gsi1sk                      gsi2pk / gsi2sk
    product         PRODUCT#<SKU>         PRODUCT          CATALOGUE / <SKU> (visible only)     CATEGORY#<cat> / <SKU> (visible only)   (gsi3: PRODUCTS / <SKU>, every product)
    stock movement  PRODUCT#<SKU>         MOVE#<at>#<n>    -                                    -
    product word    WORD#<word>           <SKU>            -                                    -
    category        CATEGORIES            <category>       -                                    -
    client group    GROUP#<id>            GROUP            GROUPS / <name>#<id>                 -
    client          CLIENT#<id>           CLIENT           CLIENTS / <name>#<id>                -
    user (login)    USER#<cognito sub>    USER             CLIENT#<id> / CONTACT#<email>        -
                                                           or STAFF / <email>
    price list      PRICELIST#<id>        PRICELIST        PRICELISTS#<owner> / <id>            PRICELISTS / <name>#<id>
    list price      PRICELIST#<id>        ITEM#<SKU>       -                                    -
    default marker  PRICELIST_DEFAULT     PRICELIST_DEFAULT -                                   -
    settings        SETTINGS              SETTINGS         -                                    -
    counter         COUNTER#<series>      COUNTER          -                                    -
    sales order     ORDER#<id>            ORDER            CLIENT#<id>#ORDERS / <created>#<id>  ORDERS#<status> / <created>#<id>
    order history   ORDER#<id>            HISTORY#<at>#<n> -                                    -
    staff task      ORDER#<id>            TASK#<kind>#<n>  TASKS#<assignee> / <created>         -
    delivery note   DN#<id>               DN               CLIENT#<id>#DNS / <created>          ORDER#<id>#DNS / <created>   (gsi3: DNS#<status> / <created>)
    invoice         INVOICE#<id>          INVOICE          CLIENT#<id>#INVOICES / <issued>#<n>  ORDER#<id>#INVOICES / <n>    (gsi3: INVOICES#<status> / <due>#<id>)
    payment         INVOICE#<id>          PAYMENT#<id>     -                                    -
    gateway event   INVOICE#<id>          WEBHOOK#<event id> -                                  -
    checkout        INVOICE#<id>          CHECKOUT#<session id> -                               -
    notification    INVOICE#<id>          NOTIFY#<key>     -                                    -
    client credit   CLIENT#<id>           CREDIT#<id>      -                                    -
    ledger entry    CLIENT#<id>           LEDGER#<date>#<at>#<ref>  -                           -
    proposal        PROPOSAL#<id>         PROPOSAL         CLIENT#<id>#PROPOSALS / <created>#<id>  -
"""
from __future__ import annotations

from decimal import Decimal

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.connection.table import TableConnection
from pynamodb.models import Model

from chalicelib.config import aws_region, table_name
from chalicelib.store.db import connection as shared_connection
from chalicelib.store.attributes import DateAttribute, DecimalAttribute, IntegerAttribute


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    class Meta:
        table_name = table_name()
        region = aws_region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """PynamoDB gives each model its own connection (a botocore client each); ours share one."""
        if cls._connection is None:
            super()._get_connection().connection = shared_connection()
        return cls._connection


# --- keys: one helper per entity ------------------------------------------------

CATALOGUE = "CATALOGUE"


def sku_key(sku: str) -> str:
    """SKUs are matched case-insensitively; the key form is upper case."""
    return sku.strip().upper()


def product_pk(sku: str) -> str:
    return f"PRODUCT#{sku_key(sku)}"


def category_pk(category: str) -> str:
    return f"CATEGORY#{category.strip().lower()}"


def word_pk(word: str) -> str:
    return f"WORD#{word}"


def group_pk(group_id: str) -> str:
    return f"GROUP#{group_id}"


def client_pk(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def price_list_pk(price_list_id: str) -> str:
    return f"PRICELIST#{price_list_id}"


def price_item_sk(sku: str) -> str:
    return f"ITEM#{sku_key(sku)}"


def price_list_owner(*, client_id: str | None = None, group_id: str | None = None, is_global: bool = False) -> str:
    if client_id:
        return f"PRICELISTS#CLIENT#{client_id}"
    if group_id:
        return f"PRICELISTS#GROUP#{group_id}"
    return "PRICELISTS#GLOBAL" if is_global else "PRICELISTS#UNASSIGNED"


# --- item types ----------------------------------------------------------------


class ProductItem(TableItem):
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    category = UnicodeAttribute()
    unit = UnicodeAttribute()
    base_price = DecimalAttribute()
    currency = UnicodeAttribute()
    vat_rate = DecimalAttribute()
    min_qty = IntegerAttribute(null=True)
    max_qty = IntegerAttribute(null=True)
    qty_step = IntegerAttribute(null=True)
    min_stock = IntegerAttribute(null=True)
    portal_visible = BooleanAttribute()
    qty_on_hand = IntegerAttribute(default=0)
    qty_reserved = IntegerAttribute(default=0)
    description = UnicodeAttribute(null=True)  # shown on the buyer's product page
    datasheet_url = UnicodeAttribute(null=True)  # an https link to the maker's datasheet
    kind = UnicodeAttribute(null=True)  # goods (default) or services: decides AE/K and G/O (domain/tax.py)
    vat_exempt_reason = UnicodeAttribute(null=True)  # set: the product is VAT exempt (category E) with this reason
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    catalogue = Gsi1()
    by_category = Gsi2()
    all_products = Gsi3()

    @property
    def qty_available(self) -> int:
        return max(self.qty_on_hand - self.qty_reserved, 0)


class CategoryItem(TableItem):
    """One product category, so pages can offer the list without reading products."""

    name = UnicodeAttribute()


class ProductWordItem(TableItem):
    """One word of a visible product's name: the name-search index."""

    sku = UnicodeAttribute()
    category = UnicodeAttribute()


class ClientGroupItem(TableItem):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    price_list_id = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class AddressMap(MapAttribute):
    id = UnicodeAttribute()
    label = UnicodeAttribute()
    line1 = UnicodeAttribute()
    city = UnicodeAttribute()
    postcode = UnicodeAttribute()
    country = UnicodeAttribute()
    county = UnicodeAttribute(null=True)  # ISO 3166-2 (RO-B); domain/addresses.check_address


class ClientItem(TableItem):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    vat_number = UnicodeAttribute(null=True)
    group_id = UnicodeAttribute(null=True)
    payment_term_days = IntegerAttribute()
    credit_limit = DecimalAttribute()
    currency = UnicodeAttribute()
    sale_agent_id = UnicodeAttribute(null=True)
    auto_approve = BooleanAttribute(default=False)
    addresses = ListAttribute(of=AddressMap, default=list)
    price_list_id = UnicodeAttribute(null=True)
    balance = DecimalAttribute(null=True)
    locale = UnicodeAttribute(null=True)  # how amounts are written for this client's people ("ro": 1.234,50)
    portal_enabled = BooleanAttribute(default=True)  # off: the client's contacts cannot sign in (status `disabled`)
    show_stock = BooleanAttribute(null=True)  # None: the global default of the settings
    uninvoiced_accepted = DecimalAttribute(null=True)  # accepted orders not yet invoiced (services/credit.py)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class PermissionsMap(MapAttribute):
    place_orders = BooleanAttribute(default=False)
    view_stock = BooleanAttribute(default=False)
    orders = BooleanAttribute(default=False)
    invoices = BooleanAttribute(default=False)
    proposals = BooleanAttribute(default=False)
    deliveries = BooleanAttribute(default=False)
    download_documents = BooleanAttribute(default=False)
    manage_company = BooleanAttribute(default=False)
    approve_orders = BooleanAttribute(default=False)


class UserItem(TableItem):
    """A login: a staff member, or a client's portal contact (role `buyer`)."""

    id = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    name = UnicodeAttribute()
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    permissions = PermissionsMap(null=True)
    phone = UnicodeAttribute(null=True)
    spending_limit = DecimalAttribute(null=True)  # a contact's order limit; above it the company approves first
    status = UnicodeAttribute(null=True)  # None or `active`; `disabled`: sign-in and tokens refused
    invited_by = UnicodeAttribute(null=True)
    client_disabled = BooleanAttribute(null=True)  # a contact of a client whose portal is off
    last_login_at = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    people = Gsi1()

    @property
    def active(self) -> bool:
        return self.status != "disabled" and not self.client_disabled


class PriceListItem(TableItem):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    group_id = UnicodeAttribute(null=True)
    is_default = BooleanAttribute(default=False)
    is_promotion = BooleanAttribute(default=False)
    valid_from = DateAttribute(null=True)
    valid_to = DateAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_owner = Gsi1()
    all_lists = Gsi2()


class TierMap(MapAttribute):
    """A volume price of a list item: from `min_qty` units on."""

    min_qty = IntegerAttribute()
    price = DecimalAttribute()


class PriceItem(TableItem):
    sku = UnicodeAttribute()
    price = DecimalAttribute()
    tiers = ListAttribute(of=TierMap, null=True)


class MarkerItem(TableItem):
    """A uniqueness marker (e.g. the one default price list)."""

    ref = UnicodeAttribute()


class SettingsItem(TableItem):
    """The supplier's portal settings (one item)."""

    portal_order_initial_status = UnicodeAttribute(default="draft")
    review_required = BooleanAttribute(default=True)
    review_timeout_hours = DecimalAttribute(default=lambda: Decimal(24))
    auto_create_delivery_note = BooleanAttribute(default=False)
    invoice_on = UnicodeAttribute(default="accept")
    order_confirmation_email = BooleanAttribute(default=True)
    # the back office's settings (docs/back-office.md)
    show_stock = BooleanAttribute(default=True)  # clients without their own setting; contacts still need view_stock
    discount_limits = MapAttribute(null=True)  # role -> max percent as text; a role absent: no discount allowed
    reminder_offsets = ListAttribute(of=IntegerAttribute, null=True)  # days after due; None: the built-in schedule
    cart_abandoned_hours = IntegerAttribute(default=24)  # a cart with lines untouched this long is announced abandoned
    supplier = MapAttribute(null=True)  # legal data shown on documents; a field set here wins over the environment


class CounterItem(TableItem):
    value = IntegerAttribute(default=0)


class LineMap(MapAttribute):
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    unit = UnicodeAttribute()
    qty = IntegerAttribute()
    unit_price = DecimalAttribute()
    vat_rate = DecimalAttribute()
    line_total = DecimalAttribute()
    price_source = UnicodeAttribute()
    price_list_id = UnicodeAttribute(null=True)
    vat_category = UnicodeAttribute(null=True)  # EN 16931 category (domain/tax.py); None on lines stored before it: S/Z
    vat_exemption_reason = UnicodeAttribute(null=True)


class DeliveryAddressMap(MapAttribute):
    id = UnicodeAttribute(null=True)
    label = UnicodeAttribute()
    line1 = UnicodeAttribute()
    city = UnicodeAttribute()
    postcode = UnicodeAttribute()
    country = UnicodeAttribute()
    county = UnicodeAttribute(null=True)  # ISO 3166-2, copied from the client's address


class ChecksMap(MapAttribute):
    credit_ok = BooleanAttribute()
    stock_ok = BooleanAttribute()
    prices_ok = BooleanAttribute()
    credit_available = DecimalAttribute()
    short_skus = ListAttribute(of=UnicodeAttribute, default=list)
    changed_price_skus = ListAttribute(of=UnicodeAttribute, default=list)
    checked_at = UTCDateTimeAttribute()


class ProposalMap(MapAttribute):
    """An agent's modification awaiting the client's answer."""

    lines = ListAttribute(of=LineMap)
    discount_percent = DecimalAttribute()
    subtotal = DecimalAttribute()
    vat_total = DecimalAttribute()
    total = DecimalAttribute()
    message = UnicodeAttribute()


class OrderItem(TableItem):
    id = UnicodeAttribute()
    number = UnicodeAttribute()
    client_id = UnicodeAttribute()
    client_name = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    contact_email = UnicodeAttribute()
    sale_agent_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    review = UnicodeAttribute()
    auto_approved = BooleanAttribute(default=False)
    lines = ListAttribute(of=LineMap)
    discount_percent = DecimalAttribute(default=lambda: Decimal(0))
    subtotal = DecimalAttribute()
    vat_total = DecimalAttribute()
    total = DecimalAttribute()
    currency = UnicodeAttribute()
    delivery_address = DeliveryAddressMap()
    client_reference = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    checks = ChecksMap(null=True)
    proposal = ProposalMap(null=True)
    decision_reason = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reorder_of = UnicodeAttribute(null=True)
    origin = UnicodeAttribute(default="portal")  # portal, staff, upload, email, recurring, proposal
    # the company's own approval (spending limits): decided by whom, when, and the approver's reason
    approval = UnicodeAttribute(null=True)  # None, "pending", "approved", "rejected"
    approval_by = UnicodeAttribute(null=True)
    approval_at = UTCDateTimeAttribute(null=True)
    approval_reason = UnicodeAttribute(null=True)
    review_task_token = UnicodeAttribute(null=True)
    client_task_token = UnicodeAttribute(null=True)
    delivery_note_task_token = UnicodeAttribute(null=True)  # fulfilment waits for the agent's "create"
    fulfilment_note_id = UnicodeAttribute(null=True)  # the note the order's own fulfilment execution follows
    escalations = IntegerAttribute(default=0)
    accepted_event_sent = BooleanAttribute(default=False)
    notified = UnicodeSetAttribute(null=True)
    origin = UnicodeAttribute(default="portal")  # portal, staff, upload, email, recurring, proposal
    valid_until = DateAttribute(null=True)  # a staff-issued (sent) order expires after this day
    exposure = DecimalAttribute(null=True)  # what this order adds to the client's `uninvoiced_accepted`
    reserved = UnicodeAttribute(null=True)  # JSON {SKU: qty} reserved for this order (services/stock.py)
    fulfilment_status = UnicodeAttribute(null=True)  # services/order_status.py
    invoice_status = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)  # set only while the order waits for its company's approver
    gsi3sk = UnicodeAttribute(null=True)
    by_client = Gsi1()
    by_status = Gsi2()
    awaiting_approval = Gsi3()


class OrderHistoryItem(TableItem):
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    event = UnicodeAttribute()
    status = UnicodeAttribute()
    note = UnicodeAttribute(null=True)


class TaskItem(TableItem):
    """A to-do for a staff member (review this order, escalated review, AWB failed...)."""

    kind = UnicodeAttribute()
    order_id = UnicodeAttribute()
    assignee_id = UnicodeAttribute()
    title = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    done = BooleanAttribute(default=False)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_assignee = Gsi1()


class OrderFlags(TableItem):
    """Workflow bookkeeping on a Sales Order item, written without touching its version."""

    checks = ChecksMap(null=True)
    escalations = IntegerAttribute(default=0)
    accepted_event_sent = BooleanAttribute(default=False)
    notified = UnicodeSetAttribute(null=True)
    fulfilment_note_id = UnicodeAttribute(null=True)
    exposure = DecimalAttribute(null=True)
    reserved = UnicodeAttribute(null=True)
    fulfilment_status = UnicodeAttribute(null=True)
    invoice_status = UnicodeAttribute(null=True)


class ShipLineMap(MapAttribute):
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    unit = UnicodeAttribute()
    qty = IntegerAttribute()


class ParcelMap(MapAttribute):
    weight_kg = DecimalAttribute()
    length_cm = IntegerAttribute()
    width_cm = IntegerAttribute()
    height_cm = IntegerAttribute()


class DeliveryNoteItem(TableItem):
    id = UnicodeAttribute()
    number = UnicodeAttribute()
    order_id = UnicodeAttribute()
    order_number = UnicodeAttribute()
    client_id = UnicodeAttribute()
    status = UnicodeAttribute()
    lines = ListAttribute(of=ShipLineMap)
    backorder_of = UnicodeAttribute(null=True)
    backorder_id = UnicodeAttribute(null=True)
    stock_applied = BooleanAttribute(default=False)
    parcels = ListAttribute(of=ParcelMap, default=list)
    awb = UnicodeAttribute(null=True)
    courier = UnicodeAttribute(null=True)
    tracking_url = UnicodeAttribute(null=True)
    awb_error = UnicodeAttribute(null=True)
    approval_task_token = UnicodeAttribute(null=True)
    packing_task_token = UnicodeAttribute(null=True)
    awb_retry_task_token = UnicodeAttribute(null=True)
    pdf_key = UnicodeAttribute(null=True)
    notified = UnicodeSetAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    shipped_at = UTCDateTimeAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_client = Gsi1()
    by_order = Gsi2()
    by_status = Gsi3()


class VatMap(MapAttribute):
    rate = DecimalAttribute()
    taxable = DecimalAttribute()
    vat = DecimalAttribute()
    category = UnicodeAttribute(null=True)
    exemption_reason = UnicodeAttribute(null=True)
    exemption_code = UnicodeAttribute(null=True)


class InvoiceItem(TableItem):
    id = UnicodeAttribute()
    number = UnicodeAttribute()
    order_id = UnicodeAttribute()
    order_number = UnicodeAttribute()
    source_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    client_name = UnicodeAttribute()
    contact_email = UnicodeAttribute()
    client_reference = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    issue_date = DateAttribute()
    due_date = DateAttribute()
    payment_term_days = IntegerAttribute()
    currency = UnicodeAttribute()
    lines = ListAttribute(of=LineMap)
    vat_breakdown = ListAttribute(of=VatMap)
    discount_percent = DecimalAttribute(default=lambda: Decimal(0))
    subtotal = DecimalAttribute()
    vat_total = DecimalAttribute()
    total = DecimalAttribute()
    amount_paid = DecimalAttribute(default=lambda: Decimal(0))
    amount_credited = DecimalAttribute(default=lambda: Decimal(0))  # credit notes against it
    tax_currency = UnicodeAttribute(null=True)  # the supplier's accounting currency when the invoice is in another
    exchange_rate = DecimalAttribute(null=True)  # tax_currency per 1 currency, fixed at issue
    exchange_rate_date = DateAttribute(null=True)
    vat_total_tax_currency = DecimalAttribute(null=True)
    delivery_date = DateAttribute(null=True)  # date of supply
    einvoice_status = UnicodeAttribute(null=True)  # not_applicable, pending, submitted, accepted, rejected (e-Factura)
    einvoice_messages = ListAttribute(of=UnicodeAttribute, default=list)
    einvoice_upload_id = UnicodeAttribute(null=True)
    einvoice_download_id = UnicodeAttribute(null=True)
    pdf_key = UnicodeAttribute(null=True)
    xml_key = UnicodeAttribute(null=True)
    reminders_sent = ListAttribute(of=IntegerAttribute, default=list)
    notified = UnicodeSetAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_client = Gsi1()
    by_order = Gsi2()
    by_status = Gsi3()

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid - (self.amount_credited or Decimal(0))


class PaymentItem(TableItem):
    id = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    amount = DecimalAttribute()
    paid_on = DateAttribute()
    method = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    recorded_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class LedgerEntryItem(TableItem):
    """One line of a client's account: an invoice (debit), a payment or a client credit (credit)."""

    entry_date = DateAttribute()
    kind = UnicodeAttribute()
    reference = UnicodeAttribute()
    description = UnicodeAttribute()
    debit = DecimalAttribute()
    credit = DecimalAttribute()
    document_id = UnicodeAttribute()


class GatewayEventItem(TableItem):
    """A payment gateway webhook about an invoice and what became of it (finance sees every one)."""

    event_id = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    session_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()  # recorded, credit, mismatch
    amount = DecimalAttribute()
    currency = UnicodeAttribute()
    applied = DecimalAttribute()  # to the invoice
    credit = DecimalAttribute()  # beyond what was due: the client's credit
    message = UnicodeAttribute(null=True)
    deliveries = IntegerAttribute(default=1)  # more than one: the gateway sent it again (a duplicate)
    received_at = UTCDateTimeAttribute()


class CheckoutItem(TableItem):
    """A hosted checkout started for an invoice; `open` until it is paid or expired."""

    session_id = UnicodeAttribute()
    amount = DecimalAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # open, expired, paid
    created_at = UTCDateTimeAttribute()


class ClientCreditItem(TableItem):
    """Money the client paid beyond what was due; applied to its next invoices, or refunded by finance."""

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    amount = DecimalAttribute()
    remaining = DecimalAttribute()
    source_invoice_id = UnicodeAttribute()
    source_invoice_number = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class NotificationItem(TableItem):
    """One email about an invoice, claimed before it is sent (`sending`), then `sent` or `failed`."""

    key = UnicodeAttribute()  # issued, reminder:7 ...
    recipient = UnicodeAttribute()
    status = UnicodeAttribute()
    claimed_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)


class ProposalItem(TableItem):
    """A quote for a client: lines at offered prices, valid until a date."""

    id = UnicodeAttribute()
    number = UnicodeAttribute()
    client_id = UnicodeAttribute()
    client_name = UnicodeAttribute()
    status = UnicodeAttribute()
    lines = ListAttribute(of=LineMap)
    subtotal = DecimalAttribute()
    vat_total = DecimalAttribute()
    total = DecimalAttribute()
    currency = UnicodeAttribute()
    valid_until = DateAttribute()
    message = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    revision_of = UnicodeAttribute(null=True)
    revised_by = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    decline_reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_client = Gsi1()
