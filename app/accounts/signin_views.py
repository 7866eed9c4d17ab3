"""Sign-in pages beyond the password form (blueprint "signin"): the second factor and its
enrolment, password reset, the person's sessions, and single sign-on (docs/signin.md).

A password that checks out does not sign anyone in by itself when a second factor is required:
the pending sign-in (user id and time) waits in the signed cookie for at most five minutes until
a code completes it. Every refusal answers the same whoever asked, and is rate-limited per
address like the password.
"""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired

from app.accounts import mfa, queries, reset, sessions, sso
from app.accounts.models import User
from app.accounts.signin_models import SignInMethod
from app.errors import DomainError
from app.extensions import limiter
from app.web import put_error, safe_next

bp = Blueprint("signin", __name__, template_folder="templates")

PENDING_SECONDS = 300
SESSION_KEY = "sid"


def _limit() -> str:
    return str(current_app.config["SAMDESK_LOGIN_RATE_LIMIT"])


def _refused(response: Response) -> bool:
    """Only refusals count against the limit; a success redirects."""
    return response.status_code != 302


def _failed(response: Response) -> bool:
    """For pages whose success is a page (a valid reset link, the redirect to the provider):
    only an error answer counts against the limit."""
    return response.status_code >= 400


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined, no-any-return]


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(_l("Type the code."))],
        description=_l("Six digits from the authenticator app, or one of your recovery codes."),
    )


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Give your email address."))])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Give your password."))],
        description=_l("At least 10 characters (12 for staff). A few unrelated words work well."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(_l("Repeat the password."))]
    )


# ---------------------------------------------------------------------------------------------
# Completing a sign-in


def finish(user: User, method: SignInMethod, target: str | None) -> Response:
    """Open a server-side session for ``user`` and sign them in with it."""
    for key in ("mfa_uid", "mfa_at", "mfa_next"):
        session.pop(key, None)
    raw = sessions.start(
        user, method=method, user_agent=request.headers.get("User-Agent"), ip=request.remote_addr
    )
    session[SESSION_KEY] = raw
    login_user(user)
    return redirect(safe_next(target, url_for("tickets.home")))


def password_ok(user: User, target: str | None) -> Response:
    """Called by the login page once the password checked out."""
    if not mfa.required_for(user):
        return finish(user, SignInMethod.PASSWORD, target)
    session["mfa_uid"], session["mfa_at"], session["mfa_next"] = user.id, int(time.time()), target
    if mfa.is_enrolled(user):
        return redirect(url_for("signin.second_factor"))
    return redirect(url_for("signin.totp"))


def _pending_user() -> User | None:
    uid, at = session.get("mfa_uid"), session.get("mfa_at")
    if not isinstance(uid, int) or not isinstance(at, int) or time.time() - at > PENDING_SECONDS:
        return None
    user = queries.user_by_id(uid)
    return user if user is not None and user.can_log_in else None


