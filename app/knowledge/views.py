"""Pages of the knowledge base (blueprint "knowledge"): the brukerhjelp with search, an article
with "was this helpful" and "this solved my problem", the editor with history and restore, and
the list of searches that found nothing. Plus the small JSON endpoint the new-case page asks
for suggestions while the subject is typed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.accounts import queries as accounts
from app.errors import DomainError, Forbidden
from app.knowledge import forms, policy, queries, services
from app.knowledge.models import AUDIENCE_LABELS, CATEGORIES, STATUS_LABELS, Article
from app.knowledge.render import to_html
from app.web import put_error

bp = Blueprint("knowledge", __name__, template_folder="templates")


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"KB_CATEGORIES": CATEGORIES, "KB_STATUS": STATUS_LABELS, "KB_AUDIENCE": AUDIENCE_LABELS}


@bp.get("/brukerhjelp")
@login_required
def index() -> Any:
    user = _user()
    form = forms.SearchForm(request.args)
    q = (form.q.data or "").strip()[:200]
    category = request.args.get("category") or None
    if category not in CATEGORIES:
        category = None
    page = None
    listing = None
    if q:
        page = services.search_articles(q, actor=user, limit=20, category=category)
    else:
        cursor = request.args.get("cursor", type=int)
        listing = queries.list_articles(user, category=category, before_id=cursor, limit=25)
    return render_template(
        "knowledge/index.html", form=form, q=q, page=page, listing=listing, category=category,
        counts=queries.category_counts(user), can_write=policy.can_create(user),
        from_new=request.args.get("fra") == "ny",
    )


@bp.get("/brukerhjelp/<int:article_id>")
@login_required
def show(article_id: int) -> str:
    user = _user()
    article = queries.get_visible(article_id, user)
    helpful, not_helpful = queries.vote_counts(article)
    return render_template(
        "knowledge/article.html", article=article, body=to_html(article.body), form=forms.ConfirmForm(),
        helpful=helpful, not_helpful=not_helpful, my_vote=queries.my_vote(article, user),
        can_edit=queries.can_edit(user, article), can_vote=policy.can_vote(user, article),
        came_from_new=request.args.get("fra") == "ny",
    )


@bp.post("/brukerhjelp/<int:article_id>/stemme")
@login_required
def vote(article_id: int) -> Response:
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    helpful = request.form.get("helpful") == "yes"
    try:
        services.vote(article_id, helpful=helpful, actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "danger")
    else:
        flash(_("Thank you for your answer."), "success")
    return redirect(url_for("knowledge.show", article_id=article_id) + "#vote")


@bp.post("/brukerhjelp/lost")
@login_required
def solved() -> Response:
    """'Dette løste problemet': no case is filed, and it counts as a deflection."""
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    article_id = request.form.get("article_id", type=int)
    services.record_deflection(actor=_user(), article_id=article_id)
    flash(_("Good that you found the answer. No case was filed."), "success")
    return redirect(url_for("tickets.home"))


@bp.get("/brukerhjelp/forslag")
@login_required
def suggestions() -> Response:
    """JSON for the new-case page's script: published articles matching the subject."""
    q = (request.args.get("q") or "")[:200]
    for_reply = request.args.get("lenke") == "1"  # an agent linking an article in a reply
    page = services.search_articles(q, actor=_user(), limit=5, published_only=True, log_miss=False,
                                    employees_only=for_reply)
    base = current_app.config["SAMDESK_BASE_URL"]
    return jsonify({
        "items": [
            {"id": i.article.id, "title": i.article.title, "snippet": i.snippet,
             "url": url_for("knowledge.show", article_id=i.article.id, fra=None if for_reply else "ny"),
             "link": f"{base}/brukerhjelp/{i.article.id}"}
            for i in page.items
        ],
        "total": page.total,
    })


# ---------------------------------------------------------------------------------------------
# Editing


def _scope_choices(user: Any) -> list[tuple[str, str]]:
    choices = [("", _("All three municipalities"))]
    for municipality in accounts.municipalities():
        if policy.can_set_scope(user, municipality.code):
            choices.append((municipality.code, municipality.name))
    return choices


def _form_values(form: forms.ArticleForm) -> dict[str, Any]:
    return {
        "title": form.title.data or "", "body": form.body.data or "", "category": form.category.data,
        "tags": form.tags.data or "", "systems": form.systems.data or "",
        "audience": form.audience.data, "scope": form.scope.data or None,
        "language": form.language.data, "status": form.status.data,
    }


