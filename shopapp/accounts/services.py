"""Account rules: registration, authentication, roles, password reset, API tokens.

Services flush and never commit; the request, CLI or task boundary commits, so one unit of work is
one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from shopapp.accounts.models import ApiToken, Role, User, UserRole, new_session_token
from shopapp.core import mail, outbox
from shopapp.core.clock import utcnow
from shopapp.core.i18n import force_locale_for
from shopapp.core.urls import public_url
from shopapp.errors import DomainError, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.channels import sms_enabled

MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "amc_"  # noqa: S105 - a public prefix, not a secret
WELCOME_TASK = "accounts.send_welcome_email"
RESET_TASK = "accounts.send_password_reset"
CONFIRM_TASK = "accounts.send_address_confirmation"
EMAIL_CHANGE_TASK = "accounts.send_email_change"
auth_log = logging.getLogger("shopapp.auth")
# A hash to compare against when the e-mail is unknown, so that timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class EmailTaken(DomainError):
    status = 409
    code = "email_taken"


class InvalidResetToken(DomainError):
    status = 400
    code = "invalid_token"


class InvalidConfirmationLink(DomainError):
    status = 400
    code = "invalid_token"


class WrongPassword(DomainError):
    status = 422
    code = "wrong_password"


def normalise_email(email: str) -> str:
    return email.strip().lower()


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords shipped with the project (accounts/data/common_passwords.txt)."""
    path = Path(__file__).with_name("data") / "common_passwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def validate_password(password: str, email: str = "") -> None:
    """:raise ValidationFailed: the password is too short, too common, or is the e-mail address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.",
            fields={"password": f"Au moins {MIN_PASSWORD_LENGTH} caractères."},
        )
    lowered = password.lower()
    if lowered in common_passwords() or (email and lowered in (email.lower(), email.lower().split("@")[0])):
        raise ValidationFailed(
            "Ce mot de passe est trop courant : choisissez-en un autre.",
            fields={"password": "Mot de passe trop courant."},
        )


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(email: str, password: str, name: str, *, locale: str = "fr",
                  roles: tuple[str, ...] = (Role.RESIDENT,), send_welcome: bool = True,
                  confirmed: bool = False) -> User:
    """Create a user with the given roles and enqueue the welcome e-mail (outbox). Flushes.

    :raise EmailTaken: an account already uses this address, whatever its case.
    :raise ValidationFailed: the password is too short.
    """
    address = normalise_email(email)
    validate_password(password, address)
    if get_user_by_email(address) is not None:
        raise EmailTaken("Un compte existe déjà avec cette adresse e-mail.", fields={"email": "Adresse déjà utilisée."})
    user = User(
        email=address,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        locale=locale if locale in ("fr", "en") else "fr",
        email_confirmed_at=utcnow() if confirmed else None,
    )
    user.role_rows = [UserRole(role=str(role)) for role in roles]
    db.session.add(user)
    db.session.flush()
    if send_welcome:
        outbox.enqueue(WELCOME_TASK, user_id=user.id)
    return user


def grant_role(user: User, role: Role) -> None:
    """Give `user` a role (no-op when it already has it). Flushes."""
    if not user.has_role(role):
        user.role_rows.append(UserRole(role=str(role)))
        db.session.flush()


def withdraw_role(user: User, role: str) -> bool:
    """Take a role away and end everything signed in as this user at once: the session token rotates
    (every browser session is refused on its next request) and the API tokens are revoked. Returns
    False when the user did not hold the role (nothing changes). Flushes."""
    rows = [row for row in user.role_rows if row.role == role]
    if not rows:
        return False
    for row in rows:
        user.role_rows.remove(row)
    user.session_token = new_session_token()
    now = utcnow()
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    db.session.flush()
    auth_log.info("role withdrawn", extra={"event": "role_withdrawn", "user_id": user.id, "role": role})
    return True


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with this e-mail and password, else None (same cost either way). Logs the attempt."""
    user = get_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        auth_log.info("login failed", extra={"event": "login_failed", "reason": "unknown_email"})
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_enabled:
        auth_log.info("login failed", extra={"event": "login_failed", "user_id": user.id})
        return None
    auth_log.info("login", extra={"event": "login", "user_id": user.id})
    return user


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: `<id>.<session_token>`; a rotated token ends the session."""
    user_id, _, token = session_id.partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def send_welcome_email(user_id: int) -> bool:
    """Send the welcome e-mail once per user (notice log key `welcome:<id>`). Commits the claim.

    Returns False when there is nothing to do (already sent, or the user is gone).
    :raise mail.TemporaryMailError: the mail server refused for now; the task retries.
    """
    user = db.session.get(User, user_id)
    if user is None:
        return False

    def build() -> mail.Mail:
        link = None if user.email_confirmed else confirmation_link(user)
        with force_locale_for(user.locale):
            subject = render_template("emails/welcome_subject.txt", user=user).strip()
            text = render_template("emails/welcome.txt", user=user, link=link)
            html = render_template("emails/welcome.html", user=user, link=link)
        return mail.Mail(to=user.email, subject=subject, text=text, html=html)

    return notices.send_once(f"welcome:{user.id}", user.email, "welcome", build)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    """A signed token naming the user and a fingerprint of the current password hash.

    It expires after PASSWORD_RESET_MAX_AGE seconds and works once: using it changes the hash.
    """
    return _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def request_password_reset(email: str) -> None:
    """Enqueue a reset e-mail when the address has an account; silent otherwise. Flushes."""
    user = get_user_by_email(email)
    if user is not None and user.is_enabled:
        outbox.enqueue(RESET_TASK, user_id=user.id)


def send_password_reset(user_id: int, request_id: int | None = None) -> bool:
    """Send a reset link once per request (notice log key `reset:<user>:<job>`). Commits the claim."""
    user = db.session.get(User, user_id)
    if user is None:
        return False

    def build() -> mail.Mail:


        link = public_url("accounts.reset_password", token=make_reset_token(user))
        with force_locale_for(user.locale):
            subject = render_template("emails/reset_subject.txt", user=user).strip()
            text = render_template("emails/reset.txt", user=user, link=link)
        return mail.Mail(to=user.email, subject=subject, text=text)

    key = f"reset:{user.id}:{request_id if request_id is not None else outbox.current_job_id()}"
    return notices.send_once(key, user.email, "password_reset", build)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset token; ends every session of the user. Flushes.

    :raise InvalidResetToken: expired, tampered, or already used.
    :raise ValidationFailed: the new password is too short.
    """
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise InvalidResetToken("Ce lien a expiré. Demandez-en un nouveau.")
    except BadSignature:
        raise InvalidResetToken("Ce lien n'est pas valide.")
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not hmac.compare_digest(_password_fingerprint(user), str(data.get("fp"))):
        raise InvalidResetToken("Ce lien a déjà servi ou n'est plus valide.")
    set_password(user, new_password)
    if user.email_confirmed_at is None:  # the link reached the mailbox: the address is theirs
        user.email_confirmed_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The account page's password change: the current password first. Ends the user's other sessions
    (the caller starts a fresh one for this browser). Flushes.

    :raise WrongPassword: the current password is not right. :raise ValidationFailed: the new one is weak.
    """
    if not check_password_hash(user.password_hash, current_password):
        auth_log.info("password change refused", extra={"event": "password_change_refused", "user_id": user.id})
        raise WrongPassword("Le mot de passe actuel n'est pas le bon.",
                            fields={"current_password": "Mot de passe actuel incorrect."})
    set_password(user, new_password)


# Confirming the address: a signed link naming the user and the address it was sent to, valid
# EMAIL_CONFIRM_MAX_AGE seconds; an address changed since then makes it void.

def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-confirm")


def _read_link(token: str) -> dict[str, object]:
    try:
        data = _confirm_serializer().loads(token, max_age=current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    except SignatureExpired:
        raise InvalidConfirmationLink("Ce lien a expiré. Demandez-en un nouveau depuis votre compte.") from None
    except BadSignature:
        raise InvalidConfirmationLink("Ce lien n'est pas valide.") from None
    if not isinstance(data, dict):
        raise InvalidConfirmationLink("Ce lien n'est pas valide.")
    return data


def mark_email_confirmed(user: User) -> None:
    """The address is proven some other way (an invitation link opened from it). Flushes."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.flush()


