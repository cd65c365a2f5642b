"""Saved lists (favourites): a contact's named lists of products and usual quantities.

    saved list    CONTACT#<contact id>   LIST#<list id>    (a contact's lists: Query pk, sk begins_with LIST#)
"""
from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.carts import CartLineMap, contact_pk
from chalicelib.store.models import TableItem

MAX_LISTS = 50
MAX_LIST_LINES = 200


class SavedListItem(TableItem):
    list_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    name = UnicodeAttribute()
    lines = ListAttribute(of=CartLineMap, default=list)
    updated_at = UTCDateTimeAttribute()


def list_sk(list_id: str) -> str:
    return f"LIST#{list_id}"


def for_contact(contact_id: str) -> list[SavedListItem]:
    return list(SavedListItem.query(contact_pk(contact_id), SavedListItem.sk.startswith("LIST#"), limit=MAX_LISTS))


def get(contact_id: str, list_id: str) -> SavedListItem:
    try:
        return SavedListItem.get(contact_pk(contact_id), list_sk(list_id), consistent_read=True)
    except SavedListItem.DoesNotExist as exc:
        raise NotFound(f"No saved list {list_id}.", code="saved_list_not_found") from exc


def create(contact_id: str, list_id: str, name: str) -> SavedListItem:
    item = SavedListItem(contact_pk(contact_id), list_sk(list_id), list_id=list_id, contact_id=contact_id, name=name,
                         lines=[], updated_at=datetime.now(timezone.utc))
    try:
        item.save(condition=SavedListItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("That list exists already.", code="document_exists") from exc
        raise
    return item


def save_lines(item: SavedListItem, lines: list[tuple[str, int]]) -> SavedListItem:
    item.update(actions=[SavedListItem.lines.set([CartLineMap(sku=s, qty=q) for s, q in lines]),
                         SavedListItem.updated_at.set(datetime.now(timezone.utc))])
    return item


def delete(item: SavedListItem) -> None:
    item.delete()
