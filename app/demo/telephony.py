"""Demo data for telephony: each municipality's SMS number, an SMS conversation on a case (in,
an agent's SMS out, the answer threaded back), a text from an unknown number waiting for its
municipality, and Lunner sending whole answers by SMS. Built through the services, idempotent
(every webhook has a fixed MessageSid, and a MessageSid is taken in once)."""

from __future__ import annotations

from app.accounts import queries as accounts_queries
from app.accounts import services as accounts
from app.telephony import services

SMS_NUMBERS = {"JEV": "+4740000101", "LUN": "+4740000102", "GRA": "+4740000103"}


def _sid(n: int) -> str:
    return f"SM{0xDE30 + n:032x}"


def load_telephony() -> dict[str, int]:
    system = accounts.system_user()
    for code, number in SMS_NUMBERS.items():
        municipality = accounts_queries.municipality_by_code(code)
        if municipality is not None and number not in {p.number for p in municipality.phones}:
            accounts.update_municipality(code, phones=[*(p.number for p in municipality.phones), number],
                                         actor=system)
    services.set_reply_mode("LUN", "text", actor=system)
    employee = accounts_queries.user_by_email("ansatt@gran.kommune.example")
    agent = accounts_queries.user_by_email("forstelinje@gran.kommune.example")
    if employee is None or agent is None or not employee.phone:
        return {"sms": 0}
    first = services.receive_sms({
        "MessageSid": _sid(1), "From": employee.phone, "To": SMS_NUMBERS["GRA"],
        "Body": "Hei! Mobilen min får ikke e-post etter at jeg byttet passord i går. Mvh Anne",
    })
    if not first.duplicate and first.ref:
        services.send_sms(first.ref, actor=agent,
                          text="Hei Anne! Åpne Outlook-appen, logg ut og inn igjen med det nye passordet. "
                               "Virker det?")
    services.receive_sms({"MessageSid": _sid(2), "From": employee.phone, "To": SMS_NUMBERS["GRA"],
                          "Body": "Nå virker det, takk for hjelpen!"})
    services.receive_sms({"MessageSid": _sid(3), "From": "+4741234567", "To": SMS_NUMBERS["JEV"],
                          "Body": "Hei, nettbrettet på Jevnaker sykehjem får ikke kontakt med nettet."})
    return {"sms": 0 if first.duplicate else 3}
