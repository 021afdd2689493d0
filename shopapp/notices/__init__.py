"""Notices: e-mails and SMS to residents, shops and the venue, each sent once per (event, recipient, channel)."""
