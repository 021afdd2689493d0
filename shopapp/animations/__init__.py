"""Animations at the venue (tastings, workshops…), linked to the pickup slots they overlap."""
