"""Whose basket a request works on: the logged-in account, or the anonymous browser's session token."""

from __future__ import annotations

from flask import session
from flask_login import current_user

from shopapp.orders.basket import BasketOwner, new_basket_token

SESSION_KEY = "basket_token"  # kept across log-in by accounts.views._start_session, then merged


def current_owner(*, create: bool = False) -> BasketOwner:
    if current_user.is_authenticated:
        return BasketOwner(current_user.id, None)
    token = session.get(SESSION_KEY)
    if token is None and create:
        token = new_basket_token()
        session[SESSION_KEY] = token
    return BasketOwner(None, token)
