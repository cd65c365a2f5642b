"""Products, their stock counters and the catalogue indexes."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.search import name_words
from chalicelib.store.db import connection, failed_conditions
from chalicelib.store.stock_movements import StockMovementItem
from chalicelib.store.models import (
    CATALOGUE,
    CategoryItem,
    ProductItem,
    ProductWordItem,
    category_pk,
    product_pk,
    sku_key,
    word_pk,
)

PRODUCT_SK = "PRODUCT"
ALL_PRODUCTS = "PRODUCTS"
# What staff edit on a product (PATCH /admin/products/{sku}, the CSV import); stock counters are never among them.
EDITABLE = frozenset({"name", "category", "unit", "base_price", "currency", "vat_rate", "min_qty", "max_qty",
                      "qty_step", "min_stock", "portal_visible", "description", "datasheet_url"})


def _index_keys(product: ProductItem) -> None:
    product.gsi3pk, product.gsi3sk = ALL_PRODUCTS, sku_key(product.sku)  # the back office lists every product
    if product.portal_visible:
        product.gsi1pk, product.gsi1sk = CATALOGUE, sku_key(product.sku)
        product.gsi2pk, product.gsi2sk = category_pk(product.category), sku_key(product.sku)
    else:
        product.gsi1pk = product.gsi1sk = product.gsi2pk = product.gsi2sk = None


def _word_items(product: ProductItem) -> list[ProductWordItem]:
    """Name-search entries for every product: staff find hidden ones too, the catalogue keeps visible matches."""
    return [
        ProductWordItem(pk=word_pk(w), sk=sku_key(product.sku), sku=product.sku, category=product.category.strip().lower())
        for w in name_words(product.name)
    ]


def category_entry(product: ProductItem) -> ProductWordItem:
    """The staff list's category index: every product (visible or not) under `PRODUCTS#CATEGORY#<category>`."""
    category = product.category.strip().lower()
    return ProductWordItem(pk=f"{ALL_PRODUCTS}#CATEGORY#{category}", sk=sku_key(product.sku), sku=product.sku,
                           category=category)


def create_product(product: ProductItem) -> None:
    """Store a new product with its catalogue and name-search entries, all or nothing."""
    product.pk, product.sk = product_pk(product.sku), PRODUCT_SK
    _index_keys(product)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(product, condition=ProductItem.pk.does_not_exist())
            tx.save(category_entry(product))
            for word in _word_items(product):
                tx.save(word)
            if product.portal_visible:
                tx.save(CategoryItem("CATEGORIES", product.category.strip().lower(), name=product.category.strip()))
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):
            raise Conflict(f"Product {product.sku} already exists.", code="product_exists", field="sku") from exc
        raise


def update_product(before: ProductItem, changes: dict[str, object]) -> ProductItem:
    """Change a product's catalogue fields (never its stock counters, which orders move meanwhile), with its
    catalogue and name-search entries, all or nothing; the product after the change."""
    after, actions, deletes, puts = _update_ops(before, changes)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(ProductItem(before.pk, before.sk), actions=actions, condition=ProductItem.pk.exists())
            for word in deletes:
                tx.delete(word)
            for word in puts:
                tx.save(word)
            if after.portal_visible:
                tx.save(CategoryItem("CATEGORIES", after.category.strip().lower(), name=after.category.strip()))
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):  # the one condition: the product is still there
            raise NotFound(f"No product {before.sku}.", code="product_not_found") from exc
        raise
    return get_product(before.sku)


def adjust_stock(sku: str, delta: int, movement: StockMovementItem) -> None:
    """Add `delta` (negative takes away) to the counted stock and log the movement, together; stock never goes
    below zero (409 `insufficient_stock`)."""
    condition = ProductItem.pk.exists()
    if delta < 0:
        condition &= ProductItem.qty_on_hand >= -delta
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(ProductItem(product_pk(sku), PRODUCT_SK), actions=[ProductItem.qty_on_hand.add(delta)],
                      condition=condition)
            tx.save(movement, condition=StockMovementItem.pk.does_not_exist())
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):  # the movement's key is new: the stock condition failed
            get_product(sku)  # 404 when there is no such product
            raise Conflict(f"There are fewer than {-delta} units of {sku} in stock.", code="insufficient_stock",
                           field="delta") from exc
        raise


