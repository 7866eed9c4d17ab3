"""Forms for the training pages. They parse; the rules live in the services, whose errors the
views put next to the same-named field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ButtonForm(FlaskForm):
    """A button that posts (enrol, cancel): the CSRF token is all it carries."""


class ParticipantForm(FlaskForm):
    participant = HiddenField()
    attended = HiddenField()


class EnrolOtherForm(FlaskForm):
    participant = EmailField(_l("Email of the person to enrol"), validators=[DataRequired(), Length(max=320)])


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20_000)])
    audience = StringField(_l("Audience"), validators=[Length(max=200)])
    systems = StringField(_l("Business systems"), validators=[Length(max=1000)],
                          description=_l("Separate several with commas."))


class SessionForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts (Norwegian time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Norwegian time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    video_url = StringField(_l("Video link"), validators=[Length(max=500)])
    capacity = IntegerField(_l("Seats"), validators=[DataRequired(), NumberRange(min=1, max=1000)])
    municipality = SelectField(_l("Open to"), choices=[])
    cancel_deadline_hours = IntegerField(_l("Cancellation deadline (hours before)"), default=24,
                                         validators=[Optional(), NumberRange(min=0, max=1440)])


class RescheduleForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts (Norwegian time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Norwegian time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class PageForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired()])
    material_id = HiddenField()


class FileForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    file = FileField(_l("File"))


class HelpForm(FlaskForm):
    helped = EmailField(_l("Email of the colleague you helped"), validators=[DataRequired(), Length(max=320)])
    topic = StringField(_l("What it was about"), validators=[DataRequired(), Length(max=200)])
    system = StringField(_l("Business system"), validators=[Length(max=120)])
    unit = StringField(_l("Their unit"), validators=[Length(max=120)])
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=480)])
    date = DateField(_l("Date"), validators=[Optional()])
    ticket = StringField(_l("Case (optional)"), validators=[Length(max=30)], description=_l("For example GRA-1042."))


class ConfirmForm(FlaskForm):
    answer = HiddenField()


class RosterForm(FlaskForm):
    system = StringField(_l("Business system"), validators=[DataRequired(), Length(max=120)])
    unit = StringField(_l("Unit"), validators=[Length(max=120)])
    email = EmailField(_l("Email of the go-to colleague"), validators=[DataRequired(), Length(max=320)])


class ResolveWithHelpForm(FlaskForm):
    helper = EmailField(_l("Who helped (email)"), validators=[DataRequired(), Length(max=320)])
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=480)])
    system = StringField(_l("Business system"), validators=[Length(max=120)])
