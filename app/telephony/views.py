"""Twilio's webhooks (blueprint "telephony", no CSRF: the signature is the check) and the agent's
SMS form on a case.

Every webhook request is checked with twilio's ``RequestValidator`` against SAMDESK_PUBLIC_URL
+ the path and query (what Twilio signed); a missing or wrong signature gets 403 and changes
nothing. Answers are TwiML (``text/xml``): messaging for SMS, a Norwegian voice menu for calls.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from twilio.request_validator import SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.accounts import queries as accounts_queries
from app.db import utcnow
from app.errors import DomainError, Forbidden, Invalid
from app.telephony import hours, queries, services, signature
from app.telephony.models import SmsReplyMode
from app.tickets import queries as tickets_queries
from app.web import put_error

bp = Blueprint("telephony", __name__, url_prefix="/telephony", template_folder="templates")

MAX_WEBHOOK_BYTES = 32 * 1024  # Twilio's largest form (ten media addresses) is a few kB
# The voice menu speaks Norwegian, or English to a caller whose account says so or who presses 9
# when asked for the municipality; the language rides along in the next step's URL (``l=en``).
VOICES = {"nb": "nb-NO", "en": "en-GB"}
ENGLISH_KEY = "9"


# ---------------------------------------------------------------------------------------------
# Signatures and answers


def signed_url() -> str:
    """The URL Twilio signed: SAMDESK_PUBLIC_URL (or what Flask sees) + the path and query."""
    base = current_app.config.get("SAMDESK_PUBLIC_URL") or request.host_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base.rstrip('/')}{request.script_root}{request.path}" + (f"?{query}" if query else "")


def _refuse(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.before_request
def _verify_twilio() -> Response | None:
    """Every webhook: size, then signature, before anything is read or changed."""
    if request.endpoint not in WEBHOOKS:
        return None
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        return _refuse(413, _("The request is too large."))
    params: Any = request.get_data(as_text=True) if request.mimetype == "application/json" else request.form
    if not signature.is_valid(
        signed_url(), params, request.headers.get(SIGNATURE_HEADER),
        current_app.config.get("TWILIO_AUTH_TOKEN") or "",
        settings_header=request.headers.get(SIGNATURE_SETTINGS_HEADER),
    ):
        return _refuse(403, _("The request is not signed by Twilio."))
    return None


def _twiml(response: MessagingResponse | VoiceResponse, status: int = 200) -> Response:
    return Response(str(response.to_xml(xml_declaration=True)), status=status, mimetype="text/xml")


def _message(text: str, status: int = 200) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return _twiml(response, status)


# ---------------------------------------------------------------------------------------------
# SMS


@bp.post("/sms")
def sms_in() -> Response:
    try:
        answer = services.receive_sms(request.form)
    except Invalid as error:
        return _refuse(400, str(error.message))
    return _message(answer.text)


@bp.post("/sms/status")
def sms_status() -> Response:
    try:
        services.receive_status(request.form)
    except Invalid as error:
        return _refuse(400, str(error.message))
    return _twiml(MessagingResponse())


# ---------------------------------------------------------------------------------------------
# Voice: /voice → (known: menu) or /voice/kommune → /voice/meny → /voice/valg → /voice/opptak


def _say(response: Any, message: Any, lang: str) -> None:
    """Say a lazy message (its values already given) in ``lang``."""
    with force_locale(lang):
        text = str(message)
    response.say(text, language=VOICES[lang])


def _lang() -> str:
    return "en" if request.args.get("l") == "en" else "nb"


def _url(endpoint: str, lang: str, **values: Any) -> str:
    if lang == "en":
        values["l"] = "en"
    return url_for(endpoint, **values)


def _spoken_ref(ref: str | None) -> str:
    if not ref:
        return ""
    prefix, _sep, number = ref.partition("-")
    return " ".join(prefix) + " " + number


def _ask_municipality(response: VoiceResponse, lang: str) -> VoiceResponse:
    choices = queries.municipality_choices()
    names = queries.municipality_names(list(choices.values()))
    gather = response.gather(num_digits=1, action=_url("telephony.voice_municipality", lang),
                             method="POST", timeout=8)
    for key, code in sorted(choices.items()):
        _say(gather, _l("For %(name)s, press %(key)s.", name=names.get(code, code), key=key), lang)
    if lang == "nb" and ENGLISH_KEY not in choices:
        _say(gather, f"For English, press {ENGLISH_KEY}.", "en")  # English whatever the menu speaks
    _say(response, _l("We did not hear a choice."), lang)
    response.redirect(_url("telephony.voice", lang), method="POST")
    return response


def _menu(code: str, lang: str, response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    names = queries.municipality_names([code])
    if not names:
        return _ask_municipality(response, lang)
    if not hours.desk_is_open(code, utcnow()):
        _say(response, _l("The service desk of %(name)s is closed now. Leave a message after the tone, "
                          "and we will follow it up when we open.", name=names[code]), lang)
        return _record(code, lang, response)
    gather = response.gather(num_digits=1, action=_url("telephony.voice_choice", lang, m=code),
                             method="POST", timeout=8)
    _say(gather, _l("To leave a message, press 1. To be called back, press 2."), lang)
    _say(response, _l("We did not hear a choice."), lang)
    response.redirect(_url("telephony.voice_menu", lang, m=code), method="POST")
    return response


def _record(code: str, lang: str, response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    _say(response, _l("Say your name and what you need help with after the tone. Press the hash key "
                      "when you are done."), lang)
    response.record(
        action=_url("telephony.voice_recorded", lang, m=code), method="POST", max_length=180,
        finish_on_key="#", play_beep=True, transcribe=True,
        transcribe_callback=url_for("telephony.voice_transcription"),
    )
    _say(response, _l("We did not get a message. Goodbye."), lang)
    response.hangup()
    return response


@bp.post("/voice")
def voice() -> Response:
    _number, user = services.caller(request.form.get("From"))
    response = VoiceResponse()
    if user is not None and user.municipality is not None:
        lang = "en" if user.locale == "en" else "nb"
        _say(response, _l("Hello, %(name)s. You have called the IT service desk.",
                          name=user.display_name.split()[0] if user.display_name else ""), lang)
        return _twiml(_menu(user.municipality.code, lang, response))
    lang = _lang()
    _say(response, _l("Hello, you have called the IT service desk for the Hadeland municipalities."), lang)
    return _twiml(_ask_municipality(response, lang))


@bp.post("/voice/kommune")
def voice_municipality() -> Response:
    digits, lang = (request.form.get("Digits") or "").strip()[:2], _lang()
    code = queries.municipality_choices().get(digits)
    if code is None and digits == ENGLISH_KEY:
        return _twiml(_ask_municipality(VoiceResponse(), "en"))
    if code is None:
        response = VoiceResponse()
        _say(response, _l("That is not one of the choices."), lang)
        return _twiml(_ask_municipality(response, lang))
    return _twiml(_menu(code, lang))


@bp.post("/voice/meny")
def voice_menu() -> Response:
    return _twiml(_menu(_code(), _lang()))


def _code() -> str:
    return (request.args.get("m") or "").strip().upper()[:8]


@bp.post("/voice/valg")
def voice_choice() -> Response:
    code, digits, lang = _code(), (request.form.get("Digits") or "").strip(), _lang()
    if not queries.municipality_names([code]):
        return _twiml(_ask_municipality(VoiceResponse(), lang))
    if digits == "1" or not hours.desk_is_open(code, utcnow()):
        return _twiml(_record(code, lang))
    if digits != "2":
        response = VoiceResponse()
        _say(response, _l("That is not one of the choices."), lang)
        return _twiml(_menu(code, lang, response))
    response = VoiceResponse()
    try:
        answer = services.request_callback(request.form, municipality_code=code)
    except Invalid as error:
        if error.code != "hidden_number":
            return _refuse(400, str(error.message))
        _say(response, _l("We cannot see your number, so we cannot call you back."), lang)
        return _twiml(_record(code, lang, response))
    if answer.ref:
        _say(response, _l("Thank you. We will call you back on the number you are calling from. "
                          "Your case has number %(ref)s.", ref=_spoken_ref(answer.ref)), lang)
    else:
        _say(response, _l("Thank you. We will call you back on the number you are calling from."), lang)
    response.hangup()
    return _twiml(response)


@bp.post("/voice/opptak")
def voice_recorded() -> Response:
    code, lang = _code(), _lang()
    response = VoiceResponse()
    if not request.form.get("RecordingUrl"):
        _say(response, _l("We did not get a message. Goodbye."), lang)
        response.hangup()
        return _twiml(response)
    if not queries.municipality_names([code]):
        return _refuse(400, _("Unknown municipality."))
    try:
        answer = services.leave_message(request.form, municipality_code=code)
    except Invalid as error:
        return _refuse(400, str(error.message))
    if answer.ref:
        _say(response, _l("Thank you for the message. Your case has number %(ref)s. Goodbye.",
                          ref=_spoken_ref(answer.ref)), lang)
    else:
        _say(response, _l("Thank you for the message. Goodbye."), lang)
    response.hangup()
    return _twiml(response)


@bp.post("/voice/transkripsjon")
def voice_transcription() -> Response:
    try:
        services.add_transcription(request.form)
    except Invalid as error:
        return _refuse(400, str(error.message))
    return _twiml(VoiceResponse())


WEBHOOKS = frozenset({
    "telephony.sms_in", "telephony.sms_status", "telephony.voice", "telephony.voice_municipality",
    "telephony.voice_menu", "telephony.voice_choice", "telephony.voice_recorded",
    "telephony.voice_transcription",
})


# ---------------------------------------------------------------------------------------------
# An agent's SMS from a case


class SmsForm(FlaskForm):
    text = TextAreaField(
        _l("SMS to the employee"),
        validators=[DataRequired(_l("Write the SMS.")), Length(max=1000, message=_l("An SMS can be at most 1000 characters."))],
        description=_l("Sent with the case number. A long text is shortened with a link to the case."),
    )


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.route("/saker/<ref>/sms", methods=["GET", "POST"])
@login_required
def case_sms(ref: str) -> Any:
    ticket = tickets_queries.get_visible(ref, _user())
    form = SmsForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.send_sms(ticket.ref, text=form.text.data or "", actor=_user())
            except DomainError as error:
                if error.status == 404:
                    raise
                if not put_error(form, error):
                    flash(str(error.message), "error")
                status = error.status
            else:
                flash(_("The SMS is on its way to %(name)s.", name=ticket.requester.display_name), "success")
                return redirect(url_for("tickets.show", ref=ticket.ref))
        else:
            status = 400
    return render_template("telephony/case_sms.html", form=form, t=ticket,
                           panel=panel(ticket, _user())), status


def panel(ticket: Any, user: Any) -> dict[str, Any]:
    """What the case page says about SMS: where a public reply goes, and the SMS form."""
    from app.telephony import policy, sms

    mode = services.reply_preview(ticket)
    number = ticket.requester.phone
    return {
        "can_send": policy.can_send_sms(user, ticket) and ticket.status.value != "closed",
        "has_mobile": sms.is_e164(number),
        "number": number or "",
        "reply_mode": mode.value if mode is not None else None,
        "reply_mode_label": mode.label if mode is not None else None,
        "form": SmsForm(formdata=None),
    }


# ---------------------------------------------------------------------------------------------
# Settings (administrators): the SMS reply mode per municipality, webhooks kept as failed


class ReplyModeForm(FlaskForm):
    mode = SelectField(_l("A public reply on an SMS case goes out as"),
                       choices=lambda: [(m.value, m.label) for m in SmsReplyMode])


def _require_admin() -> None:
    from app.telephony import policy

    if not current_user.is_authenticated or not policy.can_manage(_user()):
        raise Forbidden(_("Only administrators can change the SMS settings."))


@bp.get("/innstillinger")
@login_required
def settings() -> Any:
    _require_admin()
    rows = []
    for municipality in accounts_queries.municipalities():
        form = ReplyModeForm(prefix=municipality.code, formdata=None)
        form.mode.data = queries.reply_mode(municipality.id).value
        rows.append((municipality, form))
    return render_template("telephony/settings.html", rows=rows, failed=queries.failed_webhooks(),
                           retry=FlaskForm(prefix="retry"))


@bp.post("/innstillinger/<code>")
@login_required
def set_reply_mode(code: str) -> Any:
    _require_admin()
    form = ReplyModeForm(prefix=code.upper())
    if not form.validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
        return redirect(url_for("telephony.settings")), 303
    settings_row = services.set_reply_mode(code, form.mode.data or "", actor=_user())
    flash(_("SMS replies in %(name)s: %(mode)s.", name=settings_row.municipality.name,
            mode=settings_row.sms_reply_mode.label), "success")
    return redirect(url_for("telephony.settings"))


@bp.post("/innstillinger/prov-igjen")
@login_required
def retry_failed() -> Any:
    _require_admin()
    if not FlaskForm(prefix="retry").validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
        return redirect(url_for("telephony.settings")), 303
    results = services.retry_failed(actor=_user())
    flash(_("Tried again: %(n)s.", n=len(results)), "success")
    return redirect(url_for("telephony.settings"))
