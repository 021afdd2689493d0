"""SIRET numbers: 14 digits, checked by the Luhn key (with La Poste's documented exception)."""

from __future__ import annotations

# La Poste's establishments share the SIREN 356 000 000; their SIRET fail the Luhn key by design and
# are checked instead by the sum of their digits being a multiple of 5 (INSEE rule).
LA_POSTE_SIREN = "356000000"


def normalise_siret(value: str) -> str:
    """Drop the spaces, dots and dashes people type between digit groups."""
    return "".join(ch for ch in value if ch not in " .-\u00a0\u202f")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum over a string of digits (every second digit from the right doubled)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def is_valid_siret(value: str) -> bool:
    """True for 14 digits whose key is right (Luhn, or digit sum % 5 for La Poste)."""
    digits = normalise_siret(value)
    if len(digits) != 14 or not digits.isascii() or not digits.isdigit():
        return False
    if digits.startswith(LA_POSTE_SIREN):
        return sum(int(ch) for ch in digits) % 5 == 0
    return luhn_valid(digits)
