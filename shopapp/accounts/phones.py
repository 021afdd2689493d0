"""Mobile numbers: what a resident types, stored as E.164 (+33612345678) for the SMS notices."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-/()]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_FRENCH_NATIONAL = re.compile(r"^0([1-9]\d{8})$")


class InvalidPhone(ValueError):
    """Not a mobile number we can send an SMS to. `landline` tells a French landline from a malformed number."""

    def __init__(self, message: str, *, landline: bool = False) -> None:
        super().__init__(message)
        self.landline = landline


def normalise_phone(raw: str) -> str:
    """`06 12 34 56 78`, `06.12.34.56.78`, `+33 6 12 34 56 78` or `0033612345678` → `+33612345678`;
    any other international number in E.164 (`+44 7700 900123`) is kept as typed, without separators.

    French numbers must be mobiles (06 or 07): a landline cannot receive an SMS.
    :raise InvalidPhone: anything else.
    """
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    national = _FRENCH_NATIONAL.match(compact)
    if national:
        compact = "+33" + national.group(1)
    if not _E164.match(compact):
        raise InvalidPhone("Numéro de mobile invalide : écrivez-le comme 06 12 34 56 78 ou +33 6 12 34 56 78.")
    if compact.startswith("+33") and (len(compact) != 12 or compact[3] not in "67"):
        raise InvalidPhone("Indiquez un numéro de mobile (06 ou 07) : un fixe ne reçoit pas les SMS.", landline=True)
    return compact
