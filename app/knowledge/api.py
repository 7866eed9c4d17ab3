"""/api/v1 routes for the knowledge base (the shape the issue fixes: POST/GET/PATCH articles,
revisions, search; plus suggestions before filing a case)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Float, Function, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import url_for

from app.api.auth import auth, current_api_user
from app.knowledge import queries, services
from app.knowledge.models import CATEGORIES, ArticleStatus, Audience, Language
from app.knowledge.render import to_html

bp = APIBlueprint("knowledge_api", __name__, url_prefix="/api/v1", tag="Knowledge base")
STR = {"type": "string"}
ERRORS = {401: "Not logged in", 404: "No such article, or not yours to read"}


class ArticleOut(Schema):
    id = Integer(required=True)
    title = String(required=True)
    body = String(required=True, metadata={"description": "Markdown"})
    body_html = Function(lambda a: str(to_html(a.body)), metadata={**STR, "description": "Sanitised HTML"}, required=True)
    category = String(required=True)
    tags = List(String(), required=True)
    systems = List(String(), required=True)
    audience = Function(lambda a: a.audience.value, metadata={**STR, "enum": [x.value for x in Audience]}, required=True)
    scope = String(allow_none=True, required=True)
    language = Function(lambda a: a.language.value, metadata={**STR, "enum": [x.value for x in Language]}, required=True)
    status = Function(lambda a: a.status.value, metadata={**STR, "enum": [x.value for x in ArticleStatus]}, required=True)
    author = Function(lambda a: a.author.display_name, metadata=STR, required=True)
    revision = Integer(attribute="revision_number", required=True)
    url = Function(lambda a: url_for("knowledge.show", article_id=a.id), metadata=STR, required=True)
    created_at = DateTime(required=True)
    updated_at = DateTime(required=True)
    published_at = DateTime(allow_none=True, required=True)


class ArticleIn(Schema):
    title = String(required=True, validate=Length(max=200))
    body = String(required=True)
    category = String(required=True, validate=OneOf(list(CATEGORIES)))
    tags = List(String(validate=Length(max=40)), load_default=list, validate=Length(max=20))
    systems = List(String(validate=Length(max=40)), load_default=list, validate=Length(max=20))
    audience = String(load_default="employees", validate=OneOf([x.value for x in Audience]))
    scope = String(load_default=None, allow_none=True, validate=Length(max=8),
                   metadata={"description": "A municipality code (GRA, LUN, JEV), or null for all"})
    language = String(load_default="nb", validate=OneOf([x.value for x in Language]))
    status = String(load_default="draft", validate=OneOf(["draft", "published"]))


class ArticlePatch(Schema):
    title = String(validate=Length(max=200))
    body = String()
    category = String(validate=OneOf(list(CATEGORIES)))
    tags = List(String(validate=Length(max=40)), validate=Length(max=20))
    systems = List(String(validate=Length(max=40)), validate=Length(max=20))
    audience = String(validate=OneOf([x.value for x in Audience]))
    scope = String(allow_none=True, validate=Length(max=8))
    language = String(validate=OneOf([x.value for x in Language]))
    status = String(validate=OneOf([x.value for x in ArticleStatus]))
    note = String(validate=Length(max=500), metadata={"description": "Why, shown in the history"})


class RevisionOut(Schema):
    number = Integer(required=True)
    title = String(required=True)
    body = String(required=True)
    category = String(required=True)
    tags = List(String(), required=True)
    audience = Function(lambda r: r.audience.value, metadata=STR, required=True)
    scope = String(allow_none=True, required=True)
    language = Function(lambda r: r.language.value, metadata=STR, required=True)
    status = Function(lambda r: r.status.value, metadata=STR, required=True)
    author = Function(lambda r: r.author.display_name, metadata=STR, required=True)
    note = String(allow_none=True, required=True)
    restored_from = Integer(allow_none=True, required=True)
    created_at = DateTime(required=True)


class RevisionList(Schema):
    items = List(Nested(RevisionOut), required=True)


class SearchQuery(Schema):
    q = String(load_default="", validate=Length(max=200))
    limit = Integer(load_default=10, validate=Range(min=1, max=queries.MAX_LIMIT))
    category = String(load_default=None, validate=OneOf(list(CATEGORIES)))
    language = String(load_default=None, validate=OneOf([x.value for x in Language]))


class SearchItemOut(Schema):
    id = Function(lambda i: i.article.id, metadata={"type": "integer"}, required=True)
    title = Function(lambda i: i.article.title, metadata=STR, required=True)
    snippet = String(required=True, metadata={"description": "HTML: escaped text, matches in <mark>"})
    score = Float(required=True)
    category = Function(lambda i: i.article.category, metadata=STR, required=True)
    language = Function(lambda i: i.article.language.value, metadata=STR, required=True)
    status = Function(lambda i: i.article.status.value, metadata=STR, required=True)
    url = Function(lambda i: url_for("knowledge.show", article_id=i.article.id), metadata=STR, required=True)


class SearchOut(Schema):
    items = List(Nested(SearchItemOut), required=True)
    total = Integer(required=True)
    suggestion = String(allow_none=True, required=True)


class VoteIn(Schema):
    helpful = Boolean(required=True)


class VoteOut(Schema):
    helpful = Integer(required=True)
    not_helpful = Integer(required=True)


class DeflectionIn(Schema):
    article_id = Integer(load_default=None, allow_none=True, validate=Range(min=1, max=queries.MAX_ID))


class DeflectionOut(Schema):
    counted = Boolean(required=True)


# ---------------------------------------------------------------------------------------------


@bp.get("/articles/search")
@bp.auth_required(auth)
@bp.input(SearchQuery, location="query", arg_name="query_data")
@bp.output(SearchOut)
@bp.doc(summary="Search the articles the caller may read, best first", responses={401: "Not logged in"})
def search_articles(query_data: dict[str, Any]) -> dict[str, Any]:
    page = services.search_articles(
        query_data["q"], actor=current_api_user(), limit=query_data["limit"],
        category=query_data["category"], language=query_data["language"],
    )
    return {"items": page.items, "total": page.total, "suggestion": page.suggestion}


@bp.get("/articles/suggest")
@bp.auth_required(auth)
@bp.input(SearchQuery, location="query", arg_name="query_data")
@bp.output(SearchOut)
@bp.doc(summary="Published articles that may answer a case before it is filed (its subject as q)",
        responses={401: "Not logged in"})
def suggest_articles(query_data: dict[str, Any]) -> dict[str, Any]:
    page = services.search_articles(
        query_data["q"], actor=current_api_user(), limit=min(query_data["limit"], 5),
        published_only=True, log_miss=False,
    )
    return {"items": page.items, "total": page.total, "suggestion": page.suggestion}


@bp.post("/articles")
@bp.auth_required(auth)
@bp.input(ArticleIn, arg_name="data")
@bp.output(ArticleOut, status_code=201)
@bp.doc(summary="Write an article (agents)", responses={401: "Not logged in", 403: "Not an agent", 413: "Too large"})
def create_article(data: dict[str, Any]) -> Any:
    return services.create_article(actor=current_api_user(), **data)


@bp.get("/articles/<int:article_id>")
@bp.auth_required(auth)
@bp.output(ArticleOut)
@bp.doc(summary="One article", responses=ERRORS)
def get_article(article_id: int) -> Any:
    return queries.get_visible(article_id, current_api_user())


@bp.patch("/articles/<int:article_id>")
@bp.auth_required(auth)
@bp.input(ArticlePatch, arg_name="data")
@bp.output(ArticleOut)
@bp.doc(summary="Change an article (a new revision)", responses={**ERRORS, 403: "Forbidden"})
def patch_article(article_id: int, data: dict[str, Any]) -> Any:
    note = data.pop("note", None)
    return services.edit_article(article_id, actor=current_api_user(), note=note, **data)


@bp.get("/articles/<int:article_id>/revisions")
@bp.auth_required(auth)
@bp.output(RevisionList)
@bp.doc(summary="The article's revisions, newest first", responses=ERRORS)
def list_revisions(article_id: int) -> dict[str, Any]:
    article = queries.get_visible(article_id, current_api_user())
    return {"items": queries.revisions(article)}


@bp.post("/articles/<int:article_id>/votes")
@bp.auth_required(auth)
@bp.input(VoteIn, arg_name="data")
@bp.output(VoteOut)
@bp.doc(summary="Was this helpful (one vote per reader per revision)", responses=ERRORS)
def vote(article_id: int, data: dict[str, Any]) -> dict[str, int]:
    user = current_api_user()
    services.vote(article_id, helpful=data["helpful"], actor=user)
    helpful, not_helpful = queries.vote_counts(queries.get_visible(article_id, user))
    return {"helpful": helpful, "not_helpful": not_helpful}


@bp.post("/articles/deflections")
@bp.auth_required(auth)
@bp.input(DeflectionIn, arg_name="data")
@bp.output(DeflectionOut, status_code=201)
@bp.doc(summary="'This solved my problem': counted as a case not filed", responses=ERRORS)
def deflect(data: dict[str, Any]) -> dict[str, bool]:
    services.record_deflection(actor=current_api_user(), article_id=data["article_id"])
    return {"counted": True}
