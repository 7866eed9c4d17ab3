"""Forms for the ticket pages. They parse and check that required fields are there; the rules
(who may do what, limits, reopen window) live in the services, whose errors the views put next to
the same-named field."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import (
    EmailField,
    HiddenField,
    MultipleFileField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.tickets.models import (
    CATEGORIES,
    CATEGORY_LABELS,
    Channel,
    Priority,
    Status,
)
from app.tickets.services import EMPLOYEE_PRIORITIES, NewFile

REGISTER_CHANNELS = (Channel.PHONE, Channel.LETTER, Channel.WALK_IN)


def new_files(files: list[FileStorage] | None) -> list[NewFile]:
    """The uploaded files of a MultipleFileField, without the empty part a browser sends when
    no file was chosen."""
    return [NewFile(f.filename or "", f.read()) for f in files or [] if f and f.filename]


def _category_choices() -> list[tuple[str, Any]]:
    return [("", _l("Choose a category"))] + [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]


def _priority_choices(priorities: tuple[Priority, ...]) -> list[tuple[str, Any]]:
    return [(p.value, p.label) for p in priorities]


class NewTicketForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("Write a short subject.")), Length(max=200, message=_l("The subject can be at most 200 characters."))],
        description=_l("A few words, like “The printer on the 2nd floor does not print”."),
    )
    body = TextAreaField(
        _l("Description"),
        validators=[DataRequired(_l("Describe what you need help with."))],
        description=_l("What happened, what did you expect, and what have you tried?"),
    )
    category = SelectField(_l("Category"), choices=_category_choices, validators=[Optional()])
    # Checked by the service (trimmed, at most 80 characters), which names the field.
    system = StringField(
        _l("Business system (optional)"), validators=[Optional()],
        description=_l("The program the case is about, such as Visma or Elements."),
    )
    priority = SelectField(
        _l("Priority"), choices=lambda: _priority_choices(EMPLOYEE_PRIORITIES), default="normal"
    )
    files = MultipleFileField(_l("Attachments"), description=_l("Screenshots or documents, at most 20 MB each."))


class RegisterTicketForm(NewTicketForm):
    requester = EmailField(
        _l("Employee's email address"),
        validators=[DataRequired(_l("Give the email address of the employee the case is for."))],
    )
    channel = SelectField(
        _l("Channel"), choices=lambda: [(c.value, c.label) for c in REGISTER_CHANNELS], default="phone"
    )
    priority = SelectField(
        _l("Priority"), choices=lambda: _priority_choices(tuple(Priority)), default="normal"
    )


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your answer"), validators=[DataRequired(_l("Write a message."))])
    files = MultipleFileField(_l("Attachments"))


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Internal note"), validators=[DataRequired(_l("Write a message."))],
        description=_l("Only staff see internal notes; the employee does not."),
    )
    files = MultipleFileField(_l("Attachments"))


class NoteRequiredForm(FlaskForm):
    """Escalate and send back: the note saying why is required."""

    note = TextAreaField(_l("Why?"), validators=[DataRequired(_l("Write a note that says why."))])


class EscalateForm(NoteRequiredForm):
    queue = SelectField(_l("Second-line queue"), choices=[], validators=[Optional()])


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assignee"), choices=[], validators=[Optional()])


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=lambda: [(s.value, s.label) for s in (Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED)],
    )
    note = StringField(_l("Comment (optional)"), validators=[Optional()])


class CategoryForm(FlaskForm):
    category = SelectField(_l("Category"), choices=lambda: [("", _l("No category"))] + _category_choices()[1:],
                           validators=[Optional()])


class SystemForm(FlaskForm):
    system = StringField(_l("Business system"), validators=[Optional()],
                         description=_l("Leave empty to remove it."))


class MoveForm(FlaskForm):
    queue = SelectField(_l("Move to queue"), choices=[], validators=[DataRequired(_l("Choose a queue."))])
    note = StringField(_l("Comment (optional)"), validators=[Optional()])


class PriorityForm(FlaskForm):
    priority = SelectField(_l("Priority"), choices=lambda: _priority_choices(tuple(Priority)))


class ButtonForm(FlaskForm):
    """A form that is only a button (claim, mark solved): CSRF and nothing else."""

    action = HiddenField()


class AttachmentForm(FlaskForm):
    files = MultipleFileField(_l("Add files"), validators=[DataRequired(_l("Choose a file."))])


class FilterForm(FlaskForm):
    """The queue filters, read from the query string (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    queue = HiddenField()
    status = SelectMultipleField(
        _l("Status"), choices=lambda: [(s.value, s.label) for s in Status], validators=[Optional()]
    )
    assignee = SelectField(
        _l("Assignee"),
        choices=lambda: [("", _l("Anyone")), ("me", _l("Me")), ("none", _l("Nobody"))],
        validators=[Optional()],
    )
    priority = SelectField(
        _l("Priority"),
        choices=lambda: [("", _l("Any priority"))] + _priority_choices(tuple(Priority)),
        validators=[Optional()],
    )
    channel = SelectField(
        _l("Channel"),
        choices=lambda: [("", _l("Any channel"))] + [(c.value, c.label) for c in Channel],
        validators=[Optional()],
    )
    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)])
    system = StringField(_l("Business system"), validators=[Optional(), Length(max=80)])
    sort = SelectField(
        _l("Sort"),
        choices=lambda: [
            ("-created", _l("Newest first")),
            ("created", _l("Oldest first")),
            ("-updated", _l("Recently changed")),
            ("updated", _l("Least recently changed")),
            ("due", _l("Due first")),  # the SLA clock's sort (app/sla)
        ],
        default="-created",
    )

