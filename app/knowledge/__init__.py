"""Knowledge base (brukerhjelp): articles and categories that employees search before they file,
and that agents link to in answers, indexed with Whoosh. Built by a later issue."""
