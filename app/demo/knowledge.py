"""Starter articles for the brukerhjelp: common municipal IT problems, written for Samdesk in
Norwegian bokmål (a few in English). Loaded by `flask demo load` through the services, as the
pooled second line; idempotent by title."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.accounts import queries as accounts_queries
from app.accounts.services import system_user
from app.knowledge import queries, services


@dataclass(frozen=True)
class Starter:
    title: str
    category: str
    tags: tuple[str, ...]
    body: str
    language: str = "nb"
    audience: str = "employees"
    scope: str | None = None
    systems: tuple[str, ...] = field(default=())
    status: str = "published"


ARTICLES = [
    Starter("Bytte passord", "account", ("passord", "konto", "pålogging"), """
Passordet ditt gjelder for PC, e-post, Teams og de fleste fagsystemene. Du må bytte det hver 12. måned, og du får varsel på e-post 14 dager før det går ut.

## Slik bytter du passord på en kommune-PC
1. Trykk **Ctrl + Alt + Delete**.
2. Velg **Endre et passord**.
3. Skriv det gamle passordet, og så det nye to ganger.
4. Lås PC-en (**Windows + L**) og logg inn med det nye passordet, så oppdateres alt.

## Krav til passordet
- Minst 14 tegn. En setning med tre–fire ord er lettest å huske, for eksempel *Elgen-spiser-blåbær-i-Lunner*.
- Ikke bruk det samme passordet som privat.
- Passordet kan ikke være et av de siste fem du har brukt.

Etter et passordbytte må du logge inn på nytt på mobilen (e-post og Teams). Virker ikke Visma eller andre fagsystemer etterpå, vent 15 minutter og prøv igjen.
"""),
    Starter("Glemt passord eller låst konto", "account", ("passord", "låst", "konto", "tilbakestille"), """
Har du skrevet feil passord fem ganger, blir kontoen låst i 15 minutter. Vent, og prøv igjen.

## Glemt passordet?
- Gå til **passord.hadeland.example** fra mobilen eller en annen PC, og velg *Glemt passord*. Du får en kode på SMS til mobilnummeret som er registrert på deg.
- Har du ikke registrert mobilnummer, ring brukerstøtte i din kommune. Vi må bekrefte hvem du er før vi kan gi deg et nytt midlertidig passord.

Vi spør **aldri** etter passordet ditt, verken på telefon eller e-post. Får du en slik henvendelse, er det svindel (se artikkelen om phishing).
"""),
    Starter("Tofaktorpålogging (MFA) med Microsoft Authenticator", "account", ("mfa", "tofaktor", "authenticator", "mobil"), """
Når du logger inn utenfor kommunens nett, må du bekrefte med mobilen. Det kalles tofaktorpålogging eller MFA.

## Første gang
1. Installer **Microsoft Authenticator** fra App Store eller Google Play.
2. Gå til **aka.ms/mfasetup** på PC-en og logg inn.
3. Velg *Legg til påloggingsmetode* → *Godkjenningsapp*, og skann QR-koden med appen.
4. Godkjenn testvarselet på mobilen.

## Når du får varsel
Skriv tallet som vises på skjermen inn i appen. **Godkjenn aldri et varsel du ikke selv har startet** – da kan noen andre ha passordet ditt. Bytt passord med en gang og meld en sak.

## Ny mobil?
Ta med deg den gamle telefonen hvis du kan, og flytt kontoen i appen. Har du mistet telefonen, meld en sak eller ring brukerstøtte, så nullstiller vi MFA for deg.
"""),
    Starter("Skriveren skriver ikke ut", "printing", ("skriver", "utskrift", "printer", "kø"), """
De fleste problemer med skriveren løser seg med noen enkle steg.

1. **Se på skriveren**: Står det papirstopp, tom for papir eller toner i displayet? Følg instruksjonen på skjermen.
2. **Riktig skriver?** I utskriftsvinduet, sjekk at du har valgt *SikkerUtskrift* (se egen artikkel) eller riktig skriver i etasjen.
3. **Tøm utskriftskøen**: Åpne *Innstillinger → Bluetooth og enheter → Skrivere og skannere*, velg skriveren og *Åpne utskriftskø*. Avbryt dokumenter som har stått fast, og prøv igjen.
4. **Start PC-en på nytt.** Det løser overraskende mye.

