"""Accounts: users, roles, sessions, password reset and API bearer tokens."""
