"""The audit log: who changed what outside a ticket's own history (users, roles, tokens,
municipalities, queues, settings, quarantined mail, dead letters, privacy runs)."""
