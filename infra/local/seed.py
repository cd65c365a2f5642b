"""Demo data for the local stack, written through the same services the API uses."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.services import price_lists, setup
from chalicelib.services.pricing import supplier_today
from chalicelib.store import settings as settings_store
from chalicelib.store import users as user_store

ADMIN_EMAIL = os.environ.get("ADMIN_EMAIL", "admin@example.com")
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "Admin-Local-123!")
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Buyer-Local-123!")

CATEGORIES = {
    "Cables": ("CAB", ["UTP Cat6 patch cable", "Fibre patch cord", "HDMI cable", "USB-C cable", "Power cord"]),
    "Networking": ("NET", ["Gigabit switch", "Wireless access point", "Router", "SFP module", "Patch panel"]),
    "Power": ("PWR", ["UPS", "Surge protector", "Power strip", "Battery pack", "PDU rack unit"]),
    "Storage": ("STO", ["SSD drive", "Hard disk", "NAS enclosure", "USB flash drive", "Memory card"]),
    "Tools": ("TLS", ["Crimping tool", "Cable tester", "Screwdriver set", "Wire stripper", "Label printer"]),
    "Lighting": ("LGT", ["LED panel", "LED bulb", "Flood light", "Emergency light", "LED strip"]),
    "Security": ("SEC", ["IP camera", "Video recorder", "Door sensor", "Alarm keypad", "Motion detector"]),
    "Accessories": ("ACC", ["Rack shelf", "Cable ties", "Keystone jack", "Wall box", "Cable tray"]),
}
VARIANTS = ["Basic", "Pro", "Max", "Mini", "Plus"]


@dataclass
class Demo:
    admin: str = ADMIN_EMAIL
    buyers: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    products: int = 0


def _login_ready(email: str, password: str) -> None:
    client("cognito-idp").admin_set_user_password(
        UserPoolId=settings().user_pool_id, Username=email, Password=password, Permanent=True
    )


def seed() -> Demo:
    demo = Demo()
    setup.prepare_stage(ADMIN_EMAIL, "Local Admin")  # the first admin and the default rules, as on a deployed stage
    _login_ready(ADMIN_EMAIL, ADMIN_PASSWORD)
    admin = next(u for u in user_store.all_staff() if u.email == ADMIN_EMAIL)
    agent = setup.create_staff({"email": "agent@example.com", "name": "Ana Agent", "role": "agent"}, inviter=admin.name)
    _login_ready("agent@example.com", DEMO_PASSWORD)
    demo.staff["agent@example.com (agent)"] = DEMO_PASSWORD
    for email, name, role in (("manager@example.com", "Mara Manager", "manager"),
                              ("warehouse@example.com", "Will Warehouse", "warehouse"),
                              ("finance@example.com", "Fiona Finance", "finance")):
        setup.create_staff({"email": email, "name": name, "role": role}, inviter=admin.name)
        _login_ready(email, DEMO_PASSWORD)
        demo.staff[f"{email} ({role})"] = DEMO_PASSWORD
    demo_settings = settings_store.load()
    demo_settings.auto_create_delivery_note = True
    demo_settings.invoice_on = "shipping"
    settings_store.save(demo_settings)

    skus: list[str] = []
    rows: list[dict[str, object]] = []
    n = 0
    for category, (prefix, names) in CATEGORIES.items():
        for base in names:
            for v, variant in enumerate(VARIANTS):
                n += 1
                sku = f"{prefix}-{len(skus) % 25 + 1:03d}"
                price = Decimal(5 + (n * 37) % 400) + Decimal((n * 13) % 100) / 100
                rows.append({
                    "sku": sku, "name": f"{base} {variant}", "category": category, "unit": "pcs",
                    "base_price": price, "currency": "EUR", "vat_rate": Decimal("9") if category == "Lighting" else Decimal("19"),
                    "min_qty": 10 if base in ("Cable ties", "Keystone jack") else None,
                    "max_qty": 50 if category == "Power" and variant == "Max" else None,
                    "portal_visible": n % 40 != 0, "qty_on_hand": (n * 7) % 120,
                })
                skus.append(sku)
    demo.products = setup.import_products(rows)

    resellers = setup.create_group("Resellers")
    installers = setup.create_group("Installers")
    acme = setup.create_client({
        "name": "Acme Distribution SRL", "vat_number": "RO12345678", "group_id": resellers.id, "payment_term_days": 30,
        "credit_limit": Decimal("50000"), "currency": "EUR", "sale_agent_id": agent.id, "auto_approve": True,
        "addresses": [{"label": "Warehouse", "line1": "Str. Industriei 10", "city": "Cluj-Napoca", "postcode": "400000", "country": "RO", "county": "RO-CJ"}],
    })
    nordic = setup.create_client({
        "name": "Nordic Installers AB", "vat_number": "SE556677889901", "group_id": installers.id, "payment_term_days": 60,
        "credit_limit": Decimal("20000"), "currency": "EUR", "sale_agent_id": agent.id,
        "addresses": [{"label": "Head office", "line1": "Sveavägen 1", "city": "Stockholm", "postcode": "11157", "country": "SE"}],
    })
    corner = setup.create_client({
        "name": "Corner Electronics", "payment_term_days": 15, "credit_limit": Decimal("5000"), "currency": "EUR",
        "addresses": [{"label": "Shop", "line1": "Main St 5", "city": "Brasov", "postcode": "500001", "country": "RO", "county": "RO-BV"}],
    })

    def prices(chosen: list[str], factor: str) -> list[dict[str, object]]:
        return [{"sku": s, "price": Decimal(factor) * (Decimal(10) + i % 50)} for i, s in enumerate(chosen)]

    today = supplier_today()
    price_lists.create({"name": "Acme negotiated 2026", "currency": "EUR", "client_id": acme.id, "items": prices(skus[0:20], "0.80")})
    price_lists.create({"name": "Resellers", "currency": "EUR", "group_id": resellers.id, "items": prices(skus[10:50], "0.85")})
    price_lists.create({"name": "Installers", "currency": "EUR", "group_id": installers.id, "items": prices(skus[40:70], "0.88")})
    price_lists.create({"name": "Winter promotion", "currency": "EUR", "is_promotion": True,
                        "valid_from": today - timedelta(days=7), "valid_to": today + timedelta(days=30),
                        "items": prices(skus[45:60] + skus[100:110], "0.70")})
    price_lists.create({"name": "Default 2026", "currency": "EUR", "is_default": True, "items": prices(skus[0:120], "0.95")})

    everything = dict.fromkeys(("place_orders", "orders", "invoices", "proposals", "deliveries", "download_documents"), True)
    for client_item, email, first, view_stock in (
        (acme, "buyer@acme.example", "Andrei", True),
        (nordic, "buyer@nordic.example", "Nils", False),
        (corner, "buyer@corner.example", "Carmen", True),
    ):
        setup.create_contact(client_item.id, {"email": email, "first_name": first, "last_name": "Buyer",
                                              "permissions": {**everything, "view_stock": view_stock}}, inviter=admin.name)
        _login_ready(email, DEMO_PASSWORD)
        demo.buyers[f"{email} ({client_item.name}{', sees stock' if view_stock else ''})"] = DEMO_PASSWORD
    return demo
