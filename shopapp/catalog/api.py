"""JSON API of the catalog: public browsing under /api/v1, and the shop API under /api/v1/shop.

Views are thin: parse, authorize, one service call, serialize.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user

from shopapp.accounts.access import login_required, public
from shopapp.catalog import favourites, queries, services, suggestions
from shopapp.catalog.access import acting_for, shop_api
from shopapp.catalog.schemas import (
    CategoryList,
    FavouritesOut,
    MerchantList,
    MerchantOut,
    MovementList,
    ProductCreate,
    ProductDetail,
    ProductList,
    ProductPatch,
    ProductQuery,
    ShopOnly,
    ShopProductList,
    ShopProductOut,
    ShopQuery,
    StockDelta,
    StockOut,
    StockSet,
    SuggestionList,
    SuggestionOut,
    SuggestQuery,
    category_out,
    merchant_out,
    movement_out,
    product_detail,
    product_out,
    shop_product_out,
    stock_out,
)
from shopapp.core.api import Page, documented, parse_body, parse_query, respond
from shopapp.core.cache import public_cached
from shopapp.core.conditional import conditional_get

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


@bp.get("/merchants")
@public
@documented("Approved shops", response=MerchantList, query=Page)
@conditional_get
@public_cached
def merchants():  # type: ignore[no-untyped-def]
    page = parse_query(Page)
    shops, total = queries.list_shops(page.page, page.per_page)
    return respond(MerchantList(items=[merchant_out(s) for s in shops], page=page.page, per_page=page.per_page,
                                total=total))


@bp.get("/merchants/<slug>")
@public
@documented("One approved shop", response=MerchantOut)
@conditional_get
@public_cached
def merchant(slug: str):  # type: ignore[no-untyped-def]
    return respond(merchant_out(queries.get_visible_shop(slug)))


@bp.get("/categories")
@public
@documented("Categories (two levels)", response=CategoryList, query=Page)
@conditional_get
@public_cached
def categories():  # type: ignore[no-untyped-def]
    page = parse_query(Page)
    every = queries.list_categories()
    chosen = every[(page.page - 1) * page.per_page: page.page * page.per_page]
    return respond(CategoryList(items=[category_out(c) for c in chosen], page=page.page, per_page=page.per_page,
                                total=len(every)))


@bp.get("/products")
@public
@documented("Products: French full-text search, filters, sorting", response=ProductList, query=ProductQuery)
@conditional_get
@public_cached
def products():  # type: ignore[no-untyped-def]
    query = parse_query(ProductQuery)
    result = queries.list_products(
        queries.ProductFilters(q=query.q, shop_slug=query.merchant, category_slug=query.category,
                                label=query.label, in_stock=query.in_stock, sort=query.sort),
        query.page, query.per_page,
    )
    return respond(ProductList(items=[product_out(p) for p in result.items], page=query.page,
                               per_page=query.per_page, total=result.total))


@bp.get("/products/<int:product_id>")
@public
@documented("One product", response=ProductDetail)
@conditional_get
@public_cached
def product(product_id: int):  # type: ignore[no-untyped-def]
    return respond(product_detail(queries.get_visible_product(product_id)))


@bp.get("/search/suggest")
@public
@documented("Suggestions as the resident types: products, shops and categories from the first letters, "
            "best first (at most 8)", response=SuggestionList, query=SuggestQuery)
@conditional_get
@public_cached
def suggest():  # type: ignore[no-untyped-def]
    query = parse_query(SuggestQuery)
    return respond(SuggestionList(items=[
        SuggestionOut(kind=item.kind, id=item.id, label=item.label, url=url_for(item.endpoint, **item.values))
        for item in suggestions.suggest(query.q)
    ]))


# -- favourites ---------------------------------------------------------------------------------------

@bp.get("/favourites")
@login_required
@documented("My favourite products and shops, most recently kept first", response=FavouritesOut, auth="bearer")
def list_favourites():  # type: ignore[no-untyped-def]
    found = favourites.list_favourites(current_user.id)
    return respond(FavouritesOut(products=[product_out(p) for p in found.products],
                                 shops=[merchant_out(s) for s in found.shops]))


@bp.put("/favourites/products/<int:product_id>")
@login_required
@documented("Keep a product among my favourites (idempotent)", auth="bearer", status=204)
def put_favourite_product(product_id: int):  # type: ignore[no-untyped-def]
    favourites.add_product(current_user.id, product_id)
    return "", 204


@bp.delete("/favourites/products/<int:product_id>")
@login_required
@documented("Forget a favourite product (idempotent)", auth="bearer", status=204)
def delete_favourite_product(product_id: int):  # type: ignore[no-untyped-def]
    favourites.remove_product(current_user.id, product_id)
    return "", 204


@bp.put("/favourites/shops/<slug>")
@login_required
@documented("Keep a shop among my favourites (idempotent)", auth="bearer", status=204)
def put_favourite_shop(slug: str):  # type: ignore[no-untyped-def]
    favourites.add_shop(current_user.id, slug)
    return "", 204


@bp.delete("/favourites/shops/<slug>")
@login_required
@documented("Forget a favourite shop (idempotent)", auth="bearer", status=204)
def delete_favourite_shop(slug: str):  # type: ignore[no-untyped-def]
    favourites.remove_shop(current_user.id, slug)
    return "", 204


# -- shop API ----------------------------------------------------------------------------------------


def _data(body: ProductCreate | ProductPatch) -> services.ProductData:
    given = body.model_fields_set
    net_given = "net_quantity" in given or "net_unit" in given
    return services.ProductData(
        sku=body.sku, name=body.name, price_cents=body.price_cents, unit=body.unit,
        net_quantity=(body.net_quantity or 0) if net_given else None,
        net_unit=(body.net_unit or "") if net_given else None,
        category_slug=(body.category or "") if "category" in given else None,
        vat_rate_bp=body.vat_rate_bp, description=body.description, labels=body.labels, allergens=body.allergens,
        is_active=getattr(body, "active", None), is_perishable=body.perishable,
        low_stock_threshold=body.low_stock_threshold, stock=body.stock,
        provided=set(given),
    )


@bp.get("/shop/products")
@shop_api(token_allowed=True)
@documented("The shop's products with their stock", response=ShopProductList, query=ShopQuery, auth="bearer")
def shop_products():  # type: ignore[no-untyped-def]
    query = parse_query(ShopQuery)
    acting = acting_for(query.shop)
    result = services.list_shop_products(acting.shop.id, query.page, query.per_page, q=query.q)
    return respond(ShopProductList(items=[shop_product_out(p) for p in result.items], page=query.page,
                                   per_page=query.per_page, total=result.total))


@bp.post("/shop/products")
@shop_api(token_allowed=False)
@documented("Create a product", body=ProductCreate, response=ShopProductOut, status=201, query=ShopOnly,
            auth="bearer")
def shop_create_product():  # type: ignore[no-untyped-def]
    acting = acting_for(parse_query(ShopOnly).shop)
    body = parse_body(ProductCreate)
    created = services.create_product(acting.shop.id, _data(body), actor_id=acting.user_id)
    return respond(shop_product_out(services.get_shop_product(acting.shop.id, created.id)), 201)


@bp.get("/shop/products/<int:product_id>")
@shop_api(token_allowed=True)
@documented("One of the shop's products", response=ShopProductOut, query=ShopOnly, auth="bearer")
def shop_product(product_id: int):  # type: ignore[no-untyped-def]
    acting = acting_for(parse_query(ShopOnly).shop)
    return respond(shop_product_out(services.get_shop_product(acting.shop.id, product_id)))


@bp.patch("/shop/products/<int:product_id>")
@shop_api(token_allowed=False)
@documented("Change a product", body=ProductPatch, response=ShopProductOut, query=ShopOnly, auth="bearer")
def shop_update_product(product_id: int):  # type: ignore[no-untyped-def]
    acting = acting_for(parse_query(ShopOnly).shop)
    body = parse_body(ProductPatch)
    updated = services.update_product(acting.shop.id, product_id, _data(body), actor_id=acting.user_id)
    return respond(shop_product_out(services.get_shop_product(acting.shop.id, updated.id)))


@bp.put("/shop/products/<int:product_id>/stock")
@shop_api(token_allowed=True)
@documented("Set the stock on hand (absolute count)", body=StockSet, response=StockOut, query=ShopOnly,
            auth="bearer")
def shop_set_stock(product_id: int):  # type: ignore[no-untyped-def]
    acting = acting_for(parse_query(ShopOnly).shop)
    body = parse_body(StockSet)
    services.set_stock(acting.shop.id, product_id, body.quantity, body.reason, actor_id=acting.user_id,
                       shop_token_id=acting.shop_token_id)
    return respond(stock_out(services.get_shop_product(acting.shop.id, product_id)))


@bp.post("/shop/products/<int:product_id>/stock-movements")
@shop_api(token_allowed=True)
@documented("Add or remove stock (relative)", body=StockDelta, response=StockOut, status=201, query=ShopOnly,
            auth="bearer")
def shop_move_stock(product_id: int):  # type: ignore[no-untyped-def]
    acting = acting_for(parse_query(ShopOnly).shop)
    body = parse_body(StockDelta)
    services.adjust_stock(acting.shop.id, product_id, body.delta, body.reason, actor_id=acting.user_id,
                          shop_token_id=acting.shop_token_id)
    return respond(stock_out(services.get_shop_product(acting.shop.id, product_id)), 201)


@bp.get("/shop/products/<int:product_id>/stock-movements")
@shop_api(token_allowed=True)
@documented("The latest stock movements of a product", response=MovementList, query=ShopOnly, auth="bearer")
def shop_stock_movements(product_id: int):  # type: ignore[no-untyped-def]
    acting = acting_for(parse_query(ShopOnly).shop)
    movements = services.stock_movements(acting.shop.id, product_id)
    return respond(MovementList(items=[movement_out(m) for m in movements]))


@bp.get("/shop/low-stock")
@shop_api(token_allowed=True)
@documented("Active products at or under their low-stock threshold", response=ShopProductList, query=ShopOnly,
            auth="bearer")
def shop_low_stock():  # type: ignore[no-untyped-def]
    acting = acting_for(parse_query(ShopOnly).shop)
    items = services.low_stock(acting.shop.id)
    return respond(ShopProductList(items=[shop_product_out(p) for p in items], page=1, per_page=max(1, len(items)),
                                   total=len(items)))
