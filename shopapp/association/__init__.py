"""The merchants' association: shops joining, staff invitations, acting for a shop, nominations, settings."""