Skriver den ut blanke ark eller striper, er det ofte toneren. Meld en sak og oppgi skriverens navn (klistremerket foran, for eksempel *GRA-PR-212*).
"""),
    Starter("Sikker utskrift: hent utskriften med adgangskortet", "printing", ("skriver", "utskrift", "adgangskort", "følgeutskrift"), """
Alle kommunene bruker **sikker utskrift** (følgeutskrift). Du skriver ut til køen *SikkerUtskrift*, og henter papiret på hvilken som helst skriver ved å holde adgangskortet mot kortleseren.

- Utskrifter som ikke er hentet slettes etter 24 timer.
- Første gang du bruker kortet, ber skriveren om brukernavn og passord for å koble kortet til deg.
- Kortet virker ikke? Sjekk at du holder det rett over symbolet. Nytt kort må registreres på nytt – meld en sak om det ikke går.

Slik slipper fortrolige papirer å ligge igjen i skriveren.
"""),
    Starter("Skrive ut fra mobil eller nettbrett", "mobile", ("utskrift", "skriver", "mobil", "ipad"), """
Du kan skrive ut fra kommunens mobil eller iPad når du er koblet til kommunens trådløse nett.

1. Åpne dokumentet og trykk **Del** → **Skriv ut**.
2. Velg skriveren *SikkerUtskrift-Mobil*.
3. Hent utskriften med adgangskortet på nærmeste skriver.

Fra privat mobil kan du sende dokumentet som vedlegg til **utskrift@hadeland.example** fra jobbadressen din. Det kommer da i din sikre utskriftskø.
"""),
    Starter("Hjemmekontor: koble til med VPN", "remote", ("vpn", "hjemmekontor", "fjernarbeid"), """
Noen fagsystemer og fellesområder krever at du er koblet til kommunens nett. Hjemmefra gjør du det med **VPN**.

## Koble til
1. Klikk på VPN-ikonet (et skjold) nederst til høyre på oppgavelinjen.
2. Velg **Hadeland VPN** og *Koble til*.
3. Godkjenn på mobilen (tofaktor).

## Trenger jeg VPN?
- **Nei** for e-post, Teams, OneDrive og SharePoint – de virker overalt.
- **Ja** for Gerica, Visma på kommunens server, og de gamle fellesområdene (G:- og H:-disken).

## Virker ikke VPN?
- Sjekk at du har internett (åpne en nettside).
- Offentlige nett på hotell og tog kan stoppe VPN. Prøv å dele nett fra mobilen.
- Koble fra og til igjen, eller start PC-en på nytt.
"""),
    Starter("Godt hjemmekontor: skjerm, lyd og sikkerhet", "remote", ("hjemmekontor", "skjerm", "headset", "sikkerhet"), """
- **Skjerm og dokkingstasjon**: Du kan låne skjerm til hjemmekontor etter avtale med leder. Koble PC-en til med én USB-C-kabel.
- **Lyd**: Bruk headset i Teams-møter. Bærbarens innebygde mikrofon tar opp mye bakgrunnsstøy.
- **Lås PC-en** (**Windows + L**) når du går fra den, også hjemme.
- **Ikke skriv ut personopplysninger hjemme.** Skriv heller ut på jobben med sikker utskrift.
- **Oppdateringer**: La PC-en stå på og koblet til nett minst én gang i uka, så den får sikkerhetsoppdateringer.
"""),
    Starter("Teams: ingen lyd eller bilde i møtet", "collaboration", ("teams", "møte", "lyd", "mikrofon", "kamera"), """
1. Før du blir med: velg riktig **lyd- og videoenhet** i forhåndsvisningen (tannhjulet).
2. I møtet: trykk **…** → **Innstillinger** → **Enhetsinnstillinger**, og velg headsettet ditt for både høyttaler og mikrofon.
3. Sjekk at mikrofonen ikke er dempet på selve headsettet.
4. Kameraet virker ikke? Lukk andre programmer som kan bruke det (Zoom, nettleseren), og se etter en bryter eller et deksel på PC-en.
5. Fortsatt problemer: avslutt Teams helt (høyreklikk ikonet ved klokka → *Avslutt*) og start det igjen.
"""),
    Starter("Teams er tregt eller henger: tøm hurtigbufferen", "collaboration", ("teams", "treg", "henger", "cache"), """
