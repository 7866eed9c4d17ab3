"""Admin pages: municipalities, queues, users and roles, the access log."""
