"""Membership of the venue's association (the tiers-lieu): who is a member, since when, with which consent."""
