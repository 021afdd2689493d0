"""Shop API tokens (tills): issued to a shop, shown once, stored hashed, revoked at once.

Services flush and never commit; the request boundary commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shopapp.catalog.models import ShopApiToken, ShopStatus
from shopapp.core.clock import utcnow
from shopapp.errors import NotFoundError, ValidationFailed
from shopapp.extensions import db

SHOP_TOKEN_PREFIX = "amcshop_"  # noqa: S105 - a public prefix, distinct from user tokens ("amc_")


def _hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def issue_shop_token(shop_id: int, label: str, *, actor_id: int | None) -> tuple[ShopApiToken, str]:
    """Create a till token for the shop; the plain value is returned once and never stored. Flushes."""
    label = label.strip()[:80]
    if not label:
        raise ValidationFailed("Donnez un nom au jeton.", fields={"label": "Ce champ est obligatoire."})
    plain = SHOP_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ShopApiToken(shop_id=shop_id, token_hash=_hash_token(plain), label=label, created_by_id=actor_id)
    db.session.add(token)
    db.session.flush()
    return token, plain


def list_shop_tokens(shop_id: int) -> Sequence[ShopApiToken]:
    return db.session.scalars(
        select(ShopApiToken).where(ShopApiToken.shop_id == shop_id, ShopApiToken.revoked_at.is_(None))
        .order_by(ShopApiToken.id)
    ).all()


def revoke_shop_token(shop_id: int, token_id: int) -> None:
    """Revoke one of the shop's tokens at once. Flushes. :raise NotFoundError: not this shop's token."""
    token = db.session.get(ShopApiToken, token_id)
    if token is None or token.shop_id != shop_id:
        raise NotFoundError("Jeton introuvable.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def shop_token_for(plain: str) -> ShopApiToken | None:
    """The live token behind a plain value whose shop is not suspended, else None."""
    if not plain.startswith(SHOP_TOKEN_PREFIX):
        return None
    token = db.session.scalar(
        select(ShopApiToken).where(ShopApiToken.token_hash == _hash_token(plain)).options(joinedload(ShopApiToken.shop))
    )
    if token is None or token.is_revoked or token.shop.status == ShopStatus.SUSPENDED:
        return None
    return token