def confirmation_link(user: User) -> str:
    token = _confirm_serializer().dumps({"uid": user.id, "email": user.email})
    return public_url("accounts.confirm_email", token=token)


def request_address_confirmation(user: User) -> bool:
    """Enqueue a new confirmation link for the user's address; False when it is already confirmed. Flushes."""
    if user.email_confirmed:
        return False
    outbox.enqueue(CONFIRM_TASK, user_id=user.id)
    return True


def send_address_confirmation(user_id: int) -> bool:
    """Send the confirmation link once per request (notice log key `confirm:<user>:<job>`). Commits the claim."""
    user = db.session.get(User, user_id)
    if user is None or user.email_confirmed:
        return False

    def build() -> mail.Mail:
        link = confirmation_link(user)
        with force_locale_for(user.locale):
            subject = render_template("emails/confirm_email_subject.txt", user=user).strip()
            text = render_template("emails/confirm_email.txt", user=user, link=link)
        return mail.Mail(to=user.email, subject=subject, text=text)

    return notices.send_once(f"confirm:{user.id}:{outbox.current_job_id()}", user.email, "email_confirmation", build)


def confirm_email(token: str) -> User:
    """Mark the address of a confirmation link as confirmed (again is harmless). Flushes.

    :raise InvalidConfirmationLink: expired, tampered, or the account's address changed since.
    """
    data = _read_link(token)
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or data.get("email") != user.email:
        raise InvalidConfirmationLink("Ce lien ne correspond plus à l'adresse de votre compte.")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        auth_log.info("email confirmed", extra={"event": "email_confirmed", "user_id": user.id})
    db.session.flush()
    return user