Når Teams henger, viser gamle meldinger eller ikke vil starte, hjelper det ofte å tømme hurtigbufferen.

1. Avslutt Teams helt (høyreklikk ikonet ved klokka → *Avslutt*).
2. Trykk **Windows + R**, skriv `%localappdata%\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache\\Microsoft\\MSTeams` og trykk Enter.
3. Slett alt i mappen.
4. Start Teams igjen. Første oppstart tar litt lenger tid.

Du mister ingen meldinger eller filer – de ligger i skyen.
"""),
    Starter("E-post og kalender på mobilen", "email", ("epost", "mobil", "outlook", "kalender"), """
Bruk appen **Microsoft Outlook** på både kommunens og privat mobil. Den innebygde e-postappen på iPhone og Android er ikke godkjent for jobb-e-post.

1. Installer **Outlook** og **Microsoft Authenticator**.
2. Åpne Outlook og logg inn med jobbadressen din.
3. Godkjenn med tofaktor.
4. På privat mobil blir du bedt om å installere **Intune Company Portal**. Det beskytter bare jobbdataene – arbeidsgiveren ser ikke dine private bilder eller meldinger.

Etter passordbytte må du logge inn i Outlook på nytt.
"""),
    Starter("Fellespostkasse og delt kalender", "email", ("epost", "fellespostkasse", "kalender", "outlook"), """
Mange enheter har en fellespostkasse (for eksempel *postmottak* eller *hjemmetjenesten*).

- **Tilgang** bestilles av leder i en sak. Når tilgangen er gitt, dukker postkassen opp i Outlook av seg selv innen en time.
- Svar **fra** fellespostkassen: i en ny e-post, velg *Fra* og skriv fellespostkassens adresse.
- **Delt kalender**: I kalenderen, velg *Legg til kalender* → *Fra katalog*, og søk etter navnet.
"""),
    Starter("Ny ansatt: første dag med PC og tilganger", "onboarding", ("nyansatt", "første dag", "tilgang", "pc"), """
Velkommen! Leder bestiller brukerkonto og utstyr før du starter. Første dag gjør du dette:

1. **Hent PC og adgangskort** hos leder eller servicetorget.
2. **Logg inn** med brukernavnet og engangspassordet du har fått. Du blir bedt om å lage et eget passord (minst 14 tegn).
3. **Sett opp tofaktor** med Microsoft Authenticator (egen artikkel).
4. **Åpne Outlook og Teams.** De er installert og logger deg inn automatisk.
5. **Koble adgangskortet til sikker utskrift** ved første utskrift.
6. **Ta e-læringen i informasjonssikkerhet** – lenken ligger i velkomst-e-posten.

Mangler du tilgang til et fagsystem, ber du lederen din bestille det. Superbrukeren for systemet gir opplæring.
"""),
    Starter("Sluttet eller byttet stilling: hva skjer med tilgangene", "onboarding", ("slutte", "tilgang", "konto", "leder"), """
- Leder melder fra om siste arbeidsdag. Kontoen stenges samme kveld.
- Flytt filer du eller kollegene trenger videre fra OneDrive til enhetens Teams eller SharePoint **før** siste dag.
- Lever PC, mobil og adgangskort til leder.
- Bytter du stilling i kommunen, beholder du kontoen, men tilgangene følger stillingen. Ny leder bestiller det du trenger.
"""),
    Starter("Fellesområder: hvor skal filene ligge?", "files", ("fellesområde", "sharepoint", "onedrive", "filer", "teams"), """
| Hva | Hvor |
| --- | --- |
| Dine egne utkast | **OneDrive** |
| Dokumenter enheten deler | **Teams-kanal** eller **SharePoint** for enheten |
| Gamle felles filer | **G:-disken** (krever VPN hjemmefra), flyttes til SharePoint i løpet av året |
| Personopplysninger om brukere og pasienter | **Kun i fagsystemet** (Gerica, Visma Flyt), aldri i OneDrive eller Teams |

Filer i OneDrive og SharePoint har versjonshistorikk: høyreklikk → *Versjonslogg* hvis du har overskrevet noe.
"""),
    Starter("Finne igjen en slettet fil", "files", ("slettet", "gjenopprette", "onedrive", "papirkurv"), """
