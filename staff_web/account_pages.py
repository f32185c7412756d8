"""A member's own account: the language the staff app speaks to them (or their browser's)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from privacy_desk.db import transaction
from privacy_desk.errors import N_
from privacy_desk.staff import STAFF_LOCALES, StaffAccounts
from staff_web.access import Staff, refusal, staff_page
from staff_web.web import Web

BROWSER = "browser"  # the form's value for "no choice: follow the browser" (account.html)


def chosen_language(value: str) -> str | None:
    """The form's choice as stored on the account; ValueError for anything else."""
    if value == BROWSER:
        return None
    if value in STAFF_LOCALES:
        return value
    raise ValueError(value)


class AccountPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        # The page itself (GET/POST /account, with the member's staff mail) is AdminPages.account.
        return [Route("/account/language", staff_page(self.set_language), methods=["POST"])]

    def set_language(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        assert form is not None  # staff_page hands every POST its form
        try:
            locale = chosen_language(str(form.get("locale") or ""))
        except ValueError:
            return refusal(N_("Choose one of the languages offered."), self.web.locale(request, staff.locale), 400)
        with transaction(self.web.sessions) as session:
            StaffAccounts(session).set_locale(staff.username, locale, staff.username)
        return RedirectResponse("/account?saved=1", status_code=303)
