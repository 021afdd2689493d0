"""Shops, their staff, categories, products, stock records and the stock movement log."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopapp.core.clock import utcnow
from shopapp.core.db import Base, TimestampMixin

# The choices offered in forms and accepted by the API and the CSV import.
UNITS = ("pièce", "kg", "100 g", "250 g", "500 g", "litre", "bouteille", "botte", "barquette", "bocal", "pot",
         "sachet", "tranche", "part", "douzaine", "lot de 6", "boîte", "bouquet")
VAT_RATES_BP = (550, 1000, 2000)
LABELS = ("bio", "local", "AOP", "AOC", "IGP", "label rouge", "fait maison", "de saison", "commerce équitable",
          "vegan", "sans gluten")
NET_UNITS = ("g", "ml")
ALLERGENS = ("gluten", "crustacés", "œufs", "poissons", "arachides", "soja", "lait", "fruits à coque", "céleri",
             "moutarde", "sésame", "sulfites", "lupin", "mollusques")


class ShopStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"


class Shop(TimestampMixin, Base):
    __tablename__ = "shop"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'suspended')", name="status_known"),
        CheckConstraint("preparation_minutes >= 0", name="preparation_non_negative"),
        CheckConstraint(
            "commission_rate_bps IS NULL OR (commission_rate_bps >= 0 AND commission_rate_bps <= 10000)",
            name="commission_rate_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    trade: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    logo_path: Mapped[str | None] = mapped_column(String(255), default=None)
    # A wide picture across the top of the shop's page (2:1), apart from its logo; the logo stands in without it.
    banner_path: Mapped[str | None] = mapped_column(String(255), default=None)
    # ISO weekdays the shop is open (1 = Monday … 7 = Sunday), e.g. [2, 3, 4, 5, 6].
    opening_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    preparation_minutes: Mapped[int] = mapped_column(default=120)
    status: Mapped[str] = mapped_column(String(16), default=ShopStatus.PENDING)
    commission_rate_bps: Mapped[int | None] = mapped_column(default=None)
    stripe_account_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The connected account's state as Stripe last told us (account.updated, the onboarding return
    # page); None until Stripe has been asked (an account recorded by hand is tried as it is).
    charges_enabled: Mapped[bool | None] = mapped_column(default=None)
    payouts_enabled: Mapped[bool | None] = mapped_column(default=None)
    details_submitted: Mapped[bool | None] = mapped_column(default=None)

    staff: Mapped[list[ShopStaff]] = relationship(back_populates="shop", cascade="all, delete-orphan")

    @property
    def is_visible(self) -> bool:
        return self.status == ShopStatus.APPROVED


class ShopStaff(Base):
    """A shopkeeper's membership of a shop; removing the row ends their access at once."""

    __tablename__ = "shop_staff"
    __table_args__ = (UniqueConstraint("shop_id", "user_id"), Index("ix_shop_staff_user_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    is_owner: Mapped[bool] = mapped_column(default=False)

    shop: Mapped[Shop] = relationship(back_populates="staff")


class ShopChange(Base):
    """Audit of a shop's own edit of its details (preparation time, opening days, description, address,
    logo): which field, the old and new values as text, who, when. The association reads it."""

    __tablename__ = "shop_change"
    __table_args__ = (Index("ix_shop_change_shop_id", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")


class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), default=None)
    position: Mapped[int] = mapped_column(default=0)
    # Wine, beer, spirits: their products carry the health mention and the buyer confirms being of age.
    is_alcoholic: Mapped[bool] = mapped_column(default=False, server_default=false())

    parent: Mapped[Category | None] = relationship(remote_side="Category.id")


class Product(TimestampMixin, Base):
    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("shop_id", "sku"),
        UniqueConstraint("shop_id", "slug"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate_range"),
        Index("ix_product_category_id", "category_id"),
        # The public list filters on active products of a shop and sorts by name or price.
        Index("ix_product_active_name", "is_active", "name"),
        Index("ix_product_shop_id_name", "shop_id", "name"),
        # The lists' count of active products (joined to their shops, and to the search's matches by id)
        # is read from this small index alone, not from the table's rows.
        Index("ix_product_active_shop_id_id", "shop_id", "id", postgresql_where=text("is_active IS true"),
              sqlite_where=text("is_active IS 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), default=None)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(180))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    unit: Mapped[str] = mapped_column(String(20), default="pièce")
    # What one unit holds, for a bottle, jar or piece (750 ml of wine, 250 g of honey): gives the price per
    # kilogram or litre. Both empty when unknown or when the unit says it (kg, litre, 250 g…).
    net_quantity: Mapped[int | None] = mapped_column(default=None)
    net_unit: Mapped[str | None] = mapped_column(String(2), default=None)
    vat_rate_bp: Mapped[int] = mapped_column(default=550)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    allergens: Mapped[list[str]] = mapped_column(JSON, default=list)
    image_path: Mapped[str | None] = mapped_column(String(255), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Perishable goods (bread, cheese, meat, flowers…): under the "pay the shops" no-show policy a shop is
    # paid for these lines of an order nobody collected; the rest is refunded to the resident.
    is_perishable: Mapped[bool] = mapped_column(default=False, server_default=false())

    shop: Mapped[Shop] = relationship()
    category: Mapped[Category | None] = relationship()
    stock: Mapped[StockRecord | None] = relationship(back_populates="product", uselist=False)

    @property
    def is_alcoholic(self) -> bool:
        """In an alcoholic category (wine, beer, spirits): the health mention, the buyer of age."""
        return self.category is not None and self.category.is_alcoholic


class StockRecord(Base):
    """Two-stage stock: `allocated` is held by orders until collected or released, so an order never
    takes what another order already holds."""

    __tablename__ = "stock_record"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("allocated >= 0", name="allocated_non_negative"),
        CheckConstraint("allocated <= on_hand", name="allocated_within_on_hand"),
        CheckConstraint("low_stock_threshold >= 0", name="low_stock_threshold_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), unique=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    allocated: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=3)

    product: Mapped[Product] = relationship(back_populates="stock")

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class StockMovement(Base):
    """Append-only log of stock changes: who, when, by how much, why."""

    __tablename__ = "stock_movement"
    __table_args__ = (Index("ix_stock_movement_product_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    delta: Mapped[int]
    on_hand_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(120))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    # Set when a till changed the stock through a shop API token (then actor_id is empty).
    shop_token_id: Mapped[int | None] = mapped_column(ForeignKey("shop_api_token.id", ondelete="SET NULL"),
                                                      default=None)
    created_at: Mapped[datetime] = mapped_column()


class ShopApiToken(TimestampMixin, Base):
    """A per-shop bearer token for tills: acts for that shop only. Only the SHA-256 is stored."""

    __tablename__ = "shop_api_token"
    __table_args__ = (Index("ix_shop_api_token_shop_id", "shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                      default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    shop: Mapped[Shop] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class FavouriteProduct(TimestampMixin, Base):
    """A resident keeps a product among their favourites (once)."""

    __tablename__ = "favourite_product"
    __table_args__ = (UniqueConstraint("user_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)


class FavouriteShop(TimestampMixin, Base):
    """A resident keeps a shop among their favourites (once)."""

    __tablename__ = "favourite_shop"
    __table_args__ = (UniqueConstraint("user_id", "shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), index=True)