def request_email_change(user: User, current_password: str, new_email: str) -> None:
    """Send a link to the new address; the account keeps its address until the link is opened. Flushes.

    :raise WrongPassword: the current password is not right. :raise EmailTaken: an account uses it.
    :raise ValidationFailed: it is the address the account already has.
    """
    address = normalise_email(new_email)
    if not check_password_hash(user.password_hash, current_password):
        raise WrongPassword("Le mot de passe actuel n'est pas le bon.",
                            fields={"current_password": "Mot de passe actuel incorrect."})
    if address == user.email:
        raise ValidationFailed("C'est déjà l'adresse de votre compte.", fields={"email": "Adresse inchangée."})
    if get_user_by_email(address) is not None:
        raise EmailTaken("Un compte existe déjà avec cette adresse e-mail.", fields={"email": "Adresse déjà utilisée."})
    outbox.enqueue(EMAIL_CHANGE_TASK, user_id=user.id, new_email=address)


def send_email_change(user_id: int, new_email: str) -> bool:
    """Send the link that moves the account to `new_email`, to that address, once per request."""
    user = db.session.get(User, user_id)
    if user is None:
        return False

    def build() -> mail.Mail:
        token = _confirm_serializer().dumps({"uid": user.id, "email": user.email, "new": new_email})
        link = public_url("accounts.confirm_email_change", token=token)
        with force_locale_for(user.locale):
            subject = render_template("emails/email_change_subject.txt", user=user).strip()
            text = render_template("emails/email_change.txt", user=user, link=link, new_email=new_email)
        return mail.Mail(to=new_email, subject=subject, text=text)

    key = f"email-change:{user.id}:{outbox.current_job_id()}"
    return notices.send_once(key, new_email, "email_change", build)