- **OneDrive og SharePoint**: Åpne nettsiden, velg *Papirkurv*. Slettede filer ligger der i 93 dager.
- **G:-disken**: Høyreklikk mappen → *Egenskaper* → *Tidligere versjoner*. Vi tar kopi hver natt.
- Finner du den ikke, meld en sak med filnavn, mappe og omtrent når den ble slettet.
"""),
    Starter("Phishing: kjenn igjen svindel-e-post", "security", ("phishing", "svindel", "nettfisk", "epost", "sikkerhet"), """
Svindlere later som de er leder, leverandør, banken eller IT-avdelingen. Se etter dette:

- **Hastverk og press**: «Betal i dag», «kontoen stenges om en time».
- **Avsenderadressen** stemmer ikke med navnet. Hold musa over navnet for å se adressen.
- **Lenker** som går til en annen adresse enn den de later som. Hold musa over lenken før du klikker.
- **Spørsmål om passord eller koder**. Vi spør aldri om det.

## Hva gjør jeg?
- Ikke klikk og ikke svar. Trykk **Rapporter** (eller *Rapporter phishing*) i Outlook.
- Har du klikket eller skrevet passordet: **bytt passord med en gang** og meld en sak med høy prioritet. Det er ingen skam – jo før vi vet det, jo mindre skade.
"""),
    Starter("Har du mistet mobil eller PC?", "security", ("mistet", "stjålet", "mobil", "pc", "sikkerhet"), """
Meld fra **med en gang**, også utenom arbeidstid: ring brukerstøtte eller meld en sak med høy prioritet.

Vi kan sperre og slette jobbdata på kommunens mobil og PC eksternt. Har du jobb-e-post på privat mobil, sletter vi bare jobbdataene.

Mistet adgangskort meldes til servicetorget, som sperrer kortet.
"""),
    Starter("Personopplysninger i e-post og Teams", "security", ("personvern", "personopplysninger", "epost", "teams"), """
E-post og Teams er ikke godkjent for sensitive personopplysninger (helse, barnevern, sosiale forhold).

- Bruk **fagsystemet** (Gerica, Visma Flyt Skole, Familia) for opplysninger om brukere og pasienter.
- Skal du sende noe sensitivt ut av kommunen, bruk **SvarUt** eller **sikker e-post**.
- Har du sendt noe til feil mottaker: be mottakeren slette det, og meld avvik i kvalitetssystemet.
"""),
    Starter("PC-en er treg", "hardware", ("pc", "treg", "oppdatering", "omstart"), """
1. **Start PC-en på nytt** – ikke bare lukk lokket. Windows trenger omstart for å fullføre oppdateringer.
2. Lukk faner og programmer du ikke bruker. Nettlesere med mange faner bruker mye minne.
3. Sjekk at du har nok plass: *Innstillinger → System → Lagring*.
4. Er PC-en over fem år gammel, kan leder bestille ny.

Meld en sak hvis den fortsatt er treg etter omstart, og skriv hva du holdt på med.
"""),
    Starter("Gerica: får ikke logget inn", "systems", ("gerica", "pålogging", "fagsystem"), """
Gerica krever at du er på kommunens nett eller koblet til **VPN**.

1. Sjekk VPN hvis du er hjemme.
2. Logg inn med samme brukernavn og passord som på PC-en.
3. Feilmeldingen *Bruker mangler rettigheter* betyr at tilgangen ikke er bestilt eller er utløpt. Be lederen din bestille den.

Spørsmål om **hvordan** du gjør noe i Gerica går til superbrukeren i enheten din. Feil i systemet meldes som sak.
""", systems=("gerica",)),
    Starter("Visma: lønnsslipp, reiseregning og fravær", "systems", ("visma", "lønnsslipp", "reiseregning", "fravær"), """
Du finner lønnsslipp, reiseregning og fraværsmelding i **Visma Enterprise** (selvbetjening).

- Lønnsslippen kommer også i **Digipost** eller **e-Boks** hvis du har valgt det.
- Reiseregning med kjøring: legg inn start- og sluttadresse, så regner Visma ut kilometer.
- Glemt passord til Visma: det er det samme som på PC-en. Har du nettopp byttet, vent 15 minutter.

