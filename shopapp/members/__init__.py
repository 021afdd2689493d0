"""Membership of the tiers-lieu (La Halle Commune): who is a member, since when, with which consent."""
