"""The outbox: the one table through which mail and SMS leave Samdesk, and its worker."""
