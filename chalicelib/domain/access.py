"""Who may do what: staff capabilities by role, and portal permissions per contact."""
from __future__ import annotations

from enum import Enum

STAFF_ROLES = ("admin", "agent", "manager", "warehouse", "finance")
BUYER = "buyer"

PORTAL_PERMISSIONS = ("place_orders", "view_stock", "orders", "invoices", "proposals", "deliveries", "download_documents")


class Capability(str, Enum):
    MANAGE_STAFF = "manage_staff"
    MANAGE_CATALOGUE = "manage_catalogue"
    VIEW_CATALOGUE = "view_catalogue"
    MANAGE_STOCK = "manage_stock"
    MANAGE_CLIENTS = "manage_clients"
    VIEW_CLIENTS = "view_clients"
    MANAGE_PRICING = "manage_pricing"
    VIEW_PRICING = "view_pricing"
    VIEW_ORDERS = "view_orders"
    REVIEW_ORDERS = "review_orders"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_DELIVERIES = "view_deliveries"
    MANAGE_DELIVERIES = "manage_deliveries"
    VIEW_INVOICES = "view_invoices"
    MANAGE_INVOICES = "manage_invoices"
    OPERATE_PLATFORM = "operate_platform"
    MANAGE_AUTOMATION = "manage_automation"


ALL_STAFF = frozenset(STAFF_ROLES)

ROLE_CAPABILITIES: dict[Capability, frozenset[str]] = {
    Capability.MANAGE_STAFF: frozenset({"admin"}),
    Capability.MANAGE_CATALOGUE: frozenset({"admin", "manager"}),
    Capability.VIEW_CATALOGUE: ALL_STAFF,
    Capability.MANAGE_STOCK: frozenset({"admin", "manager", "warehouse"}),
    Capability.MANAGE_CLIENTS: frozenset({"admin", "manager"}),
    Capability.VIEW_CLIENTS: frozenset({"admin", "manager", "agent", "finance"}),
    Capability.MANAGE_PRICING: frozenset({"admin", "manager"}),
    Capability.VIEW_PRICING: frozenset({"admin", "manager", "agent"}),
    Capability.VIEW_ORDERS: ALL_STAFF,
    Capability.REVIEW_ORDERS: frozenset({"admin", "manager", "agent"}),
    Capability.MANAGE_SETTINGS: frozenset({"admin"}),
    Capability.VIEW_DELIVERIES: ALL_STAFF,
    Capability.MANAGE_DELIVERIES: frozenset({"admin", "manager", "warehouse", "agent"}),
    Capability.VIEW_INVOICES: frozenset({"admin", "manager", "agent", "finance"}),
    Capability.MANAGE_INVOICES: frozenset({"admin", "finance"}),
    Capability.OPERATE_PLATFORM: frozenset({"admin"}),
    Capability.MANAGE_AUTOMATION: frozenset({"admin", "manager"}),
}


def role_can(role: str, capability: Capability) -> bool:
    return role in ROLE_CAPABILITIES[capability]


def has_portal_access(permissions: dict[str, bool]) -> bool:
    """A contact with no permission at all cannot use the portal."""
    return any(permissions.get(p, False) for p in PORTAL_PERMISSIONS)
