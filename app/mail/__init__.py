"""Inbound email: `mail ingest` (a mail server's pipe), `mail poll` (IMAP), and the quarantine."""
