"""Account pages: sign-up, log-in, log-out, password reset, account, notice settings, API tokens, language."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from shopapp.accounts import services
from shopapp.accounts.access import login_required, public
from shopapp.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmptyForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    NoticeSettingsForm,
    ResetPasswordForm,
    SignupForm,
    TokenForm,
)
from shopapp.accounts.models import Role, User
from shopapp.accounts.sessions import start_session
from shopapp.core.forms import report_errors
from shopapp.core.urls import safe_next
from shopapp.errors import DomainError
from shopapp.extensions import limiter
from shopapp.notices import services as notices
from shopapp.notices import unsubscribe as unsubscribe_links
from shopapp.notices.channels import sms_enabled

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _account_limit() -> str:
    return str(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _submitted_account() -> str:
    # Throttle per account as well as per address, so that a spread-out attack on one account slows
    # down; the window is short, so the real owner waits minutes, never gets locked out.
    return "account:" + request.form.get("email", "").strip().lower()


def _next_or_none(target: str | None) -> str | None:
    """Where the log-in and sign-up pages send the browser back to, carried from one to the other."""
    return safe_next(target, "") or None


@bp.route("/inscription", methods=["GET", "POST"])
@public
def signup():  # type: ignore[no-untyped-def]
    form = SignupForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.email.data or "", form.password.data or "", form.name.data or "",
                locale=session.get("lang", "fr"),
            )
        except DomainError as error:
            for field, message in error.fields.items():
                if field in form:
                    form[field].errors = [*form[field].errors, message]
        else:
            start_session(user)
            flash(_("Bienvenue %(name)s ! Votre compte est créé.", name=user.name), "success")
            return redirect(safe_next(form.next.data, url_for("main.home")))
    return render_template("accounts/signup.html", form=form, next=_next_or_none(form.next.data)), (
        422 if form.errors else 200)


def _landing(user: User) -> str:
    """Where a log-in without a `next` leads: a shopkeeper to the orders their shop has to prepare, everyone
    else to the home page."""
    if user.has_role(Role.SHOPKEEPER):
        return url_for("orders.shop_parts")
    return url_for("main.home")


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_submitted_account)
def login():  # type: ignore[no-untyped-def]
    form = LoginForm(next=request.args.get("next", ""))
    failed = False
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            start_session(user)
            return redirect(safe_next(form.next.data, _landing(user)))
        failed = True
    status = 422 if (failed or form.errors) else 200
    return render_template("accounts/login.html", form=form, failed=failed, next=_next_or_none(form.next.data)), status


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    services.auth_log.info("logout", extra={"event": "logout", "user_id": current_user.id})
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("main.home"))


@bp.route("/mot-de-passe/oubli", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():  # type: ignore[no-untyped-def]
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "")
        flash(_("Si un compte existe pour cette adresse, un lien de réinitialisation vient d'être envoyé."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/mot-de-passe/reinitialiser/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):  # type: ignore[no-untyped-def]
    form = ResetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data or "")
        except DomainError as exc:
            error = exc.message
        else:
            flash(_("Votre mot de passe a été changé. Vous pouvez vous connecter."), "success")
            return redirect(url_for("accounts.login"))
    status = 422 if (error or form.errors) else 200
    return render_template("accounts/reset.html", form=form, error=error), status


@bp.route("/compte")
@login_required
def account():  # type: ignore[no-untyped-def]
    return _render_account()


def _render_account(notice_form: NoticeSettingsForm | None = None,  # type: ignore[no-untyped-def]
                    password_form: ChangePasswordForm | None = None, email_form: ChangeEmailForm | None = None):
    """The account page; a form passed in is re-shown with its errors (422)."""
    failed = notice_form is not None or password_form is not None or email_form is not None
    return render_template(
        "accounts/account.html",
        tokens=services.list_api_tokens(current_user),
        token_form=TokenForm(),
        empty_form=EmptyForm(),
        new_token=session.pop("new_token", None),
        notice_preferences=notices.preferences_of(current_user.id),
        notice_form=notice_form or _notice_form(formdata=None, obj=current_user),
        sms_offered=sms_enabled(),
        password_form=password_form or ChangePasswordForm(formdata=None),
        email_form=email_form or ChangeEmailForm(formdata=None),
    ), 422 if failed else 200


def _notice_form(**kwargs: object) -> NoticeSettingsForm:
    """The notice settings form; without an SMS provider it has no number or SMS fields at all."""
    form = NoticeSettingsForm(**kwargs)
    if not sms_enabled():
        del form.phone
        del form.sms_opt_in
    return form


@bp.post("/compte/notifications")
@login_required
def notice_preferences():  # type: ignore[no-untyped-def]
    """The optional notice kinds (checkboxes), the mobile number and the SMS opt-in."""
    form = _notice_form()
    if not form.validate_on_submit():
        return _render_account(notice_form=form)
    chosen = {kind for kind in notices.OPTIONAL_KINDS if request.form.get(kind) == "on"}
    notices.set_preferences(current_user.id, chosen)
    if sms_enabled():  # without a provider, a posted number or opt-in is ignored
        services.set_sms_settings(current_user.id, form.phone.data, bool(form.sms_opt_in.data))
    flash(_("Vos préférences de notification sont enregistrées."), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/compte/mot-de-passe")
@login_required
@limiter.limit(_login_limit)
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data or "", form.password.data or "")
        except DomainError as error:
            report_errors(form, error, fallback="current_password")
        else:
            # The other sessions ended with the old password; this one goes on (the user, not the proxy).
            start_session(current_user._get_current_object())
            flash(_("Votre mot de passe est changé. Vos autres sessions sont fermées."), "success")
            return redirect(url_for("accounts.account"))
    return _render_account(password_form=form)


@bp.post("/compte/adresse")
@login_required
@limiter.limit(_login_limit)
def change_email():  # type: ignore[no-untyped-def]
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.current_password.data or "", form.email.data or "")
        except DomainError as error:
            report_errors(form, error, fallback="current_password")
        else:
            flash(_("Un lien de confirmation est envoyé à %(email)s. Votre adresse change quand vous l'ouvrez.",
                    email=services.normalise_email(form.email.data or "")), "info")
            return redirect(url_for("accounts.account"))
    return _render_account(email_form=form)


@bp.get("/compte/adresse/confirmer/<token>")
@public
def confirm_email_change(token: str):  # type: ignore[no-untyped-def]
    try:
        services.confirm_email_change(token)
    except DomainError as error:
        return render_template("accounts/confirmed.html", error=error.message), 400
    flash(_("Votre nouvelle adresse e-mail est enregistrée et confirmée."), "success")
    return redirect(url_for("accounts.account" if current_user.is_authenticated else "accounts.login"))


@bp.post("/compte/confirmation")
@login_required
def resend_confirmation():  # type: ignore[no-untyped-def]
    EmptyForm().validate_on_submit()
    if services.request_address_confirmation(current_user):
        flash(_("Un nouveau lien de confirmation est envoyé à %(email)s.", email=current_user.email), "info")
    else:
        flash(_("Votre adresse e-mail est déjà confirmée."), "info")
    return redirect(safe_next(request.form.get("next"), url_for("accounts.account")))


@bp.get("/compte/confirmer/<token>")
@public
def confirm_email(token: str):  # type: ignore[no-untyped-def]
    try:
        services.confirm_email(token)
    except DomainError as error:
        return render_template("accounts/confirmed.html", error=error.message), 400
    return render_template("accounts/confirmed.html", error=None)


@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):  # type: ignore[no-untyped-def]
    """GET shows what the link stops and a button; POST stops it, without a log-in (RFC 8058 one-click)."""
    try:
        recipient, kind = unsubscribe_links.read_token(token, notices.OPTIONAL_KINDS)
    except DomainError as error:
        return render_template("accounts/unsubscribe.html", error=error.message, done=False), 404
    label = str(notices.OPTIONAL_LABELS[kind])
    if request.method == "POST":
        services.unsubscribe(recipient, kind)
        return render_template("accounts/unsubscribe.html", error=None, done=True, label=label)
    return render_template("accounts/unsubscribe.html", error=None, done=False, label=label, token=token)


@bp.route("/compte/jetons", methods=["POST"])
@login_required
def create_token():  # type: ignore[no-untyped-def]
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Donnez un nom au jeton."), "error")
        return redirect(url_for("accounts.account"))
    _token, plain = services.issue_api_token(current_user, form.label.data or "")
    # Shown once on the next page, never stored in clear.
    session["new_token"] = plain
    return redirect(url_for("accounts.account"))


@bp.route("/compte/jetons/<int:token_id>/revoquer", methods=["POST"])
@login_required
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    EmptyForm().validate_on_submit()
    services.revoke_api_token(current_user, token_id)
    flash(_("Le jeton est révoqué."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/langue", methods=["POST"])
@public
def set_language():  # type: ignore[no-untyped-def]
    form = LanguageForm()
    lang = form.lang.data if form.validate_on_submit() else "fr"
    session["lang"] = lang
    if current_user.is_authenticated:
        services.set_locale(current_user, lang or "fr")
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))
