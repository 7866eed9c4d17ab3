"""/api/v1 routes about the caller and users."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Function, Integer, List, Nested, String

from app.accounts import queries
from app.accounts.models import Role
from app.api.auth import auth, current_api_user

bp = APIBlueprint("accounts_api", __name__, url_prefix="/api/v1", tag="Accounts")


class MeOut(Schema):
    # Output fields are `required`: always present in what we send, and the document says so.
    id = Integer(required=True)
    email = String(required=True)
    name = String(required=True)
    locale = String(required=True)
    municipality = Function(
        lambda u: u.municipality.code if u.municipality else None, allow_none=True,
        metadata={"type": "string"}, required=True,
    )
    roles = Function(
        lambda u: sorted(r.value for r in u.roles),
        metadata={"type": "array", "items": {"type": "string", "enum": [r.value for r in Role]}}, required=True,
    )
    is_admin = Boolean(required=True)


class MunicipalityOut(Schema):
    code = String(required=True)
    name = String(required=True)
    domains = Function(
        lambda m: [d.domain for d in m.domains], metadata={"type": "array", "items": {"type": "string"}},
        required=True,
    )
    phones = Function(
        lambda m: [p.number for p in m.phones], metadata={"type": "array", "items": {"type": "string"}},
        required=True,
    )


class MunicipalityList(Schema):
    items = List(Nested(MunicipalityOut), required=True)


@bp.get("/me")
@bp.auth_required(auth)
@bp.output(MeOut)
@bp.doc(summary="The user behind the token", responses={401: "Not logged in"})
def me() -> Any:
    return current_api_user()


@bp.get("/municipalities")
@bp.auth_required(auth)
@bp.output(MunicipalityList)
@bp.doc(summary="The municipalities of the cooperation", responses={401: "Not logged in"})
def municipalities() -> dict[str, Any]:
    return {"items": queries.municipalities()}
