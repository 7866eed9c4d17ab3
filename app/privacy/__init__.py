"""Personal data: retention and anonymisation, legal holds, a person's export and erasure, the
log filter that keeps personal data out of logs (docs/privacy.md)."""
