"""/api/v1 routes for telephony: an agent sends an SMS to a case's employee."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import String
from apiflask.validators import Length

from app.api.auth import auth, current_api_user
from app.telephony import services
from app.tickets.api import ERRORS, MessageOut

bp = APIBlueprint("telephony_api", __name__, url_prefix="/api/v1", tag="Telephony")


class SmsIn(Schema):
    text = String(required=True, validate=Length(min=1, max=1000),
                  metadata={"description": "The SMS; it goes out with the case number."})


@bp.post("/tickets/<ref>/sms")
@bp.auth_required(auth)
@bp.input(SmsIn, arg_name="data")
@bp.output(MessageOut, status_code=201)
@bp.doc(summary="Send an SMS to the case's employee (it goes on the case as a reply)",
        responses={**ERRORS, 403: "Forbidden"})
def send_sms(ref: str, data: dict[str, Any]) -> Any:
    return services.send_sms(ref, text=data["text"], actor=current_api_user())
