"""One small hierarchy of errors; the CLI turns each into one line and a non-zero exit."""


def N_(message: str) -> str:
    """Marks an English message for the staff app's catalogue (Babel extracts N_); it is translated where shown."""
    return message


class PrivacyDeskError(Exception):
    """Base of every error privacy-desk reports to a user.

    Raised as `SomeError(N_("{reference} is already {status}"), reference=..., status=...)`, it keeps the
    message and its values apart, so the staff app can show it in the member's language; str() is the English.
    """

    def __init__(self, message: str = "", **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params) if params else message)


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