@bp.route("/logg-inn/kode", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"], deduct_when=_refused)
def second_factor() -> Any:
    user = _pending_user()
    if user is None:
        flash(_("Log in again."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        method = mfa.verify(user, form.code.data or "")
        if method is not None:
            if method is SignInMethod.PASSWORD_RECOVERY:
                flash(_("You used a recovery code. %(n)s are left.",
                        n=mfa.unused_recovery_codes(user)), "warning")
            return finish(user, method, session.get("mfa_next"))
        form.code.errors = [_("The code is wrong.")]
    status = 401 if form.code.errors and request.method == "POST" else 200
    return render_template("accounts/second_factor.html", form=form), status


@bp.route("/min-side/totp", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"], deduct_when=_refused)
def totp() -> Any:
    """Enrol an authenticator app: at a sign-in that requires one, or from one's own page."""
    user = _me() if current_user.is_authenticated else _pending_user()
    if user is None:
        return redirect(url_for("accounts.login", next=request.path))
    if mfa.is_enrolled(user):
        return render_template("accounts/totp_enrolled.html",
                               left=mfa.unused_recovery_codes(user))
    form = CodeForm()
    form.code.description = _l("The six digits the app shows now.")
    secret = session.get("totp_secret")
    factor = mfa.factor_of(user)
    if request.method == "GET" or not secret or factor is None or factor.secret != secret:
        secret = mfa.begin_enrolment(user, actor=user)
        session["totp_secret"] = secret
    elif form.validate_on_submit():
        try:
            codes = mfa.confirm_enrolment(user, form.code.data or "", actor=user)
        except DomainError as error:
            put_error(form, error)
        else:
            session.pop("totp_secret", None)
            if not current_user.is_authenticated:
                finish(user, SignInMethod.PASSWORD_TOTP, None)
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next=safe_next(session.pop("mfa_next", None), url_for("tickets.home")))
    uri = mfa.provisioning_uri(user, secret)
    status = 400 if form.errors else 200
    return render_template("accounts/totp.html", form=form, qr=mfa.qr_data_uri(uri), secret=secret,
                           pending=not current_user.is_authenticated), status


@bp.post("/min-side/totp/nye-koder")
@login_required
def new_recovery_codes() -> Any:
    codes = mfa.regenerate_recovery_codes(_me(), actor=_me())
    return render_template("accounts/recovery_codes.html", codes=codes,
                           next=url_for("signin.my_sessions"))


# ---------------------------------------------------------------------------------------------
# Password reset


@bp.route("/glemt-passord", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def forgot_password() -> Any:
    form = ForgotForm()
    if form.validate_on_submit():
        reset.request_reset(form.email.data or "")
        # The same answer whether the address is known or not.
        flash(_("If the address belongs to an account with a password, a link to choose a new "
                "password is on its way. It works for %(n)s minutes.",
                n=current_app.config["SAMDESK_PASSWORD_RESET_MINUTES"]), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/nytt-passord/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, deduct_when=_failed)
def new_password(token: str) -> Any:
    try:
        reset.user_for_token(token)
    except DomainError as error:
        return render_template("accounts/reset_invalid.html", message=error.message), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors = [_("The two passwords are not the same.")]
        else:
            try:
                reset.reset_password(token, form.password.data or "")
            except DomainError as error:
                if not put_error(form, error):
                    return render_template("accounts/reset_invalid.html", message=error.message), 400
            else:
                flash(_("Your password is changed, and you are signed out everywhere. Log in "
                        "with the new password."), "success")
                return redirect(url_for("accounts.login"))
    return render_template("accounts/new_password.html", form=form), 400 if form.errors else 200


# ---------------------------------------------------------------------------------------------
# Sessions


@bp.get("/min-side/okter")
@login_required
def my_sessions() -> Any:
    current = sessions.session_for_key(session.get(SESSION_KEY))
    return render_template(
        "accounts/sessions.html", rows=sessions.active_for(_me()),
        current_id=current.id if current else None, enrolled=mfa.is_enrolled(_me()),
        mfa_required=mfa.required_for(_me()),
    )


@bp.post("/min-side/okter/<int:session_id>/avslutt")
@login_required
def end_session(session_id: int) -> Response:
    sessions.end_one(session_id, actor=_me())
    flash(_("The session is ended."), "success")
    return redirect(url_for("signin.my_sessions"))


@bp.post("/min-side/okter/avslutt-andre")
@login_required
def end_other_sessions() -> Response:
    count = sessions.end_others(session.get(SESSION_KEY), actor=_me())
    flash(_("Signed out of %(n)s other sessions.", n=count), "success")
    return redirect(url_for("signin.my_sessions"))


@bp.post("/admin/brukere/<int:user_id>/logg-ut-overalt")
@login_required
def sign_out_everywhere(user_id: int) -> Response:
    ended, revoked = sessions.sign_out_everywhere(user_id, actor=_me())
    flash(_("Ended %(s)s sessions and revoked %(t)s API tokens.", s=ended, t=revoked), "success")
    return redirect(url_for("admin.users"))


@bp.post("/admin/brukere/<int:user_id>/fjern-totp")
@login_required
def remove_totp(user_id: int) -> Response:
    mfa.remove(user_id, actor=_me())
    flash(_("The authenticator app is removed; the person enrols a new one at the next sign-in."),
          "success")
    return redirect(url_for("admin.users"))


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the cookie counts only while its server-side session is open."""
    return sessions.user_for_key(session.get(SESSION_KEY), user_id)


def end_current_session() -> None:
    sessions.end_current(session.pop(SESSION_KEY, None))




# ---------------------------------------------------------------------------------------------
# Single sign-on (OpenID Connect, Authlib)


def _oidc_client(code: str) -> Any:
    """Authlib's client for ``code``'s provider, registered on first use with this app."""
    from authlib.integrations.flask_client import OAuth

    settings = sso.provider(code)
    oauth: OAuth = current_app.extensions.get("samdesk_oauth") or OAuth(current_app)
    current_app.extensions["samdesk_oauth"] = oauth
    name = f"oidc_{code.lower()}"
    client = oauth.create_client(name)
    if client is None:
        client = oauth.register(
            name, client_id=settings["client_id"], client_secret=settings["client_secret"],
            server_metadata_url=f"{settings['issuer']}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile"},
        )
    return client


def _sso_redirect_uri(code: str) -> str:
    base = str(current_app.config["SAMDESK_BASE_URL"]).rstrip("/")
    return base + url_for("signin.sso_callback", code=code.upper())


@bp.get("/logg-inn/sso/<code>")
@limiter.limit(_limit, deduct_when=_failed)
def sso_start(code: str) -> Any:
    from requests import RequestException

    client = _oidc_client(code)
    session["sso_next"] = safe_next(request.args.get("next"), url_for("tickets.home"))
    try:
        return client.authorize_redirect(_sso_redirect_uri(code))
    except RequestException:  # the provider does not answer
        error = sso.refuse("provider unreachable")
        return render_template("accounts/sso_refused.html", message=error.message), 503


@bp.get("/logg-inn/sso/<code>/svar")
@limiter.limit(_limit, deduct_when=_refused)
def sso_callback(code: str) -> Any:
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError  # Authlib validates ID tokens with joserfc
    from requests import RequestException

    client = _oidc_client(code)
    settings = sso.provider(code)
    try:
        token = client.authorize_access_token(
            claims_options={"iss": {"essential": True, "values": [settings["issuer"]]},
                            "sub": {"essential": True}},
        )
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise sso.refuse("no ID token")
        user = sso.sign_in(code, claims)
    except (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError) as exc:
        error = sso.refuse(f"token or state: {type(exc).__name__}")
        return render_template("accounts/sso_refused.html", message=error.message), 401
    except DomainError as error:
        return render_template("accounts/sso_refused.html", message=error.message), 401
    return finish(user, SignInMethod.OIDC, session.pop("sso_next", None))
