"""Shared API plumbing: bearer tokens, JSON errors, cursors and the OpenAPI document's parts.

Routes live in each domain's ``api.py`` (``app/tickets/api.py``, ``app/accounts/api.py``).
"""
