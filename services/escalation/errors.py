"""Errors of escalation's service layer (the domain has its own, each with a Chinese message)."""


class ConflictError(Exception):
    """The incident (or item) changed while this change was being made: nothing was written."""


class RecordError(ValueError):
    """An officer's record that cannot be true (e.g. a call logged in the future): nothing was written."""
