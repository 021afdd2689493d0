"""Catalog pages: products, search, shops, categories, media; and the shopkeeper's back-office."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from shopapp.accounts.access import login_required, public
from shopapp.accounts.forms import EmptyForm
from shopapp.catalog import favourites, images, importer, queries, services, shop_details, tokens
from shopapp.catalog.access import manages_team, shop_for_user, shop_staff_required, shops_for_user
from shopapp.catalog.forms import (
    BannerForm,
    FavouriteForm,
    ImageForm,
    ImportForm,
    LogoForm,
    ProductForm,
    ShopDetailsForm,
    ShopTokenForm,
    StockForm,
)
from shopapp.catalog.models import LABELS, Product, Shop, ShopStatus
from shopapp.catalog.pricing import reference_price
from shopapp.core import page_cache
from shopapp.core.cache import answered_early
from shopapp.core.conditional import conditional_get
from shopapp.core.forms import report_errors, save_upload
from shopapp.core.urls import safe_next
from shopapp.errors import DomainError
from shopapp.templating import format_price

bp = Blueprint("catalog", __name__)


@bp.app_template_filter("reference_price")
def reference_price_text(product: Product) -> str:
    """`soit 18,00 € TTC / kg` beside a product sold by weight or volume, empty otherwise."""
    found = reference_price(product.price_cents, product.unit, product.net_quantity, product.net_unit)
    if found is None:
        return ""
    cents, unit = found
    return _("soit %(price)s / %(unit)s", price=format_price(cents, product.currency), unit=unit)

PER_PAGE = 24
SORT_LABELS = {"": _l("Pertinence / nom"), "name": _l("Nom"), "price": _l("Prix croissant"),
               "-price": _l("Prix décroissant"), "new": _l("Nouveautés")}
PRODUCT_FIELDS = {"price_cents": "price"}  # the product services' field names → the product form's


def _filters(**fixed: str) -> tuple[queries.ProductFilters, int]:
    args = request.args
    sort = args.get("sort", "")
    page = args.get("page", "1")
    filters = queries.ProductFilters(
        q=(args.get("q") or "")[:200] or None,
        shop_slug=fixed.get("shop") or args.get("boutique") or None,
        category_slug=fixed.get("category") or args.get("categorie") or None,
        label=args.get("label") or None,
        in_stock=args.get("en_stock") == "1",
        sort=sort if sort in queries.SORTS else None,
    )
    return filters, max(1, min(int(page) if page.isdigit() else 1, 10_000))


# -- public pages ------------------------------------------------------------------------------------


@bp.get("/produits")
@public
@conditional_get
@page_cache.for_visitors_without_session
def products():  # type: ignore[no-untyped-def]
    page_cache.defer_csrf_token()
    filters, page = _filters()
    result = queries.list_products(filters, page, PER_PAGE)
    return render_template("catalog/products.html", result=result, filters=filters,
                           categories=queries.list_categories(), labels=LABELS, sorts=SORT_LABELS)


def _product_for_visitor(product_id: int) -> tuple[bytes, str] | None:
    """The early answer (core/cache.py) of a product page to a visitor without credentials: its kept copy
    when the version of its rows (read in one statement returning one short value, or held by this process
    for a few seconds: core/page_cache.py) was rendered already; else None (the view runs)."""
    body = page_cache.kept_copy_for_visitor("catalog.product", product_id, queries.read_product_versions)
    return None if body is None else (body, "text/html; charset=utf-8")  # None: the view answers (404 if gone)


@bp.get("/produits/<int:product_id>")
@public
@conditional_get
@answered_early(_product_for_visitor)
def product(product_id: int):  # type: ignore[no-untyped-def]
    page_cache.defer_csrf_token()
    if not page_cache.serves_anonymous_copy():  # signed in, a basket, a flash message…: the full rendering
        return render_template("catalog/product.html", product=queries.get_visible_product(product_id),
                               favourite=product_id in favourites.product_ids(_user_id(), [product_id]))
    # One statement reads the page's rows and their version (404 when not visible); the page is rendered
    # from them only when that version is not in the cache yet.
    page = queries.read_product_page(product_id)
    return page_cache.anonymous_page(
        "catalog.product", page.version, lambda: render_template("catalog/product.html", product=page.product()),
        held_as=product_id,
    )


@bp.get("/boutiques/<slug>")
@public
@conditional_get
@page_cache.for_visitors_without_session
def shop(slug: str):  # type: ignore[no-untyped-def]
    page_cache.defer_csrf_token()
    found = queries.get_visible_shop(slug)
    filters, page = _filters(shop=slug)
    return render_template("catalog/shop.html", shop=found, filters=filters,
                           result=queries.list_products(filters, page, PER_PAGE),
                           favourite=found.id in favourites.shop_ids(_user_id(), [found.id]))


@bp.get("/categories/<slug>")
@public
@conditional_get
@page_cache.for_visitors_without_session
def category(slug: str):  # type: ignore[no-untyped-def]
    page_cache.defer_csrf_token()
    found = queries.get_category(slug)
    filters, page = _filters(category=slug)
    return render_template("catalog/category.html", category=found, children=queries.child_categories(found.id),
                           filters=filters, result=queries.list_products(filters, page, PER_PAGE))


@bp.get("/media/<path:filename>")
@public
def media(filename: str):  # type: ignore[no-untyped-def]
    # Names are content hashes: a given URL never changes, so browsers may keep it for a year.
    response = send_from_directory(Path(images.media_root()), filename, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# -- favourites -------------------------------------------------------------------------------------


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


@bp.get("/mes-favoris")
@login_required
def my_favourites():  # type: ignore[no-untyped-def]
    return render_template("catalog/favourites.html", favourites=favourites.list_favourites(current_user.id))


@bp.post("/favoris/produits/<int:product_id>")
@login_required
def favourite_product(product_id: int):  # type: ignore[no-untyped-def]
    form = FavouriteForm()
    if not form.validate_on_submit():
        abort(400)
    if form.action.data == "add":
        favourites.add_product(current_user.id, product_id)
        flash(_("Ajouté à vos favoris."), "success")
    else:
        favourites.remove_product(current_user.id, product_id)
        flash(_("Retiré de vos favoris."), "success")
    return redirect(safe_next(form.next.data, url_for("catalog.product", product_id=product_id)))


@bp.post("/favoris/boutiques/<slug>")
@login_required
def favourite_shop(slug: str):  # type: ignore[no-untyped-def]
    form = FavouriteForm()
    if not form.validate_on_submit():
        abort(400)
    if form.action.data == "add":
        favourites.add_shop(current_user.id, slug)
        flash(_("Boutique ajoutée à vos favoris."), "success")
    else:
        favourites.remove_shop(current_user.id, slug)
        flash(_("Boutique retirée de vos favoris."), "success")
    return redirect(safe_next(form.next.data, url_for("catalog.shop", slug=slug)))


# -- back-office -------------------------------------------------------------------------------------


@bp.app_context_processor
def inject_team_access() -> dict[str, object]:
    """The back-office menu links the shop's team page for those who manage it (owners, acting admins)."""
    return {"manages_team": lambda shop_: current_user.is_authenticated and manages_team(current_user.id, shop_.id)}


