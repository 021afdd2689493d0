"""Shared kernel: database base, money, outbox, state machines, mail, API helpers."""
