"""JSON Schemas of the request bodies (the same ones docs/openapi.json publishes).

The business bounds of every number live here, once: quantities, stock, money, hours, days, percentages,
parcel sizes. Numbers reach these schemas already normalised by api/http.py's JSON parsing (a whole `5.0` is
the integer 5; NaN and infinities are no JSON); the store refuses anything it could not read back.
"""
from __future__ import annotations

from typing import Any

from chalicelib.domain.access import PORTAL_PERMISSIONS

MONEY = {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,4})?$", "description": "decimal string, e.g. \"1234.50\""}
PERCENT = {"type": ["string", "integer"], "pattern": r"^\d{1,3}(\.\d{1,2})?$", "minimum": 0, "maximum": 100}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}
EMAIL = {"type": "string", "pattern": r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$", "maxLength": 254}
NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
SKU = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_-]+$"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
PASSWORD = {"type": "string", "minLength": 1, "maxLength": 256}
QTY = {"type": "integer", "minimum": 1, "maximum": 1_000_000}
STOCK_QTY = {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}
HOURS = {"type": "number", "minimum": 0.1, "maximum": 720, "description": "hours, 0.1 (6 minutes) to 720 (30 days)"}
DAYS = {"type": "integer", "minimum": 0, "maximum": 365}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema, also accepting null (kept flat so errors name the inner field)."""
    return {**schema, "type": [schema["type"], "null"]}


def obj(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


PERMISSIONS = {
    "type": "object",
    "properties": {p: {"type": "boolean"} for p in PORTAL_PERMISSIONS},
    "additionalProperties": False,
}

LOGIN = obj(["email", "password"], {"email": EMAIL, "password": PASSWORD})
# Cognito's own bounds for a challenge session (20 to 2048 characters): outside them it refuses the call.
CHALLENGE = obj(["email", "session", "new_password"], {
    "email": EMAIL, "session": {"type": "string", "minLength": 20, "maxLength": 2048}, "new_password": PASSWORD})
REFRESH = obj(["refresh_token"], {"refresh_token": {"type": "string", "minLength": 1, "maxLength": 4096}})
FORGOT = obj(["email"], {"email": EMAIL})
RESET = obj(["email", "code", "new_password"], {"email": EMAIL, "code": {"type": "string", "minLength": 1, "maxLength": 64}, "new_password": PASSWORD})

STAFF = obj(["email", "name", "role"], {
    "email": EMAIL, "name": NAME,
    "role": {"enum": ["admin", "agent", "manager", "warehouse", "finance"]},
    "temporary_password": PASSWORD,
})

PRODUCT = obj(["sku", "name", "category", "unit", "base_price", "currency", "vat_rate", "portal_visible"], {
    "sku": SKU, "name": NAME, "category": {**NAME, "maxLength": 100}, "unit": {**NAME, "maxLength": 20},
    "base_price": MONEY, "currency": CURRENCY, "vat_rate": PERCENT,
    "min_qty": nullable(QTY), "max_qty": nullable(QTY),
    "portal_visible": {"type": "boolean"},
    "qty_on_hand": STOCK_QTY,
})
STOCK = obj(["qty_on_hand"], {"qty_on_hand": STOCK_QTY})

GROUP = obj(["name"], {"name": NAME})
ADDRESS = obj(["label", "line1", "city", "postcode", "country"], {
    "label": NAME, "line1": NAME, "city": NAME, "postcode": {**NAME, "maxLength": 20}, "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "county": nullable({"type": "string", "minLength": 1, "maxLength": 40,
                        "description": "ISO 3166-2 (RO-CJ) or the county's name; checked by domain/addresses.py"}),
    "id": nullable(ID),
})
CLIENT = obj(["name", "payment_term_days", "credit_limit", "currency"], {
    "name": NAME, "vat_number": {"type": ["string", "null"], "maxLength": 32},
    "group_id": nullable(ID),
    "payment_term_days": DAYS,
    "credit_limit": MONEY, "currency": CURRENCY,
    "sale_agent_id": nullable(ID),
    "auto_approve": {"type": "boolean"},
    "addresses": {"type": "array", "items": ADDRESS, "maxItems": 50},
})
CONTACT = obj(["email", "first_name", "last_name", "permissions"], {
    "email": EMAIL, "first_name": NAME, "last_name": NAME, "permissions": PERMISSIONS, "temporary_password": PASSWORD,
})

# --- back office: clients, contacts, staff ---------------------------------------------------------
CLIENT_PATCH = obj([], {
    "name": NAME, "vat_number": {"type": ["string", "null"], "maxLength": 32},
    "group_id": nullable(ID), "sale_agent_id": nullable(ID),
    "payment_term_days": DAYS, "credit_limit": MONEY, "currency": CURRENCY,
    "auto_approve": {"type": "boolean"}, "portal_enabled": {"type": "boolean"},
    "show_stock": {"type": ["boolean", "null"], "description": "null: the global default of the settings"},
    "addresses": {"type": "array", "items": ADDRESS, "maxItems": 50},
})
PHONE = {"type": ["string", "null"], "pattern": r"^\+?[0-9 ().-]{5,30}$", "description": "digits, spaces, + ( ) . -"}
CONTACT_PATCH = obj([], {"first_name": NAME, "last_name": NAME, "phone": PHONE, "permissions": PERMISSIONS})
STAFF_PATCH = obj([], {"name": NAME, "role": STAFF["properties"]["role"]})

PRICE_ITEM = obj(["sku", "price"], {"sku": SKU, "price": MONEY})
PRICE_LIST = obj(["name", "currency"], {
    "name": NAME, "currency": CURRENCY,
    "client_id": nullable(ID), "group_id": nullable(ID),
    "is_default": {"type": "boolean"}, "is_promotion": {"type": "boolean"},
    "valid_from": nullable(DATE), "valid_to": nullable(DATE),
    "items": {"type": "array", "items": PRICE_ITEM, "maxItems": 10_000},
})
PRICE = obj(["price"], {"price": MONEY})
CLONE = obj(["name"], {"name": NAME, "client_id": nullable(ID), "group_id": nullable(ID)})

ORDER_LINE = obj(["sku", "qty"], {"sku": SKU, "qty": {"description": "whole number >= 1 (checked as invalid_quantity)"}})
DELIVERY_ADDRESS = obj(["line1", "city", "postcode", "country"], {
    "label": NAME, "line1": NAME, "city": NAME, "postcode": {**NAME, "maxLength": 20}, "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "county": nullable({"type": "string", "minLength": 1, "maxLength": 40}),
})
ORDER = obj(["lines"], {
    "lines": {"type": "array", "items": ORDER_LINE},
    "delivery_address_id": nullable(ID),
    "delivery_address": nullable(DELIVERY_ADDRESS),
    "client_reference": {"type": ["string", "null"], "maxLength": 100},
    "notes": {"type": ["string", "null"], "maxLength": 2000},
})
SETTINGS = obj([], {
    "portal_order_initial_status": {"enum": ["draft", "sent"]},
    "review_required": {"type": "boolean"},
    "review_timeout_hours": HOURS,
    "auto_create_delivery_note": {"type": "boolean"},
    "invoice_on": {"enum": ["accept", "shipping", "manual"]},
    "order_confirmation_email": {"type": "boolean"},
    "show_stock": {"type": "boolean"},
    "cart_abandoned_hours": {"type": "integer", "minimum": 1, "maximum": 720,
                             "description": "hours a cart with lines stays untouched before `cart.abandoned`"},
    "discount_limits": obj([], {role: {**PERCENT, "type": ["string", "integer", "null"]} for role in ("agent", "manager", "admin")}),
    "reminder_offsets": {"type": ["array", "null"], "items": {"type": "integer", "minimum": 1, "maximum": 365},
                         "maxItems": 10, "uniqueItems": True},
    "supplier": obj([], {name: {"type": ["string", "null"], "maxLength": 200} for name in (
        "name", "vat_number", "street", "city", "postcode", "county", "country", "email", "registration_number", "iban")}),
})
DISCOUNT = {"type": "string", "pattern": r"^\d{1,2}(\.\d{1,2})?$", "description": "percent, 0 to 99.99"}
APPROVE = obj([], {"discount_percent": nullable(DISCOUNT)})
MODIFY = obj(["lines", "message"], {
    "lines": {"type": "array", "minItems": 1, "items": obj(["sku", "qty"], {"sku": SKU, "qty": ORDER_LINE["properties"]["qty"], "unit_price": nullable(MONEY)})},
    "message": {**NAME, "maxLength": 2000},
    "discount_percent": nullable(DISCOUNT),
})
REJECT = obj(["reason"], {"reason": {**NAME, "maxLength": 2000}})
CANCEL = obj(["reason"], {"reason": {**NAME, "maxLength": 2000, "description": "why the order is cancelled; the client reads it"}})
APPROVE["properties"]["reason"] = {"type": ["string", "null"], "maxLength": 2000,
                                   "description": "required with a discount"}

DELIVERY_NOTE = obj([], {"lines": {"type": "array", "minItems": 1, "items": ORDER_LINE}})
PARCEL = obj(["weight_kg", "length_cm", "width_cm", "height_cm"], {
    "weight_kg": {"type": ["number", "string"], "pattern": r"^\d{1,4}(\.\d{1,3})?$", "minimum": 0.001, "maximum": 10000,
                  "description": "kg, up to three decimals"},
    "length_cm": {"type": "integer", "minimum": 1, "maximum": 1000},
    "width_cm": {"type": "integer", "minimum": 1, "maximum": 1000},
    "height_cm": {"type": "integer", "minimum": 1, "maximum": 1000},
})
PACKING_LIST = obj(["parcels"], {"parcels": {"type": "array", "minItems": 1, "maxItems": 100, "items": PARCEL}})
PAYMENT = obj(["amount", "date", "method"], {
    "amount": MONEY, "date": DATE, "method": {"enum": ["bank_transfer", "card", "cash", "online", "other"]},
    "reference": nullable({"type": "string", "maxLength": 200}),
})

CREDIT_NOTE = obj(["reason"], {
    "reason": {"type": "string", "minLength": 1, "maxLength": 500},
    "lines": nullable({"type": "array", "minItems": 1, "maxItems": 1000,
                       "items": obj(["sku", "qty"], {"sku": SKU, "qty": ORDER_LINE["properties"]["qty"]})}),
})
PROPOSAL_LINE = obj(["sku", "qty"], {"sku": SKU, "qty": ORDER_LINE["properties"]["qty"], "unit_price": nullable(MONEY)})
PROPOSAL = obj(["client_id", "lines"], {
    "client_id": ID, "lines": {"type": "array", "minItems": 1, "maxItems": 500, "items": PROPOSAL_LINE},
    "valid_until": nullable(DATE), "message": nullable({"type": "string", "maxLength": 2000}), "send": {"type": "boolean"},
})
REVISE_PROPOSAL = obj(["lines"], {k: v for k, v in PROPOSAL["properties"].items() if k != "client_id"})
DECLINE_PROPOSAL = obj([], {"reason": nullable({"type": "string", "maxLength": 2000})})

# --- the cart, quick order, saved lists, intake -------------------------------------------------------
CART_LINE = obj(["qty"], {"qty": {"description": "whole number 0 to 1,000,000 (0 removes; checked as invalid_quantity)"}})
CART_CHECKOUT = obj([], {
    "delivery_address_id": nullable(ID),
    "delivery_address": nullable(DELIVERY_ADDRESS),
    "client_reference": {"type": ["string", "null"], "maxLength": 100},
    "notes": {"type": ["string", "null"], "maxLength": 2000},
    "cart_version": {"type": "integer", "minimum": 0, "description": "the cart version reviewed (or header If-Match)"},
})
QUOTE_REQUEST = obj([], {"message": {"type": ["string", "null"], "maxLength": 2000}})
SAVED_LIST = obj(["name"], {"name": {**NAME, "maxLength": 100}, "from_cart": {"type": "boolean"}})
INTAKE = obj(["client_id", "filename", "content_base64"], {
    "client_id": ID, "filename": {**NAME, "maxLength": 200},
    "content_base64": {"type": "string", "minLength": 1, "maxLength": 2_800_000},
    "client_reference": {"type": ["string", "null"], "maxLength": 100},
})

# --- portal accounts, company self-service, approvals, comments --------------------------------
PHONE = {"type": "string", "maxLength": 40, "pattern": r"^[0-9+()./ -]*$"}
NOTIFY = {"type": "object", "properties": {t: {"type": "boolean"} for t in (
    "order_updates", "invoices", "proposals", "comments", "approvals")}, "additionalProperties": False}
PROFILE = obj([], {"first_name": NAME, "last_name": NAME, "phone": nullable(PHONE), "notify": NOTIFY})
CHANGE_PASSWORD = obj(["current_password", "new_password"], {"current_password": PASSWORD, "new_password": PASSWORD})
CHANGE_REQUEST = obj(["message"], {"message": {**NAME, "maxLength": 4000}})
SPENDING_LIMIT = {**MONEY, "description": "decimal string; null = no limit"}
COMPANY_CONTACT = obj(["email", "first_name", "last_name", "permissions"], {
    "email": EMAIL, "first_name": NAME, "last_name": NAME, "permissions": PERMISSIONS,
    "spending_limit": nullable(SPENDING_LIMIT)})
COMPANY_CONTACT_CHANGE = obj([], {"permissions": PERMISSIONS, "spending_limit": nullable(SPENDING_LIMIT),
                                  "status": {"type": "string", "enum": ["active", "disabled"]}})
APPROVAL_REJECT = obj([], {"reason": nullable({**NAME, "maxLength": 2000})})
COMMENT = obj(["body"], {"body": {**NAME, "maxLength": 4000}})
# --- back office: catalogue and prices ---------------------------------------------------
PRODUCT_PATCH = obj([], {
    "name": NAME, "category": {**NAME, "maxLength": 100}, "unit": {**NAME, "maxLength": 20},
    "base_price": MONEY, "vat_rate": PERCENT,
    "min_qty": nullable(QTY), "max_qty": nullable(QTY), "qty_step": nullable(QTY),
    "min_stock": nullable(STOCK_QTY), "portal_visible": {"type": "boolean"},
    "description": nullable({"type": "string", "maxLength": 4000}),
    "datasheet_url": nullable({"type": "string", "maxLength": 500, "pattern": "^https://[^\\s\"<>]+$",
                               "description": "an https link to the maker's datasheet"}),
})
STOCK_REASONS = ["count", "received", "damaged", "returned", "correction"]
STOCK_ADJUSTMENT = obj(["delta", "reason"], {
    "delta": {"type": "integer", "minimum": -1_000_000_000, "maximum": 1_000_000_000},
    "reason": {"enum": STOCK_REASONS},
    "note": nullable({"type": "string", "maxLength": 500}),
})
TIER = obj(["min_qty", "price"], {"min_qty": {"type": "integer", "minimum": 2, "maximum": 1_000_000}, "price": MONEY})
PRICE_WITH_TIERS = obj(["price"], {"price": MONEY, "tiers": {"type": "array", "maxItems": 20, "items": TIER}})
PRICE_LIST_PATCH = obj([], {
    "name": NAME, "client_id": nullable(ID), "group_id": nullable(ID), "is_default": {"type": "boolean"},
    "valid_from": nullable(DATE), "valid_to": nullable(DATE),
})
# --- one order pipeline: staff-issued Sales Orders, the client's answer -----------------------------
STAFF_ORDER_LINE = obj(["sku", "qty"], {"sku": SKU, "qty": {"description": "whole number >= 1 (checked as invalid_quantity)"},
                                        "unit_price": nullable(MONEY)})
STAFF_ORDER = obj(["client_id", "lines"], {
    "client_id": ID,
    "lines": {"type": "array", "items": STAFF_ORDER_LINE},
    "delivery_address_id": nullable(ID),
    "client_reference": {"type": ["string", "null"], "maxLength": 100},
    "notes": {"type": ["string", "null"], "maxLength": 2000},
    "valid_until": nullable(DATE),
})
OFFER_ACCEPT = obj([], {"client_reference": {"type": ["string", "null"], "maxLength": 100},
                        "delivery_address_id": nullable(ID)})
OFFER_DECLINE = obj([], {"reason": {"type": ["string", "null"], "maxLength": 2000}})
RECURRING_LINE = obj(["sku", "qty"], {"sku": SKU, "qty": {"description": "whole number >= 1 (checked as invalid_quantity)"}})
RECURRING_ORDER = obj(["lines", "every", "interval", "start_date"], {
    "lines": {"type": "array", "items": RECURRING_LINE},
    "every": {"enum": ["week", "month"]},
    "interval": {"type": "integer", "minimum": 1, "maximum": 52},
    "start_date": DATE,
    "delivery_address_id": nullable(ID),
    "client_reference": {"type": ["string", "null"], "maxLength": 100},
})
RECURRING_CHANGE = obj([], {"status": {"enum": ["active", "paused"]},
                            "lines": {"type": "array", "items": RECURRING_LINE}})
# Workflow automation: the outer shape here; each trigger, condition and action is checked by the rule's own
# interpreter (domain/automation.validate_rule), which names the wrong field (`actions[1].url`).
_RULE_PARTS = {"name": {"type": "string", "maxLength": 200}, "enabled": {"type": "boolean"},
               "trigger": {"type": "object"}, "conditions": {"type": "object"},
               "actions": {"type": "array", "maxItems": 10, "items": {"type": "object"}}}
AUTOMATION_RULE = obj(["name", "trigger", "actions"], _RULE_PARTS)
AUTOMATION_RULE_PATCH = {**obj([], _RULE_PARTS), "minProperties": 1}
AUTOMATION_DRY_RUN = {**obj([], {"event": {"type": "object"}, "since": DATE}), "minProperties": 1, "maxProperties": 1}
