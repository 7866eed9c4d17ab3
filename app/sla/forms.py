"""Forms for the opening-hours admin page and the deviation page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.sla.models import DeviationKind

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))


class WeekForm(FlaskForm):
    desk = SelectField(_l("Desk"), validators=[DataRequired()])
    mon = StringField(WEEKDAYS[0], validators=[Optional()])
    tue = StringField(WEEKDAYS[1], validators=[Optional()])
    wed = StringField(WEEKDAYS[2], validators=[Optional()])
    thu = StringField(WEEKDAYS[3], validators=[Optional()])
    fri = StringField(WEEKDAYS[4], validators=[Optional()])
    sat = StringField(WEEKDAYS[5], validators=[Optional()])
    sun = StringField(WEEKDAYS[6], validators=[Optional()])

    DAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DayForm(FlaskForm):
    desk = SelectField(_l("Desk"), validators=[DataRequired()])
    day = DateField(_l("Date"), validators=[DataRequired(_l("Give a date."))])
    hours = StringField(_l("Opening hours"), validators=[Optional()],
                        description=_l("Like 08:00-12:00 for a short day; empty for closed all day."))
    label = StringField(_l("Description"), validators=[DataRequired(_l("Say what the day is (for example julaften)."))])


class ButtonForm(FlaskForm):
    pass


class PolicyForm(FlaskForm):
    """One SLA policy: its targets in business time (like the `sla policy` command)."""

    priority = SelectField(_l("Priority"), validators=[DataRequired()])
    municipality = SelectField(_l("Municipality"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    first_response = StringField(
        _l("First response within"), validators=[DataRequired(_l("Give the first response target."))],
        description=_l("Business time, like 4h, 90m or 1d (a day is the desk's opening hours, 7 h 30 min by default)."))
    resolution = StringField(_l("Solved within"), validators=[DataRequired(_l("Give the resolution target."))],
                             description=_l("Business time, like 3d or 2d4h."))
    warning_percent = IntegerField(
        _l("Warn at (percent of the target)"), default=80,
        validators=[InputRequired(_l("Give a percentage from 1 to 99.")),
                    NumberRange(1, 99, _l("Give a percentage from 1 to 99."))])
    name = StringField(_l("Name people see"), validators=[Optional(), Length(max=80)],
                       description=_l("Empty: the priority's name."))


class DeviationForm(FlaskForm):
    kind = SelectField(_l("What is it about?"), choices=lambda: [(k.value, k.label) for k in DeviationKind])
    text = TextAreaField(_l("Describe the deviation"), validators=[DataRequired(_l("Describe the deviation."))])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(_l("Write an answer to the deviation."))])
