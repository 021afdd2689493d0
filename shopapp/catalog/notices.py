"""Shop notices owned by the catalog: who a shop's notices go to, and the low-stock alert.

A shop's notices go to each member of its staff (in their own language) and to the shop's contact
address (French), one message per address.
"""

from __future__ import annotations

from sqlalchemy import select

from shopapp.accounts.models import User
from shopapp.catalog.models import Product, Shop, ShopStaff, StockRecord
from shopapp.core import outbox
from shopapp.core.urls import public_url
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.rendering import Recipient, render_mail, unique_recipients


def shop_recipients(shop_id: int) -> list[Recipient]:
    """The enabled staff accounts of the shop, then the shop's own address; one entry per address."""
    staff = db.session.execute(
        select(User.id, User.email, User.locale, User.name)
        .join(ShopStaff, ShopStaff.user_id == User.id)
        .where(ShopStaff.shop_id == shop_id, User.is_enabled.is_(True))
        .order_by(User.id)
    ).all()
    shop_email = db.session.scalar(select(Shop.email).where(Shop.id == shop_id)) or ""
    people = [Recipient(email=e, locale=loc or "fr", user_id=uid, name=name) for uid, e, loc, name in staff]
    return unique_recipients([*people, Recipient(email=shop_email)])


def send_low_stock_notice(product_id: int) -> int:
    """Tell the shop one of its products fell to its alert level (job emitted by `stock`, once per
    crossing: the notice key carries the outbox job). Commits each claim; returns messages sent.

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    product = db.session.get(Product, product_id)
    if product is None:
        return 0
    record = db.session.scalar(select(StockRecord).where(StockRecord.product_id == product_id))
    crossing = outbox.current_job_id() or 0
    shop = product.shop
    link = public_url("catalog.bo_low_stock", shop_slug=shop.slug)
    # Every message rendered before the first claim, whose commit expires the product, shop and stock rows.
    messages = [(recipient, render_mail("low_stock", recipient, shop=shop, product=product, record=record, link=link))
                for recipient in shop_recipients(shop.id)]
    return sum(notices.send_once(f"low_stock:{product_id}:{crossing}", recipient.email, "low_stock",
                                 notices.built(message))
               for recipient, message in messages)

