"""Client companies, client groups, and the client list's own index.

    entity            pk                                   sk                      attributes
    client group      GROUP#<id>                           GROUP                   gsi1 GROUPS / <name>#<id>
    client            CLIENT#<id>                          CLIENT                  gsi1 CLIENTS / <name key>#<id>
    list entry        CLIENTLIST#<facet>                   <name key>#<id>         client_id
    search entry      CLIENTFIND#<scope>#<first 2 chars>   <token>#<id>            client_id, name, group_id, status

A client is listed under every combination of its agent, group and status (8 facets, `*` for none),
so each filter combination of the staff's client list is one Query in name order. Search entries hold
the client's name words and VAT number (as typed and digits only) under two scopes, everyone (`*`)
and its agent (`a=<id>`): a search is one Query on the longest word's prefix; the other words, the
group and the status are checked on that page's entries. A change of name, VAT number, agent, group
or status rewrites the entries in the same transaction as the client.
"""
from __future__ import annotations

import re
import unicodedata
from itertools import combinations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.db import connection, error_code
from chalicelib.store.models import ClientGroupItem, ClientItem, Gsi1, TableItem, client_pk, group_pk

GROUP_SK = "GROUP"
CLIENT_SK = "CLIENT"
ALL = "*"
MAX_NAME_KEY = 60


class ClientListEntry(TableItem):
    """The client under one filter combination of the staff's client list (keys only; the page reads clients)."""

    client_id = UnicodeAttribute()


class ClientSearchEntry(TableItem):
    """One searchable word (or VAT number) of a client, with what a search filters on."""

    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    group_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()


# --- keys ---------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower-case ASCII letters and digits, runs of anything else as one '-' (Ștefan & Co -> stefan-co)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def name_key(name: str) -> str:
    return (fold(name) or "-")[:MAX_NAME_KEY]


def words(text: str) -> list[str]:
    return [w for w in fold(text).split("-") if w]


def client_status(client: ClientItem) -> str:
    return "active" if client.portal_enabled is not False else "disabled"


def facet(agent_id: str | None = None, group_id: str | None = None, status: str | None = None) -> str:
    parts = [f"a={agent_id}" if agent_id else "", f"g={group_id}" if group_id else "", f"s={status}" if status else ""]
    return "&".join(p for p in parts if p) or ALL


def _facets(client: ClientItem) -> list[str]:
    named = {"agent_id": client.sale_agent_id, "group_id": client.group_id, "status": client_status(client)}
    present = [k for k, v in named.items() if v]
    return [facet(**{k: named[k] for k in chosen}) for n in range(len(present) + 1) for chosen in combinations(present, n)]


def search_tokens(client: ClientItem) -> set[str]:
    tokens = {w for w in words(client.name) if len(w) >= 2}
    if client.vat_number:
        vat = fold(client.vat_number).replace("-", "")
        digits = re.sub(r"\D", "", vat)
        tokens |= {t for t in (vat, digits) if len(t) >= 2}
    return tokens


def _scopes(client: ClientItem) -> list[str]:
    return [ALL] + ([f"a={client.sale_agent_id}"] if client.sale_agent_id else [])


def find_pk(scope: str, token: str) -> str:
    return f"CLIENTFIND#{scope}#{token[:2]}"


def _entries(client: ClientItem) -> list[TableItem]:
    """Every index entry of the client as it is now."""
    sort = f"{name_key(client.name)}#{client.id}"
    entries: list[TableItem] = [ClientListEntry(f"CLIENTLIST#{f}", sort, client_id=client.id) for f in _facets(client)]
    for scope in _scopes(client):
        for token in sorted(search_tokens(client)):
            entries.append(ClientSearchEntry(find_pk(scope, token), f"{token}#{client.id}", client_id=client.id,
                                             name=client.name, group_id=client.group_id, status=client_status(client)))
    return entries


# --- groups -------------------------------------------------------------------------------

def create_group(group: ClientGroupItem) -> None:
    group.pk, group.sk = group_pk(group.id), GROUP_SK
    group.gsi1pk, group.gsi1sk = "GROUPS", f"{group.name.lower()}#{group.id}"
    group.save(condition=ClientGroupItem.pk.does_not_exist())


def get_group(group_id: str) -> ClientGroupItem:
    try:
        return ClientGroupItem.get(group_pk(group_id), GROUP_SK)
    except ClientGroupItem.DoesNotExist as exc:
        raise NotFound(f"No client group {group_id}.", code="group_not_found") from exc


class _GroupByName(ClientGroupItem):
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_name = Gsi1()


def all_groups() -> list[ClientGroupItem]:
    """Every client group by name (a supplier has tens: one Query of gsi1 `GROUPS`)."""
    return list(_GroupByName.by_name.query("GROUPS"))


# --- clients ------------------------------------------------------------------------------

def _index(client: ClientItem) -> None:
    client.pk, client.sk = client_pk(client.id), CLIENT_SK
    client.gsi1pk, client.gsi1sk = "CLIENTS", f"{name_key(client.name)}#{client.id}"


def create_client(client: ClientItem) -> None:
    """The client and its list and search entries, in one transaction conditional on the id being new."""
    _index(client)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(client, condition=ClientItem.pk.does_not_exist())
            for entry in _entries(client):
                tx.save(entry)
    except TransactWriteError as exc:
        if error_code(exc) == "TransactionCanceledException":
            raise Conflict("This client already exists.", code="client_exists") from exc
        raise


