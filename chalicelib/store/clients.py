"""Client companies and client groups."""
from __future__ import annotations

from chalicelib.domain.errors import NotFound
from chalicelib.store.models import ClientGroupItem, ClientItem, client_pk, group_pk

GROUP_SK = "GROUP"
CLIENT_SK = "CLIENT"


def create_group(group: ClientGroupItem) -> None:
    group.pk, group.sk = group_pk(group.id), GROUP_SK
    group.gsi1pk, group.gsi1sk = "GROUPS", f"{group.name.lower()}#{group.id}"
    group.save(condition=ClientGroupItem.pk.does_not_exist())


def get_group(group_id: str) -> ClientGroupItem:
    try:
        return ClientGroupItem.get(group_pk(group_id), GROUP_SK)
    except ClientGroupItem.DoesNotExist as exc:
        raise NotFound(f"No client group {group_id}.", code="group_not_found") from exc


def create_client(client: ClientItem) -> None:
    client.pk, client.sk = client_pk(client.id), CLIENT_SK
    client.gsi1pk, client.gsi1sk = "CLIENTS", f"{client.name.lower()}#{client.id}"
    client.save(condition=ClientItem.pk.does_not_exist())


def get_client(client_id: str) -> ClientItem:
    try:
        return ClientItem.get(client_pk(client_id), CLIENT_SK)
    except ClientItem.DoesNotExist as exc:
        raise NotFound(f"No client {client_id}.", code="client_not_found") from exc