Spørsmål om regler for lønn og reise går til lønningskontoret, ikke IT.
""", systems=("visma",)),
    Starter("Slik melder du en god sak til brukerstøtte", "other", ("sak", "brukerstøtte", "henvendelse"), """
Vi hjelper deg raskere når saken inneholder:

- **Hva** du prøvde å gjøre, og **hva som skjedde** (eksakt feilmelding – et skjermbilde er gull: **Windows + Shift + S**).
- **Hvor**: hvilken PC, skriver eller hvilket rom (klistremerket på utstyret).
- **Hvor mange** som er rammet, og om du kan jobbe i mellomtiden.

Søk gjerne i brukerhjelpen først – mange spørsmål er besvart her.
"""),
    Starter("Intern: tilbakestille MFA for en ansatt", "account", ("mfa", "tofaktor", "rutine"), """
For brukerstøtte. Bekreft identitet **før** tilbakestilling: ring tilbake til nummeret i HR-systemet, eller møt personen med legitimasjon.

1. Entra-portalen → *Brukere* → søk opp brukeren → *Godkjenningsmetoder*.
2. *Krev ny registrering av MFA*.
3. Be brukeren gå til aka.ms/mfasetup innen 24 timer.
4. Noter i saken hvordan identiteten ble bekreftet (ikke personnummer).
""", audience="agents"),
    Starter("Gran rådhus: skrivere og møterom", "printing", ("gran", "rådhus", "skriver", "møterom"), """
- Skrivere: 1. etasje ved servicetorget (GRA-PR-101), 2. etasje ved kantina (GRA-PR-212), 3. etasje ved trappa (GRA-PR-305). Alle er sikker utskrift.
- Møterommene *Brandbu* og *Jaren* har Teams-skjerm. Trykk *Bli med* på panelet på bordet.
- Feil på møteromsutstyret meldes som sak med romnavnet.
""", scope="GRA"),
    Starter("Reset your password", "account", ("password", "account"), """
Your password works for your PC, email, Teams and most business systems, and must be changed every 12 months.

1. Press **Ctrl + Alt + Delete** and choose **Change a password**.
2. Enter the old password, then the new one twice (at least 14 characters; a sentence of three or four words is easiest).
3. Lock the PC (**Windows + L**) and sign in again.

Forgot it? Go to **passord.hadeland.example** from your phone and choose *Forgot password*; you get a code by text message. We never ask for your password.
""", language="en"),
    Starter("Working from home with VPN", "remote", ("vpn", "home office"), """
Email, Teams, OneDrive and SharePoint work anywhere. Gerica, on-premises Visma and the old shared drives need **VPN**.

1. Click the shield icon in the taskbar.
2. Choose **Hadeland VPN** and *Connect*.
3. Approve on your phone.

Hotel and train networks sometimes block VPN: try sharing your phone's connection.
""", language="en"),
    Starter("Recognising phishing email", "security", ("phishing", "scam", "email", "security"), """
Watch for urgency, a sender address that does not match the name, links that lead somewhere else, and any request for passwords or codes. Do not click or reply: press **Report** in Outlook. If you clicked or typed your password, change it at once and file a high-priority case.
""", language="en"),
]

# A draft for the super-user to finish: the roster demo (app/demo/training.py) puts the demo
# trainer on the roster for Gerica, so she sees and edits it; other employees do not see it.
ARTICLES.append(Starter("Gerica: legge inn ny tiltaksplan", "systems", ("gerica", "tiltaksplan"), """
Utkast: superbrukeren for Gerica fyller ut stegene før artikkelen publiseres.

1. Åpne brukeren i Gerica og velg **Tiltak**.
2. Velg **Ny plan** ...
""", systems=("gerica",), status="draft"))


def load() -> int:
    """Create the starter articles that are not there yet; return how many were created."""
    actor = accounts_queries.user_by_email("andrelinje@ikt-hadeland.example") or system_user()
    created = 0
    for starter in ARTICLES:
        if queries.article_by_title(starter.title) is not None:
            continue
        services.create_article(
            title=starter.title, body=starter.body.strip() + "\n", category=starter.category,
            tags=list(starter.tags), systems=list(starter.systems), audience=starter.audience,
            scope=starter.scope, language=starter.language, status=starter.status, actor=actor,
        )
        created += 1
    return created