@bp.route("/brukerhjelp/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    user = _user()
    if not policy.can_create(user):
        raise Forbidden(_("Only agents can write articles."))
    form = forms.ArticleForm()
    form.scope.choices = _scope_choices(user)
    if form.validate_on_submit():
        try:
            article = services.create_article(actor=user, note=form.note.data or None, **_form_values(form))
        except DomainError as error:
            return _form_error(form, error, article=None)
        flash(_("The article is saved."), "success")
        return redirect(url_for("knowledge.show", article_id=article.id))
    return render_template("knowledge/edit.html", form=form, article=None), 400 if form.errors else 200


@bp.route("/brukerhjelp/<int:article_id>/rediger", methods=["GET", "POST"])
@login_required
def edit(article_id: int) -> Any:
    user = _user()
    article = queries.get_visible(article_id, user)
    if not queries.can_edit(user, article):
        raise Forbidden(_("You cannot edit this article."))
    form = forms.ArticleForm(obj=None if request.method == "POST" else _prefill(article))
    form.scope.choices = _scope_choices(user)
    if article.scope and (article.scope, article.scope) not in form.scope.choices:
        form.scope.choices.append((article.scope, article.scope))
    if form.validate_on_submit():
        values = _form_values(form)
        if not policy.is_editor(user):  # super-users change the text only
            values = {k: values[k] for k in ("title", "body", "category", "tags", "systems")}
        try:
            services.edit_article(article_id, actor=user, note=form.note.data or None, **values)
        except DomainError as error:
            return _form_error(form, error, article=article)
        flash(_("The article is saved."), "success")
        return redirect(url_for("knowledge.show", article_id=article_id))
    return render_template(
        "knowledge/edit.html", form=form, article=article, history=queries.history(article),
        restore_form=forms.ConfirmForm(), is_editor=policy.is_editor(user),
    ), 400 if form.errors else 200


class _Prefill:
    def __init__(self, article: Article) -> None:
        self.title, self.body, self.category = article.title, article.body, article.category
        self.tags, self.systems = ", ".join(article.tags), ", ".join(article.systems)
        self.audience, self.scope = article.audience.value, article.scope or ""
        self.language, self.status, self.note = article.language.value, article.status.value, ""


def _prefill(article: Article) -> _Prefill:
    return _Prefill(article)


def _form_error(form: forms.ArticleForm, error: DomainError, *, article: Article | None) -> Any:
    if error.status == 404:
        raise error
    context: dict[str, Any] = {"article": article}
    if not put_error(form, error, {}):
        context["page_error"] = str(error.message)
    if article is not None:
        context["history"] = queries.history(article)
        context["restore_form"] = forms.ConfirmForm()
        context["is_editor"] = policy.is_editor(_user())
    return render_template("knowledge/edit.html", form=form, **context), error.status


@bp.get("/brukerhjelp/<int:article_id>/historikk")
@login_required
def history(article_id: int) -> str:
    user = _user()
    article = queries.get_visible(article_id, user)
    return render_template(
        "knowledge/history.html", article=article, history=queries.history(article),
        restore_form=forms.ConfirmForm(), can_restore=policy.can_change_status(user, article),
    )


@bp.post("/brukerhjelp/<int:article_id>/gjenopprett/<int:number>")
@login_required
def restore(article_id: int, number: int) -> Response:
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.restore(article_id, number, actor=_user())
    flash(_("Revision %(n)s is restored as a new revision.", n=number), "success")
    return redirect(url_for("knowledge.history", article_id=article_id))


@bp.post("/saker/<ref>/artikkel")
@login_required
def from_ticket(ref: str) -> Response:
    """An agent turns a solved case into a draft article in one step."""
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        article = services.draft_from_ticket(ref, actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "danger")
        return redirect(url_for("tickets.show", ref=ref))
    flash(_("A draft article was made from the case. Read it through before you publish."), "success")
    return redirect(url_for("knowledge.edit", article_id=article.id))


@bp.get("/brukerhjelp/uten-treff")
@login_required
def misses() -> str:
    if not policy.can_read_misses(_user()):
        raise Forbidden(_("Only agents can see this list."))
    from datetime import timedelta

    from app.db import utcnow

    names = {m.id: m.name for m in accounts.municipalities()}
    since = (utcnow() - timedelta(days=30)).date()
    return render_template(
        "knowledge/misses.html", misses=queries.search_misses(),
        deflections=[(day, names.get(m, "") if m else "", n) for day, m, n in queries.deflections_per_day(since)],
    )
