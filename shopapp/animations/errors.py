"""Animation-specific refusals (stable API codes)."""

from shopapp.errors import DomainError


class AlreadyRegistered(DomainError):
    status = 409
    code = "already_registered"


class AnimationClosed(DomainError):
    """Not open for registration: cancelled, not published, or already started."""

    status = 409
    code = "animation_closed"


class AnimationFull(DomainError):
    """Not enough seats left (walk-ins at the desk: no waitlist for people already there)."""

    status = 409
    code = "animation_full"
