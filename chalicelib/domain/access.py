"""Who may do what: staff capabilities by role, and portal permissions per contact."""
from __future__ import annotations

from decimal import Decimal
from enum import Enum

STAFF_ROLES = ("admin", "agent", "manager", "warehouse", "finance")
BUYER = "buyer"

PORTAL_PERMISSIONS = ("place_orders", "view_stock", "orders", "invoices", "proposals", "deliveries", "download_documents",
                      "manage_company", "approve_orders")


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


def permissions_beyond(granted: dict[str, bool], own: dict[str, bool]) -> list[str]:
    """The permissions in `granted` that `own` lacks: a company administrator grants only what it holds itself."""
    return [p for p in PORTAL_PERMISSIONS if granted.get(p, False) and not own.get(p, False)]


def needs_approval(total: Decimal, spending_limit: Decimal | None) -> bool:
    """An order above its contact's spending limit waits for the company's approver (no limit: never)."""
    return spending_limit is not None and total > spending_limit
# --- sales rep scoping ---------------------------------------------------------------------------

SCOPED_ROLES = frozenset({"agent"})  # see only the clients whose sale_agent_id is theirs; the others see all


def scoped_agent(role: str, user_id: str) -> str | None:
    """The agent id a staff member's lists are limited to, or None when they see every client."""
    return user_id if role in SCOPED_ROLES else None


def may_see_client(role: str, user_id: str, client_agent_id: str | None) -> bool:
    """An agent sees its own clients only (a client with no agent is for managers and admins)."""
    return role not in SCOPED_ROLES or client_agent_id == user_id


# --- discounts -----------------------------------------------------------------------------------

DEFAULT_DISCOUNT_LIMITS: dict[str, str | None] = {"agent": "10", "manager": "30", "admin": None}  # None: no limit


def discount_limit(role: str, limits: dict[str, str | None]) -> Decimal | None:
    """The highest discount (percent) a role may give; None means no limit, 0 means none at all."""
    if role not in limits:
        return Decimal(0)
    value = limits[role]
    return None if value is None or value == "" else Decimal(str(value))


def discount_refusal(role: str, percent: Decimal, limits: dict[str, str | None]) -> str | None:
    """Why this role may not give this discount, or None when it may."""
    if percent <= 0:
        return None
    limit = discount_limit(role, limits)
    if limit is not None and percent > limit:
        if limit == 0:
            return f"Your role ({role}) may not give discounts; ask a manager."
        return f"Your role ({role}) may give at most {limit}% discount; ask a manager for more."
    return None
