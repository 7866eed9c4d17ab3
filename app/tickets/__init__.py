"""Tickets (saker): queues, the conversation, attachments, history and the access log."""