@bp.get("/ma-boutique")
@shop_staff_required
def backoffice():  # type: ignore[no-untyped-def]
    shops = shops_for_user(current_user.id)
    if len(shops) == 1:
        return redirect(url_for("catalog.bo_products", shop_slug=shops[0].slug))
    return render_template("catalog/bo/shops.html", shops=shops)


@bp.get("/ma-boutique/<shop_slug>/produits")
@shop_staff_required
def bo_products(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    page = request.args.get("page", "1")
    result = services.list_shop_products(shop_.id, int(page) if page.isdigit() and page != "0" else 1, 50,
                                         q=request.args.get("q"))
    return render_template("catalog/bo/products.html", shop=shop_, result=result, q=request.args.get("q", ""),
                           low=services.low_stock(shop_.id), without_photo=services.count_without_photo(shop_.id))


def _product_form(product: Product | None = None) -> ProductForm:
    form = ProductForm(obj=product) if product is not None else ProductForm()
    form.category.choices = [SelectChoice("", _("Sans catégorie"))] + [
        SelectChoice(c.slug, ("— " if c.parent_id else "") + c.name) for c in queries.list_categories()
    ]
    if product is not None and request.method == "GET":
        form.price.data = f"{product.price_cents // 100},{product.price_cents % 100:02d}"
        form.category.data = product.category.slug if product.category else ""
        form.net_unit.data = product.net_unit or ""
        form.labels.data = ", ".join(product.labels or [])
        form.allergens.data = ", ".join(product.allergens or [])
        form.low_stock_threshold.data = product.stock.low_stock_threshold if product.stock else 3
    return form


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _data_from(form: ProductForm, *, creating: bool) -> services.ProductData:
    return services.ProductData(
        sku=form.sku.data, name=form.name.data, price_cents=getattr(form.price, "cents", None), unit=form.unit.data,
        net_quantity=form.net_quantity.data or 0, net_unit=form.net_unit.data or "",
        category_slug=form.category.data or "", vat_rate_bp=form.vat_rate_bp.data,
        description=form.description.data or "", labels=_split(form.labels.data),
        allergens=_split(form.allergens.data), is_active=form.is_active.data,
        is_perishable=bool(form.is_perishable.data),
        low_stock_threshold=form.low_stock_threshold.data, stock=(form.stock.data or 0) if creating else None,
    )


@bp.route("/ma-boutique/<shop_slug>/produits/nouveau", methods=["GET", "POST"])
@shop_staff_required
def bo_new_product(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    form = _product_form()
    if form.validate_on_submit():
        try:
            created = services.create_product(shop_.id, _data_from(form, creating=True), actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error, aliases=PRODUCT_FIELDS, fallback="name")
        else:
            flash(_("Le produit « %(name)s » est créé.", name=created.name), "success")
            return redirect(url_for("catalog.bo_edit_product", shop_slug=shop_.slug, product_id=created.id))
    return render_template("catalog/bo/product_form.html", shop=shop_, form=form, product=None), (
        422 if form.errors else 200)


@bp.route("/ma-boutique/<shop_slug>/produits/<int:product_id>", methods=["GET", "POST"])
@shop_staff_required
def bo_edit_product(shop_slug: str, product_id: int):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    product_ = services.get_shop_product(shop_.id, product_id)
    form = _product_form(product_)
    del form.stock  # stock changes go through the stock form, with a reason
    if form.validate_on_submit():
        try:
            services.update_product(shop_.id, product_id, _data_from(form, creating=False), actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error, aliases=PRODUCT_FIELDS, fallback="name")
        else:
            flash(_("Modifications enregistrées."), "success")
            return redirect(url_for("catalog.bo_edit_product", shop_slug=shop_.slug, product_id=product_id))
    return _edit_page(shop_, product_, form=form, status=422 if form.errors else 200)


def _edit_page(shop_, product_, *, form=None, stock_form=None, image_form=None, status=200):  # type: ignore[no-untyped-def]
    return render_template(
        "catalog/bo/product_form.html", shop=shop_, product=product_, form=form or _product_form(product_),
        stock_form=stock_form or StockForm(formdata=None), image_form=image_form or ImageForm(formdata=None),
        toggle_form=EmptyForm(), movements=services.stock_movements(shop_.id, product_.id, limit=10),
    ), status


@bp.post("/ma-boutique/<shop_slug>/produits/<int:product_id>/stock")
@shop_staff_required
def bo_adjust_stock(shop_slug: str, product_id: int):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    product_ = services.get_shop_product(shop_.id, product_id)
    stock_form = StockForm()
    if stock_form.validate_on_submit():
        try:
            on_hand = services.adjust_stock(shop_.id, product_id, stock_form.delta.data or 0,
                                            stock_form.reason.data or "", actor_id=current_user.id)
        except DomainError as error:
            stock_form.delta.errors = [*stock_form.delta.errors, error.message]
        else:
            flash(_("Stock mis à jour : %(n)s en stock.", n=on_hand), "success")
            return redirect(url_for("catalog.bo_edit_product", shop_slug=shop_.slug, product_id=product_id))
    return _edit_page(shop_, product_, form=_product_form(product_), stock_form=stock_form, status=422)


@bp.post("/ma-boutique/<shop_slug>/produits/<int:product_id>/photo")
@shop_staff_required
def bo_product_image(shop_slug: str, product_id: int):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    product_ = services.get_shop_product(shop_.id, product_id)
    image_form = ImageForm()
    if image_form.validate_on_submit() and save_upload(
        image_form.image, lambda data: images.set_product_image(product_, data)
    ):
        flash(_("La photo est enregistrée."), "success")
        return redirect(url_for("catalog.bo_edit_product", shop_slug=shop_.slug, product_id=product_id))
    return _edit_page(shop_, product_, image_form=image_form, status=422)


@bp.post("/ma-boutique/<shop_slug>/produits/<int:product_id>/activation")
@shop_staff_required
def bo_toggle_product(shop_slug: str, product_id: int):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    product_ = services.set_product_active(shop_.id, product_id, request.form.get("active") == "1")
    flash(_("Le produit est en vente.") if product_.is_active else _("Le produit est retiré de la vente."), "success")
    return redirect(url_for("catalog.bo_products", shop_slug=shop_.slug))


@bp.get("/ma-boutique/<shop_slug>/stock-bas")
@shop_staff_required
def bo_low_stock(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    return render_template("catalog/bo/low_stock.html", shop=shop_, products=services.low_stock(shop_.id))


def _details_form(shop_: Shop) -> ShopDetailsForm:
    return ShopDetailsForm(data={"preparation_minutes": shop_.preparation_minutes,
                                 "opening_days": list(shop_.opening_days or range(1, 8)),
                                 "description": shop_.description, "address": shop_.address})


def _settings_page(shop_: Shop, *, form: LogoForm | None = None, details_form: ShopDetailsForm | None = None,  # type: ignore[no-untyped-def]
                   banner_form: BannerForm | None = None):
    logo_form, details = form or LogoForm(), details_form or _details_form(shop_)
    banner = banner_form or BannerForm()
    return render_template("catalog/bo/settings.html", shop=shop_, form=logo_form, details_form=details,
                           banner_form=banner, can_edit_details=shop_.status != ShopStatus.PENDING), \
        422 if (logo_form.errors or details.errors or banner.errors) else 200


@bp.route("/ma-boutique/<shop_slug>/reglages", methods=["GET", "POST"])
@shop_staff_required
def bo_settings(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    form = LogoForm()
    old_logo = shop_.logo_path
    if form.validate_on_submit() and save_upload(form.logo, lambda data: images.set_shop_logo(shop_, data)):
        shop_details.record_change(shop_.id, "logo", old_logo, shop_.logo_path, actor_id=current_user.id)
        flash(_("Le logo est enregistré."), "success")
        return redirect(url_for("catalog.bo_settings", shop_slug=shop_.slug))
    return _settings_page(shop_, form=form)


@bp.post("/ma-boutique/<shop_slug>/banniere")
@shop_staff_required
def bo_banner(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    form = BannerForm()
    old_banner = shop_.banner_path
    if form.validate_on_submit() and save_upload(form.banner, lambda data: images.set_shop_banner(shop_, data)):
        shop_details.record_change(shop_.id, "banner", old_banner, shop_.banner_path, actor_id=current_user.id)
        flash(_("La bannière est enregistrée."), "success")
        return redirect(url_for("catalog.bo_settings", shop_slug=shop_.slug))
    return _settings_page(shop_, banner_form=form)


@bp.post("/ma-boutique/<shop_slug>/fiche")
@shop_staff_required
def bo_details(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    if shop_.status == ShopStatus.PENDING:
        abort(403)  # the details are edited once the association has approved the shop
    form = ShopDetailsForm()
    if form.validate_on_submit():
        details = shop_details.ShopDetails(
            preparation_minutes=form.preparation_minutes.data or 0, opening_days=tuple(form.opening_days.data or ()),
            description=form.description.data or "", address=form.address.data or "")
        try:
            shop_details.update_details(shop_, details, actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error, fallback="address")
        else:
            flash(_("La fiche de la boutique est enregistrée."), "success")
            return redirect(url_for("catalog.bo_settings", shop_slug=shop_.slug))
    return _settings_page(shop_, details_form=form)


@bp.route("/ma-boutique/<shop_slug>/import", methods=["GET", "POST"])
@shop_staff_required
def bo_import(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    form = ImportForm()
    failure = None
    report = None
    if form.validate_on_submit():
        try:
            report = importer.import_products(shop_.id, form.file.data.read(), actor_id=current_user.id)
        except importer.ImportFailed as error:
            failure = error
    status = 422 if (failure or form.errors) else 200
    return render_template("catalog/bo/import.html", shop=shop_, form=form, failure=failure, report=report,
                           columns=importer.COLUMN_LABELS), status


@bp.route("/ma-boutique/<shop_slug>/jetons", methods=["GET", "POST"])
@shop_staff_required
def bo_tokens(shop_slug: str):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    form = ShopTokenForm()
    if form.validate_on_submit():
        _token, plain = tokens.issue_shop_token(shop_.id, form.label.data or "", actor_id=current_user.id)
        # Shown once on the next page, never stored in clear.
        session["new_shop_token"] = plain
        return redirect(url_for("catalog.bo_tokens", shop_slug=shop_.slug))
    return render_template("catalog/bo/tokens.html", shop=shop_, form=form, revoke_form=EmptyForm(),
                           tokens=tokens.list_shop_tokens(shop_.id),
                           new_token=session.pop("new_shop_token", None)), 422 if form.errors else 200


@bp.post("/ma-boutique/<shop_slug>/jetons/<int:token_id>/revoquer")
@shop_staff_required
def bo_revoke_token(shop_slug: str, token_id: int):  # type: ignore[no-untyped-def]
    shop_ = shop_for_user(current_user.id, shop_slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    tokens.revoke_shop_token(shop_.id, token_id)
    flash(_("Le jeton est révoqué."), "success")
    return redirect(url_for("catalog.bo_tokens", shop_slug=shop_.slug))
