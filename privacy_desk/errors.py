"""One small hierarchy of errors; the CLI turns each into one line and a non-zero exit."""


class PrivacyDeskError(Exception):
    """Base of every error privacy-desk reports to a user."""


class PolicyError(PrivacyDeskError):
    """A policy pack is missing, malformed, or lacks what was asked of it."""


class ConfigError(PrivacyDeskError):
    """A setting in the environment or .env is invalid."""


class IllegalTransition(PrivacyDeskError):
    """A ticket was asked to move to a status its current status does not allow."""


class TicketNotFound(PrivacyDeskError):
    """No ticket has the given reference."""


class TemplateError(PrivacyDeskError):
    """A reply template is unknown or could not be rendered."""


class ReviewRefused(PrivacyDeskError):
    """Staff asked for something the policy or the ticket's state does not allow; nothing was changed."""
