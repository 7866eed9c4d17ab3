"""Accounts: municipalities, users and their roles, API tokens, logging in."""
