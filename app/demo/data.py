"""The demo data set, created through the services. All addresses are on reserved example
domains, so no demo mail can reach a person."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts import queries as accounts_queries
from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.db import atomic
from app.demo import audit, knowledge
from app.demo import training as training_demo
from app.demo.sla import load_sla
from app.demo.telephony import load_telephony
from app.tickets import queries as ticket_queries
from app.tickets import services as tickets
from app.tickets.models import Channel

DEMO_PASSWORD = "demo-passord"  # noqa: S105 - published in the README for the demo

MUNICIPALITIES = [
    ("JEV", "Jevnaker", "jevnaker", "+4761315700"),
    ("LUN", "Lunner", "lunner", "+4761324000"),
    ("GRA", "Gran", "gran", "+4761338000"),
]

FIRST_NAMES = {
    "jevnaker": [("Kari Nordby", "Ola Hval"), ("Siri Lien", "Per Bråten"), "Hege Moen"],
    "lunner": [("Ingrid Haugen", "Knut Røste"), ("Marit Sandum", "Jonas Grua"), "Tone Harestua"],
    "gran": [("Anne Brandbu", "Lars Moen"), ("Eva Jaren", "Nils Bjoneroa"), "Berit Gran"],
}


@dataclass
class DemoCase:
    municipality: str
    requester: str  # "ansatt" or "ansatt2"
    subject: str
    body: str
    category: str
    priority: str = "normal"
    channel: str = "web"
    # What happens next: a list of steps
    steps: tuple[str, ...] = ()


CASES = [
    DemoCase("gran", "ansatt", "Får ikke logget inn i Visma etter passordbytte",
             "Hei! Jeg byttet passord i går, og nå sier Visma at brukernavn eller passord er feil. "
             "Windows-pålogging fungerer fint. Kan dere hjelpe?", "account", "high", "web",
             ("claim", "reply:Hei! Vi har tilbakestilt Visma-passordet ditt. Prøv igjen nå og si fra om det virker.", "waiting")),
    DemoCase("gran", "ansatt2", "Skriveren i 2. etasje på rådhuset skriver ut blanke ark",
             "Skriveren ved kantina (HP, merket GRA-PR-212) gir bare blanke ark. Toneren ble byttet forrige uke.",
             "printing", "normal", "email", ("claim",)),
    DemoCase("gran", "ansatt", "Ny ansatt i hjemmetjenesten trenger tilgang til Gerica",
             "Vi har fått en ny sykepleier, Mona Skrukkerud, som starter mandag. Hun trenger tilgang til Gerica "
             "og mobil pleie-app.", "business_system", "normal", "web",
             ("claim", "escalate:Tilgangsstyring i Gerica gjøres av felles IKT. Bestilling fra enhetsleder er vedlagt.")),
    DemoCase("gran", "ansatt2", "Trådløst nett faller ut på Brandbu ungdomsskole",
             "Lærerne melder at eduroam faller ut flere ganger i timen i 2. etasje. Det gjelder både PC og iPad.",
             "network", "high", "phone",
             ("claim", "escalate:Ser ut som aksesspunkt AP-BUS-2 restarter. Trenger andrelinje for nettverk.",
              "claim2", "note2:Aksesspunktet har feil firmware. Planlegger oppdatering i kveld.",
              "reply2:Vi oppdaterer det trådløse nettet i kveld etter kl. 18. Gi beskjed i morgen om det fortsatt faller ut.")),
    DemoCase("gran", "ansatt", "Bestille ny mobiltelefon",
             "Skjermen på jobbtelefonen min er knust. Kan jeg få en ny?", "phone", "low", "sms",
             ("claim", "reply:Ny telefon er bestilt og kommer i løpet av uka. Du får SMS når den kan hentes.", "resolved")),
    DemoCase("gran", "ansatt2", "Teams-møter hakker på hjemmekontor",
             "Lyden hakker i alle Teams-møter når jeg jobber hjemmefra. Linja hjemme er på 100 Mbit.",
             "software", "normal", "web", ()),
    DemoCase("gran", "ansatt", "Excel krasjer når jeg åpner budsjettmalen",
             "Budsjettmalen for 2027 får Excel til å lukke seg. Andre filer fungerer.", "software", "normal", "web",
             ("claim", "reply:Kan du prøve å åpne filen i nettleserversjonen av Excel i mellomtiden?", "resolved", "close")),
    DemoCase("gran", "ansatt2", "Hjemmekontor: VPN kobler ikke til",
             "Får feilmelding 809 når jeg prøver å koble til VPN hjemmefra.", "network", "normal", "walk_in", ()),
    DemoCase("lunner", "ansatt", "Kan ikke åpne vedlegg i Elements (sak/arkiv)",
             "Når jeg prøver å åpne PDF-vedlegg i Elements får jeg en hvit side.", "business_system", "normal", "web",
             ("claim", "escalate:Gjelder flere brukere i Lunner. Trolig feil etter oppdatering av Elements.",
              "claim2", "reply2:Leverandøren har bekreftet feilen. Retting kommer i neste versjon; inntil da kan du laste ned vedlegget og åpne det lokalt.",
              "send_back2:Midlertidig løsning er gitt. Førstelinje følger opp med brukeren.")),
    DemoCase("lunner", "ansatt2", "Skjerm nummer to virker ikke etter flytting",
             "Jeg har flyttet kontor til Roa, og den ene skjermen får ikke signal.", "hardware", "low", "web",
             ("claim", "reply:Vi kommer innom i morgen formiddag og ser på kablingen.", )),
    DemoCase("lunner", "ansatt", "Passordet mitt er utløpt",
             "Jeg har vært i permisjon og passordet har gått ut. Jeg sitter på Lunner omsorgssenter.", "account",
             "high", "phone", ("claim", "reply:Vi har sendt deg et midlertidig passord på SMS.", "resolved")),
    DemoCase("lunner", "ansatt2", "Ønsker opplæring i Teams for hele avdelingen",
             "Barnehageavdelingen ønsker et kurs i Teams og OneDrive. Er det mulig i januar?", "other", "low",
             "email", ()),
    DemoCase("lunner", "ansatt", "Telefonen min viser feil nummer når jeg ringer ut",
             "Når jeg ringer ut fra sentralbordet vises mobilnummeret mitt i stedet for hovednummeret.", "phone",
             "normal", "web", ("claim", "escalate:Telefoniløsningen driftes av felles IKT.")),
    DemoCase("lunner", "ansatt2", "Mistenkelig e-post med lenke til «Microsoft-pålogging»",
             "Jeg fikk en e-post som ba meg logge inn for å beholde postkassen. Jeg trykket ikke på lenken.",
             "account", "critical", "email",
             ("claim", "escalate:Mulig phishing-kampanje. Andre kommuner kan også være rammet.", "claim2",
              "note2:Blokkert avsenderdomenet i e-postfilteret for alle tre kommunene.",
              "reply2:Takk for at du meldte fra! Vi har blokkert avsenderen. Du trenger ikke gjøre noe mer.", "resolved2")),
    DemoCase("lunner", "ansatt", "Får ikke skrevet ut fra nettbrett",
             "Hvordan skriver jeg ut fra iPad på Harestua skole?", "printing", "low", "web", ()),
    DemoCase("lunner", "ansatt2", "Ny PC til vikar",
             "Vi har en vikar fra 1. desember som trenger PC og tilgang til Visma.", "hardware", "normal", "letter",
             ("claim",)),
    DemoCase("jevnaker", "ansatt", "Kan ikke logge inn på Visma Flyt Skole",
             "Får melding om at brukeren min er sperret i Visma Flyt Skole.", "business_system", "high", "web",
             ("claim", "escalate:Brukeren er sperret i Feide. Må låses opp sentralt.", "claim2",
              "reply2:Feide-brukeren din er låst opp. Logg ut og inn igjen.", "resolved2")),
    DemoCase("jevnaker", "ansatt2", "Tastaturet mangler æ, ø og å",
             "Etter en Windows-oppdatering skriver tastaturet engelske tegn. Hvordan får jeg tilbake norsk?",
             "software", "low", "web", ("claim", "reply:Trykk Windows-tast + mellomrom og velg norsk (bokmål).", "resolved")),
    DemoCase("jevnaker", "ansatt", "Sakkyndig rapport må skannes inn",
             "Skanneren på Jevnaker rådhus sender ikke til e-post lenger.", "printing", "normal", "walk_in",
             ("claim",)),
    DemoCase("jevnaker", "ansatt2", "Mobilt bredbånd for hjemmetjenesten",
             "Bilene i hjemmetjenesten mangler dekning i Bergerbakken. Kan vi få bedre mobilt bredbånd?",
             "network", "normal", "email", ()),
    DemoCase("jevnaker", "ansatt", "Tilgang til felles postkasse for servicetorget",
             "Jeg har begynt på servicetorget og trenger tilgang til postkassen post@jevnaker.kommune.example.",
             "account", "normal", "web", ("claim", "reply:Du har fått tilgang. Det kan ta en time før den vises i Outlook.", "resolved", "close")),
    DemoCase("jevnaker", "ansatt2", "Outlook ber om passord hele tiden",
             "Outlook spør om passordet mitt flere ganger om dagen.", "account", "normal", "phone",
             ("claim", "escalate:Trolig feil i moderne autentisering. Har prøvd å nullstille profilen.")),
    DemoCase("jevnaker", "ansatt", "Hvordan setter jeg opp fraværsmelding?",
             "Jeg skal på ferie og vil sette opp automatisk svar i Outlook.", "software", "low", "sms", ()),
    DemoCase("gran", "ansatt", "Sentralbordet får ikke satt over samtaler",
             "Når vi prøver å sette over til legevakten blir samtalen brutt.", "phone", "critical", "phone",
             ("claim", "escalate:Skjer for alle overføringer til eksterne nummer. Kritisk for legevakten.")),
    DemoCase("gran", "ansatt2", "Ønsker tilgang til Power BI",
             "Jeg er ny controller og trenger Power BI Pro for å lage rapporter til kommunestyret.", "software",
             "low", "web", ()),
    DemoCase("lunner", "ansatt", "Kameraet på PC-en virker ikke i Teams",
             "Teams sier at ingen kameraer er funnet.", "hardware", "normal", "web",
             ("claim", "reply:Har du sjekket om det er en liten bryter eller et deksel over kameraet?", "waiting")),
    DemoCase("jevnaker", "ansatt2", "Kan ikke signere i Elements",
             "Knappen for å godkjenne dokumenter er grå.", "business_system", "normal", "web",
             ("claim", "escalate:Rettighetsproblem i Elements, felles fagsystem.")),
    DemoCase("gran", "ansatt", "Utskrift av lønnsslipp",
             "Hvor finner jeg lønnsslippene mine fra i fjor?", "other", "low", "web",
             ("claim", "reply:Du finner dem i Visma Enterprise under «Mine dokumenter».", "resolved")),
    DemoCase("lunner", "ansatt2", "Stor forsinkelse i Citrix",
             "Alt går veldig tregt i Citrix i dag, både Gerica og Elements.", "network", "high", "phone", ()),
    DemoCase("jevnaker", "ansatt", "Ny bruker til sommervikar",
             "Vi trenger bruker til en sommervikar på Jevnaker sykehjem fra juni.", "account", "low", "letter",
             ("claim",)),
]


def _user(email: str, name: str, roles: list[Role], municipality: str | None, phone: str | None = None) -> tuple[User, bool]:
    existing = accounts_queries.user_by_email(email)
    if existing is not None:
        return existing, False
    user = accounts.create_user(
        email, name=name, roles=roles, municipality_code=municipality, password=DEMO_PASSWORD,
        phone=phone, actor=accounts.system_user(),
    )
    return user, True


@atomic
def load() -> dict[str, int]:
    created = {"users": 0, "tickets": 0}
    for code, name, slug, phone in MUNICIPALITIES:
        if accounts_queries.municipality_by_code(code) is None:
            accounts.create_municipality(
                code, name, domains=[f"{slug}.kommune.example"], phones=[phone],
                first_line_slug=f"{slug}-forstelinje", actor=accounts.system_user(),
            )
        if ticket_queries.queue_by_slug(f"{slug}-forstelinje") is None:
            tickets.create_queue(f"{slug}-forstelinje", name=f"{name} førstelinje", kind="first_line",
                                 municipality_code=code, actor=accounts.system_user())
    for slug, qname, triage in (
        ("andrelinje", "Felles andrelinje", False),
        ("andrelinje-fagsystem", "Andrelinje fagsystemer", False),
        ("mottak", "Mottak (ukjent avsender)", True),
    ):
        if ticket_queries.queue_by_slug(slug) is None:
            tickets.create_queue(slug, name=qname, kind="second_line", is_triage=triage, actor=accounts.system_user())

    def add(*args: object, **kwargs: object) -> User:
        user, new = _user(*args, **kwargs)  # type: ignore[arg-type]
        created["users"] += int(new)
        return user

    add("admin@samdesk.example", "Ida Admin (IKT-leder)", [Role.ADMIN], None)
    for code, _name, slug, _phone in MUNICIPALITIES:
        people = FIRST_NAMES[slug]
        domain = f"{slug}.kommune.example"
        add(f"ansatt@{domain}", people[0][0], [Role.EMPLOYEE], code, f"+479900{ord(slug[0]):04d}"[:11])
        add(f"ansatt2@{domain}", people[0][1], [Role.EMPLOYEE], code)
        add(f"forstelinje@{domain}", people[1][0], [Role.FIRST_LINE, Role.EMPLOYEE], code)
        add(f"forstelinje2@{domain}", people[1][1], [Role.FIRST_LINE, Role.EMPLOYEE], code)
        add(f"leder@{domain}", str(people[2]), [Role.MANAGER, Role.EMPLOYEE], code)
    add("andrelinje@ikt-hadeland.example", "Arne Andrelinje", [Role.SECOND_LINE], None)
    add("andrelinje2@ikt-hadeland.example", "Bente Bakvakt", [Role.SECOND_LINE], None)
    add("kursholder@gran.kommune.example", "Kristin Kursholder", [Role.TRAINER, Role.SUPER_USER, Role.EMPLOYEE], "GRA")

    load_sla()  # app/demo/sla.py: policies before the cases, so that the cases have deadlines
    second = accounts_queries.user_by_email("andrelinje@ikt-hadeland.example")
    assert second is not None
    for case in CASES:
        domain = f"{case.municipality}.kommune.example"
        requester = accounts_queries.user_by_email(f"{case.requester}@{domain}")
        agent = accounts_queries.user_by_email(f"forstelinje@{domain}")
        assert requester is not None and agent is not None
        if ticket_queries.list_tickets(
            requester, ticket_queries.TicketFilter(requester_id=requester.id, q=case.subject), limit=1
        ).items:
            continue
        on_behalf = case.channel in ("phone", "letter", "walk_in") or case.priority == "critical"
        ticket = tickets.create_ticket(
            subject=case.subject, body=case.body, actor=agent if on_behalf else requester,
            requester=requester, channel=Channel(case.channel), category=case.category,
            priority=case.priority,
        )
        created["tickets"] += 1
        for step in case.steps:
            verb, _, text = step.partition(":")
            actor = second if verb.endswith("2") else agent
            verb = verb.rstrip("2")
            if verb == "claim":
                tickets.claim(ticket.ref, actor=actor)
            elif verb == "reply":
                tickets.reply(ticket.ref, body=text, actor=actor, channel=Channel.WEB)
            elif verb == "note":
                tickets.reply(ticket.ref, body=text, internal=True, actor=actor, channel=Channel.WEB)
            elif verb == "escalate":
                tickets.escalate(ticket.ref, note=text, actor=actor)
            elif verb == "send_back":
                tickets.send_back(ticket.ref, note=text, actor=actor)
            elif verb in ("waiting", "resolved"):
                tickets.set_status(ticket.ref, verb, actor=actor)
            elif verb == "close":
                tickets.set_status(ticket.ref, "closed", actor=actor)
    audit.load()
    __import__("app.demo.privacy", fromlist=["load"]).load()  # sign-in and personal data
    created["sms"] = load_telephony()["sms"]
    created["articles"] = knowledge.load()
    created.update(training_demo.load())
    created.update(__import__("app.demo.systems", fromlist=["load"]).load())  # fagsystem on cases
    return created
