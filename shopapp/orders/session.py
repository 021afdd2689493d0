"""Whose basket a request works on: the logged-in account, or the anonymous browser's session token."""

from __future__ import annotations

from flask import session
from flask_login import current_user

from shopapp.orders.basket import BasketOwner, merge_anonymous_basket, new_basket_token

SESSION_KEY = "basket_token"  # kept across log-in by accounts.sessions.start_session, then merged


def current_owner(*, create: bool = False) -> BasketOwner:
    if current_user.is_authenticated:
        return BasketOwner(current_user.id, None)
    token = session.get(SESSION_KEY)
    if token is None and create:
        token = new_basket_token()
        session[SESSION_KEY] = token
    return BasketOwner(None, token)


def merge_after_log_in() -> None:
    """Before each request: a signed-in visitor still carrying an anonymous basket (kept across log-in)
    gets it merged into their own basket, once; the request boundary commits."""
    if SESSION_KEY in session and current_user.is_authenticated:
        merge_anonymous_basket(session.pop(SESSION_KEY), current_user.id)
