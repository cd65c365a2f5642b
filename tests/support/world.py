"""Builders for test worlds: a supplier's staff, catalogue, clients, contacts and price lists."""
from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from chalicelib.aws import client as aws_client
from chalicelib.config import settings
from chalicelib.domain.access import PORTAL_PERMISSIONS
from chalicelib.services import accounts, price_lists, setup

PASSWORD = "Test-Password-123"
ALL_PERMISSIONS = dict.fromkeys(PORTAL_PERMISSIONS, True)
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


class World:
    def _ready(self, email: str) -> str:
        aws_client("cognito-idp").admin_set_user_password(
            UserPoolId=settings().user_pool_id, Username=email, Password=PASSWORD, Permanent=True
        )
        signed_in = accounts.login(email, PASSWORD)
        assert isinstance(signed_in, accounts.SignedIn)
        return signed_in.token

    def staff(self, role: str = "admin") -> tuple[str, str]:
        """(user id, token) of a staff member with this role."""
        email = f"{role}{_n()}@supplier.example"
        user = setup.create_staff({"email": email, "name": f"{role.title()} {_n()}", "role": role}, inviter="Tests")
        return user.id, self._ready(email)

    def admin_token(self) -> str:
        return self.staff("admin")[1]

    def product(self, sku: str | None = None, **fields: Any) -> str:
        sku = sku or f"SKU-{_n():05d}"
        defaults = {"name": f"Product {sku}", "category": "General", "unit": "pcs", "base_price": Decimal("100.00"),
                    "currency": "EUR", "vat_rate": Decimal("19"), "portal_visible": True, "qty_on_hand": 10}
        setup.create_product({"sku": sku, **defaults, **fields})
        return sku

    def group(self, name: str = "Resellers") -> str:
        return setup.create_group(name).id

    def client(self, name: str | None = None, **fields: Any) -> str:
        defaults = {"name": name or f"Client {_n()}", "payment_term_days": 30, "credit_limit": Decimal("10000"),
                    "currency": "EUR", "addresses": []}
        return setup.create_client({**defaults, **fields}).id

    def buyer(self, client_id: str, spending_limit: str | None = None, **permissions: bool) -> tuple[str, str]:
        """(contact id, token) of a portal contact; all permissions unless some are given; an order limit when
        `spending_limit` is given (above it the company's approver decides first)."""
        email = f"buyer{_n()}@client.example"
        perms = permissions if permissions else ALL_PERMISSIONS
        contact = setup.create_contact(client_id, {"email": email, "first_name": "Test", "last_name": "Buyer",
                                                   "permissions": perms}, inviter="Tests")
        if spending_limit is not None:
            from chalicelib.store.models import UserItem  # noqa: PLC0415

            contact.update(actions=[UserItem.spending_limit.set(Decimal(spending_limit))])
        return contact.id, self._ready(email)

    def price_list(self, prices: dict[str, str], **fields: Any) -> str:
        body = {"name": f"List {_n()}", "currency": "EUR", **fields,
                "items": [{"sku": sku, "price": Decimal(price)} for sku, price in prices.items()]}
        return price_lists.create(body).id
