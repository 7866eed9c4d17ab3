"""Telephony: SMS and voice through Twilio (webhooks in, SMS out through the outbox).
Built by a later issue."""