def admin_page(*, prefix: str | None, category: str | None, after_sku: str | None, limit: int) -> tuple[list[ProductItem], str | None]:
    """Every product (visible or not) in SKU order, from `after_sku`, optionally with a code prefix and in one
    category: one Query (a category: one Query of its entries and one BatchGetItem)."""
    sort_key = ProductWordItem.sk if category else ProductItem.gsi3sk
    if prefix and after_sku:  # one comparison on the sort key: after the cursor, inside the prefix
        condition = sort_key.between(sku_key(after_sku) + "\x01", sku_key(prefix) + "\uffff")
    elif prefix:
        condition = sort_key.startswith(sku_key(prefix))
    elif after_sku:
        condition = sort_key > sku_key(after_sku)
    else:
        condition = None
    if not category:
        result = ProductItem.all_products.query(ALL_PRODUCTS, range_key_condition=condition, limit=limit, page_size=limit)
        items = list(result)
        last = result.last_evaluated_key
        return items, (last["gsi3sk"]["S"] if last else None)
    # A category: its entries (one Query), then the products (one BatchGetItem).
    entries = ProductWordItem.query(f"{ALL_PRODUCTS}#CATEGORY#{category.strip().lower()}",
                                    range_key_condition=condition, limit=limit, page_size=limit)
    skus = [e.sk for e in entries]
    last = entries.last_evaluated_key
    found = find_products(skus) if skus else {}
    return [found[k] for k in skus if k in found], (last["sk"]["S"] if last else None)


