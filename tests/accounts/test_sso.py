"""Single sign-on against a real OpenID Connect provider on 127.0.0.1 (oidc-provider-mock):
sign-in links by subject, creates employees from the municipality's own domain only, never grants
staff roles, and refuses a tampered state or nonce and an expired token, with one answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from threading import Thread
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
import sqlalchemy as sa
import werkzeug.serving
from flask import Flask
from oidc_provider_mock import app as provider_app

from app.accounts import queries
from app.accounts.models import Role, User
from app.accounts.signin_models import ExternalIdentity, SignInMethod, UserSession
from app.extensions import db

REFUSED = "Innlogging med kommunekontoen virket ikke"


@contextmanager
def provider(**options: Any) -> Iterator[str]:
    server = werkzeug.serving.make_server("127.0.0.1", 0, provider_app(**options), threaded=True)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def configured(app: Flask, issuer: str, **extra: Any) -> Iterator[None]:
    app.config["SAMDESK_OIDC"] = {"GRA": {"issuer": issuer, "client_id": "samdesk-gran",
                                          "client_secret": "hemmelig-fra-miljoet",
                                          "auto_create": True, "label": "", **extra}}
    app.extensions.pop("samdesk_oauth", None)
    try:
        yield
    finally:
        app.config["SAMDESK_OIDC"] = {}
        app.extensions.pop("samdesk_oauth", None)


@pytest.fixture
def idp(app: Flask) -> Iterator[str]:
    with provider() as url, configured(app, url):
        yield url


def _replace_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def sso_login(client, issuer: str, sub: str, claims: dict[str, Any], *, nonce: str | None = None,
              state: str | None = None):
    start = client.get("/logg-inn/sso/GRA")
    assert start.status_code == 302 and start.location.startswith(issuer), start.location
    authorize = start.location if nonce is None else _replace_query(start.location, nonce=nonce)
    assert requests.put(f"{issuer}/users/{sub}", json=claims, timeout=10).status_code == 204
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    callback = answer.headers["Location"] if state is None else _replace_query(answer.headers["Location"], state=state)
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def test_first_sign_in_from_the_municipality_domain_creates_an_employee(client, idp, world) -> None:
    response = sso_login(client, idp, "entra-oid-1", {"email": "Ny.Person@gran.kommune.example",
                                                      "name": "Ny Person"})

    assert response.status_code == 302 and response.location == "/"
    user = queries.user_by_email("ny.person@gran.kommune.example")
    assert user is not None and user.roles == {Role.EMPLOYEE} and user.municipality.code == "GRA"
    assert user.password_hash is None
    assert client.get("/saker/ny").status_code == 200
    assert db.session.scalars(sa.select(UserSession.method)).one() is SignInMethod.OIDC


def test_a_linked_person_is_matched_by_subject_not_by_name_or_address(client, idp, world) -> None:
    sso_login(client, idp, "entra-oid-2", {"email": world.employee.email, "name": "Anne"})
    client.post("/logg-ut")  # CSRF is off in this client

    renamed = sso_login(client, idp, "entra-oid-2", {"email": "anne.gift@gran.kommune.example",
                                                     "name": "Helt Annet Navn"})

    assert renamed.status_code == 302
    identity = db.session.scalars(sa.select(ExternalIdentity)).one()
    assert identity.user_id == world.employee.id and identity.subject == "entra-oid-2"
    assert queries.user_by_email("anne.gift@gran.kommune.example") is None


def test_sign_in_never_grants_a_staff_role(client, idp, world) -> None:
    sso_login(client, idp, "entra-oid-3", {"email": "sjef@gran.kommune.example",
                                           "roles": ["admin"], "groups": ["IKT-ledere"]})
    user = queries.user_by_email("sjef@gran.kommune.example")
    assert user.roles == {Role.EMPLOYEE} and not user.is_staff


def test_an_address_outside_the_municipality_domain_is_refused(client, idp, world) -> None:
    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    outside = sso_login(client, idp, "entra-oid-4", {"email": "ansatt@lunner.kommune.example"})
    foreign = sso_login(client, idp, "entra-oid-5", {"email": "noen@evil.example"})

    assert outside.status_code == foreign.status_code == 401
    assert REFUSED in outside.text and REFUSED in foreign.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 0


def test_a_tampered_state_is_refused(client, idp, world) -> None:
    response = sso_login(client, idp, "entra-oid-6", {"email": world.employee.email}, state="forfalsket")
    assert response.status_code == 401 and REFUSED in response.text
    assert client.get("/saker/ny").status_code == 302


def test_a_tampered_nonce_is_refused(client, idp, world) -> None:
    response = sso_login(client, idp, "entra-oid-7", {"email": world.employee.email}, nonce="en-annen")
    assert response.status_code == 401 and REFUSED in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_an_expired_id_token_is_refused(app, client, world) -> None:
    with provider(access_token_max_age=timedelta(minutes=-10)) as url, configured(app, url):
        response = sso_login(client, url, "entra-oid-8", {"email": world.employee.email})
    assert response.status_code == 401 and REFUSED in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_no_account_is_created_when_auto_create_is_off(app, client, world) -> None:
    with provider() as url, configured(app, url, auto_create=False):
        response = sso_login(client, url, "entra-oid-9", {"email": "ukjent@gran.kommune.example"})
    assert response.status_code == 401
    assert queries.user_by_email("ukjent@gran.kommune.example") is None


def test_an_unconfigured_municipality_is_404(client, world) -> None:
    assert client.get("/logg-inn/sso/LUN").status_code == 404


def test_a_provider_that_does_not_answer_is_a_clear_refusal_not_a_500(app, client, world) -> None:
    with configured(app, "http://127.0.0.1:9"):  # discard port: nothing listens
        response = client.get("/logg-inn/sso/GRA")
    assert response.status_code == 503 and REFUSED in response.text
