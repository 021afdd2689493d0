"""The venue (tiers-lieu) where every order is collected: address, opening hours, closures."""