def _update_ops(before: ProductItem, changes: dict[str, object]) -> tuple[ProductItem, list[Action], list[ProductWordItem], list[ProductWordItem]]:
    """The product after `changes`, its update actions, and its name-word entries to delete and to put."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not catalogue fields: {sorted(unknown)}")
    after = ProductItem(**{**before.attribute_values, **changes})
    after.pk, after.sk = before.pk, before.sk
    _index_keys(after)
    actions: list[Action] = []
    for name in (*sorted(changes), "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"):
        attr, value = getattr(ProductItem, name), getattr(after, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    old_words = {w.pk: w.category for w in _word_items(before)}
    new_words = _word_items(after)
    new_keys = {w.pk for w in new_words}
    deletes = [w for w in _word_items(before) if w.pk not in new_keys]
    puts = [w for w in new_words if old_words.get(w.pk) != w.category]  # a put rewrites a word whose category changed
    old_entry, new_entry = category_entry(before), category_entry(after)
    if old_entry.pk != new_entry.pk:
        deletes.append(old_entry)
        puts.append(new_entry)
    return after, actions, deletes, puts


TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems


def update_products(changed: list[tuple[ProductItem, dict[str, object]]]) -> None:
    """Change many products' catalogue fields (the CSV import): each product's update and name-word changes go
    together, packed into transactions of up to 100 items, so stock counters are never overwritten and a
    product is never half-changed. A product deleted meanwhile fails its transaction (404, nothing of it written)."""
    categories: dict[str, str] = {}
    batch: list[tuple[ProductItem, list[Action], list[ProductWordItem], list[ProductWordItem]]] = []
    size = 0

    def flush() -> None:
        if not batch:
            return
        try:
            with TransactWrite(connection=connection()) as tx:
                for product, actions, deletes, puts in batch:
                    tx.update(ProductItem(product.pk, product.sk), actions=actions, condition=ProductItem.pk.exists())
                    for word in deletes:
                        tx.delete(word)
                    for word in puts:
                        tx.save(word)
        except TransactWriteError as exc:
            if any(failed_conditions(exc)):
                raise Conflict("A product of the file was deleted meanwhile; check the file again.",
                               code="product_not_found") from exc
            raise
        batch.clear()

    for before, changes in changed:
        after, actions, deletes, puts = _update_ops(before, changes)
        items = 1 + len(deletes) + len(puts)
        if size + items > TRANSACTION_ITEMS:
            flush()
            size = 0
        batch.append((after, actions, deletes, puts))
        size += items
        if after.portal_visible:
            categories[after.category.strip().lower()] = after.category.strip()
    flush()
    if categories:
        with CategoryItem.batch_write() as writes:
            for key, name in categories.items():
                writes.save(CategoryItem("CATEGORIES", key, name=name))


def import_products(products: list[ProductItem]) -> None:
    """Bulk upsert (catalogue import from the ERP): batched puts, safe to run again after a failure.

    Unlike `create_product` this overwrites existing SKUs and is not atomic across products;
    each product's entries are written before the next product's.
    """
    categories: dict[str, str] = {}
    with ProductItem.batch_write() as batch:
        for product in products:
            product.pk, product.sk = product_pk(product.sku), PRODUCT_SK
            _index_keys(product)
            for word in _word_items(product):
                batch.save(word)
            batch.save(category_entry(product))
            batch.save(product)
            if product.portal_visible:
                categories[product.category.strip().lower()] = product.category.strip()
        for key, name in categories.items():
            batch.save(CategoryItem("CATEGORIES", key, name=name))


def get_product(sku: str) -> ProductItem:
    try:
        return ProductItem.get(product_pk(sku), PRODUCT_SK)
    except ProductItem.DoesNotExist as exc:
        raise NotFound(f"No product {sku}.", code="product_not_found") from exc


def find_products(skus: Iterable[str]) -> dict[str, ProductItem]:
    """Products by SKU key (upper case), one BatchGetItem per 100."""
    keys = sorted({sku_key(s) for s in skus})
    found = ProductItem.batch_get([(product_pk(s), PRODUCT_SK) for s in keys])
    return {sku_key(p.sku): p for p in found}


def set_stock(sku: str, qty_on_hand: int) -> ProductItem:
    """Set the counted stock; reservations are left as they are."""
    product = ProductItem(product_pk(sku), PRODUCT_SK)
    try:
        product.update(actions=[ProductItem.qty_on_hand.set(qty_on_hand)], condition=ProductItem.pk.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"No product {sku}.", code="product_not_found") from exc
        raise
    return product


def catalogue_page(*, category: str | None, after_sku: str | None, prefix: str | None, limit: int) -> Iterator[ProductItem]:
    """Visible products in SKU order, optionally in one category and/or starting with a code prefix."""
    index = ProductItem.by_category if category else ProductItem.catalogue
    hash_key = category_pk(category) if category else CATALOGUE
    range_attr = index.Meta.attributes["gsi2sk" if category else "gsi1sk"]
    condition = range_attr.startswith(sku_key(prefix)) if prefix else None
    start = None
    if after_sku:
        sk_name = "gsi2" if category else "gsi1"
        start = {
            "pk": {"S": product_pk(after_sku)},
            "sk": {"S": PRODUCT_SK},
            f"{sk_name}pk": {"S": hash_key},
            f"{sk_name}sk": {"S": sku_key(after_sku)},
        }
    return index.query(hash_key, range_key_condition=condition, last_evaluated_key=start, page_size=limit, limit=limit)


def skus_with_word(word: str, *, after_sku: str | None, category: str | None, limit: int) -> list[str]:
    """SKU keys of visible products whose name has `word`, in SKU order."""
    condition = ProductWordItem.sk > sku_key(after_sku) if after_sku else None
    filter_condition = ProductWordItem.category == category.strip().lower() if category else None
    result = []
    for item in ProductWordItem.query(word_pk(word), range_key_condition=condition, filter_condition=filter_condition, page_size=limit):
        result.append(item.sk)
        if len(result) >= limit:
            break
    return result


def categories() -> list[str]:
    """Names of the categories that have visible products, alphabetically."""
    return [c.name for c in CategoryItem.query("CATEGORIES")]
