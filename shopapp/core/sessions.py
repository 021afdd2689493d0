"""Flask's signed-cookie sessions, minus one cost on the requests that bring no session cookie.

Flask builds the cookie's signer (an itsdangerous serializer, which test-serialises a value when it is
made) before it looks for the cookie. Most visitors of the public pages have none: they get their empty
session straight away. A request with a cookie, and the saving of a session, go through Flask unchanged.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask answers without a cookie, without building the signer
        return super().open_session(app, request)