def save_client(before: ClientItem, after: ClientItem) -> ClientItem:
    """Store the edited client (conditional on nobody having changed it since `before` was read) and move its
    index entries, in one transaction; 409 `stale_version` when it changed meanwhile."""
    _index(after)
    old = {(e.pk, e.sk) for e in _entries(before)}
    new = _entries(after)
    gone = old - {(e.pk, e.sk) for e in new}
    condition = ClientItem.pk.exists()
    # the fields this edit started from must still hold (balance moves with payments; it is not edited here)
    for name in ("name", "credit_limit", "sale_agent_id", "group_id", "portal_enabled", "vat_number"):
        value = getattr(before, name)
        attribute = getattr(ClientItem, name)
        condition &= attribute == value if value is not None else attribute.does_not_exist()
    actions = [getattr(ClientItem, name).set(getattr(after, name)) if getattr(after, name) is not None
               else getattr(ClientItem, name).remove()
               for name in ("name", "vat_number", "group_id", "payment_term_days", "credit_limit", "currency",
                            "sale_agent_id", "auto_approve", "addresses", "portal_enabled", "show_stock", "gsi1sk")]
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(ClientItem(after.pk, after.sk), actions=actions, condition=condition)
            for pk, sk in gone:
                tx.delete(ClientListEntry(pk, sk))
            for entry in new:
                tx.save(entry)
    except TransactWriteError as exc:
        if error_code(exc) == "TransactionCanceledException":
            raise Conflict("The client changed meanwhile; reload it and edit again.", code="stale_version") from exc
        raise
    return get_client(after.id)


def get_client(client_id: str) -> ClientItem:
    try:
        return ClientItem.get(client_pk(client_id), CLIENT_SK)
    except ClientItem.DoesNotExist as exc:
        raise NotFound(f"No client {client_id}.", code="client_not_found") from exc


def get_clients(client_ids: list[str]) -> dict[str, ClientItem]:
    """Clients by id, one BatchGetItem per 100."""
    keys = [(client_pk(i), CLIENT_SK) for i in dict.fromkeys(client_ids)]
    return {c.id: c for c in ClientItem.batch_get(keys)} if keys else {}


def list_page(*, agent_id: str | None, group_id: str | None, status: str | None, limit: int,
              after: str | None) -> tuple[list[str], str | None]:
    """Client ids of one page of a filter combination, by name; `after` is the previous page's last sort key."""
    condition = ClientListEntry.sk > after if after else None
    query = ClientListEntry.query(f"CLIENTLIST#{facet(agent_id, group_id, status)}", range_key_condition=condition,
                                  limit=limit + 1, page_size=limit + 1)
    entries = list(query)
    more = len(entries) > limit
    entries = entries[:limit]
    return [e.client_id for e in entries], (entries[-1].sk if more and entries else None)


def search_page(q: str, *, agent_id: str | None, group_id: str | None, status: str | None, limit: int,
                after: str | None) -> tuple[list[str], str | None]:
    """Client ids whose name words (or VAT number) start with the words of `q`: one Query of `limit + 1`
    entries on the longest word; the page may hold fewer than `limit` when other words or filters leave some out."""
    typed = words(q)
    if not typed:
        return [], None
    longest = max(typed, key=len)
    scope = f"a={agent_id}" if agent_id else ALL
    if after:
        condition = ClientSearchEntry.sk > after
    else:
        condition = ClientSearchEntry.sk.startswith(longest)
    query = ClientSearchEntry.query(find_pk(scope, longest), range_key_condition=condition,
                                    limit=limit + 1, page_size=limit + 1)
    entries = list(query)
    more = len(entries) > limit and entries[limit].sk.startswith(longest)
    entries = [e for e in entries[:limit] if e.sk.startswith(longest)]
    last = entries[-1].sk if more and entries else None
    ids: list[str] = []
    for e in entries:
        if group_id and e.group_id != group_id or status and e.status != status:
            continue
        name_words = words(e.name)
        if all(any(w.startswith(t) for w in name_words) for t in typed if t != longest) and e.client_id not in ids:
            ids.append(e.client_id)
    return ids, last


class _OrderAgent(TableItem):
    """The agent field of a Sales Order, written without touching the order's version (like OrderFlags)."""

    sale_agent_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_client = Gsi1()


OPEN_ORDER_STATUSES = ("draft", "sent")


def reassign_open_orders(client_id: str, agent_id: str | None) -> int:
    """The client's open orders (draft or sent) follow its new agent: the review queue of each agent lists them.
    A rare staff action; it reads the client's orders page by page (gsi1 `CLIENT#<id>#ORDERS`)."""

    moved = 0
    for item in _OrderAgent.by_client.query(f"CLIENT#{client_id}#ORDERS", filter_condition=_OrderAgent.status.is_in(*OPEN_ORDER_STATUSES)):
        action = _OrderAgent.sale_agent_id.set(agent_id) if agent_id else _OrderAgent.sale_agent_id.remove()
        _OrderAgent(item.pk, item.sk).update(actions=[action], condition=_OrderAgent.pk.exists())
        moved += 1
    return moved
