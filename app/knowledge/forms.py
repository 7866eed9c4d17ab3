"""Forms for the knowledge-base pages; the rules live in the services."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.knowledge.models import (
    AUDIENCE_LABELS,
    CATEGORIES,
    LANGUAGE_LABELS,
    STATUS_LABELS,
    ArticleStatus,
)


def _categories() -> list[tuple[str, Any]]:
    return [(code, label) for code, label in CATEGORIES.items()]


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Write a title.")), Length(max=200)])
    body = TextAreaField(
        _l("Text"), validators=[DataRequired(_l("Write the article's text."))],
        description=_l("Markdown: ## heading, **bold**, - list, 1. steps, [link](https://…)."),
    )
    category = SelectField(_l("Category"), choices=_categories())
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=800)],
                       description=_l("Words separated by commas, like “vpn, hjemmekontor”."))
    systems = StringField(_l("Business systems"), validators=[Optional(), Length(max=800)],
                          description=_l("Their super-users may edit the article."))
    audience = SelectField(_l("Who may read it"), choices=[(a.value, label) for a, label in AUDIENCE_LABELS.items()])
    scope = SelectField(_l("Municipality"), choices=[])
    language = SelectField(_l("Language"), choices=[(lang.value, label) for lang, label in LANGUAGE_LABELS.items()])
    status = SelectField(_l("Status"), choices=[(s.value, label) for s, label in STATUS_LABELS.items()],
                         default=ArticleStatus.DRAFT.value)
    note = StringField(_l("What did you change?"), validators=[Optional(), Length(max=500)])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search the help pages"), validators=[Optional(), Length(max=200)])
    category = HiddenField()


class ConfirmForm(FlaskForm):
    """A button that only needs CSRF (vote, solved, restore, draft from a case)."""

    article_id = HiddenField()