def confirm_email_change(token: str) -> User:
    """Move the account to the address of the link, now confirmed. Flushes.

    :raise InvalidConfirmationLink: expired, tampered, already used (the address changed since).
    :raise EmailTaken: another account took the address meanwhile.
    """
    data = _read_link(token)
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    new = data.get("new")
    if user is None or not isinstance(new, str) or data.get("email") != user.email:
        raise InvalidConfirmationLink("Ce lien a déjà servi ou n'est plus valide.")
    if get_user_by_email(new) is not None:
        raise EmailTaken("Un compte existe déjà avec cette adresse e-mail.", fields={"email": "Adresse déjà utilisée."})
    old = user.email
    user.email = new
    user.email_confirmed_at = utcnow()
    db.session.flush()
    auth_log.info("email changed",
                  extra={"event": "email_changed", "user_id": user.id, "old_domain": old.split("@")[-1]})
    return user


def set_password(user: User, new_password: str) -> None:
    """Change the password and rotate the session token (other sessions end). Flushes."""
    validate_password(new_password, user.email)
    user.password_hash = generate_password_hash(new_password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    db.session.flush()
    auth_log.info("password changed", extra={"event": "password_changed", "user_id": user.id})


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User, label: str = "") -> tuple[ApiToken, str]:
    """Create a bearer token; the plain value is returned once and never stored. Flushes."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=_hash_token(plain), label=label[:80])
    db.session.add(token)
    db.session.flush()
    auth_log.info("api token issued", extra={"event": "token_issued", "user_id": user.id, "token_id": token.id})
    return token, plain


# One statement: the token, its user and the user's roles (every API request reads them). Built once:
# building a statement for each request costs about as much as running it.
_TOKEN_WITH_USER = (select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))
                    .options(joinedload(ApiToken.user).joinedload(User.role_rows)))


def user_for_api_token(plain: str) -> tuple[User, ApiToken] | None:
    """The user behind a bearer token that is not revoked, else None."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalars(_TOKEN_WITH_USER, {"token_hash": _hash_token(plain)}).unique().one_or_none()
    if token is None or token.is_revoked or not token.user.is_enabled:
        return None
    return token.user, token


def revoke_api_token(user: User, token_id: int) -> None:
    """Revoke one of the user's tokens. Flushes.

    :raise NotFoundError: no such token for this user.
    """
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError("Jeton introuvable.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        auth_log.info("api token revoked", extra={"event": "token_revoked", "user_id": user.id, "token_id": token.id})
    db.session.flush()


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)
        )
    )


def set_sms_settings(user_id: int, phone: str | None, opt_in: bool) -> None:
    """Record a resident's mobile number (already normalised to E.164, or None) and SMS choice. Flushes.

    :raise ValidationFailed: opting in without a number, or while the venue sends no SMS (no provider).
    """
    if opt_in and not sms_enabled():
        raise ValidationFailed("Ce lieu n'envoie pas de SMS : les avis arrivent par courriel.")
    if opt_in and not phone:
        raise ValidationFailed("Indiquez votre numéro de mobile pour recevoir les SMS.")
    user = db.session.get_one(User, user_id)
    user.phone = phone or None
    user.sms_opt_in = opt_in
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Record the user's preferred language ('fr' or 'en'). Flushes."""
    if locale not in ("fr", "en"):
        raise ValidationFailed("Langue inconnue.", fields={"locale": "fr ou en"})
    user.locale = locale
    db.session.flush()


def unsubscribe(recipient: str, kind: str) -> None:
    """The one-click unsubscribe: the account of `recipient` stops receiving `kind`. Flushes.

    Silent when the account is gone or its address changed: the link then stops nothing, and says so no
    more than it says whether an address has an account.
    """
    user = get_user_by_email(recipient)
    if user is not None:
        notices.turn_off(user.id, kind)
        auth_log.info("unsubscribed", extra={"event": "unsubscribed", "user_id": user.id, "kind": kind})
