"""Who may see what: every staff page goes through `staff_page`, which signs the request in from its session
cookie, refuses anonymous requests, checks the CSRF token of every form, and runs the page's (synchronous,
database-using) handler in a worker thread so the event loop never waits on the database."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from privacy_desk.db import transaction
from privacy_desk.errors import N_
from privacy_desk.staff import SESSION_LIFETIME, Role, StaffAccounts
from staff_web.i18n import chosen_locale, translations

SESSION_COOKIE = "pd_staff"
LOGIN_COOKIE = "pd_login"  # the CSRF token of the sign-in form, before there is a session


@dataclass(frozen=True)
class Staff:
    """The signed-in member of staff, as a page sees them."""

    username: str
    display_name: str
    role: str
    csrf_token: str
    locale: str | None = None  # the member's chosen language; None: the browser's

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


Handler = Callable[[Request, Staff, FormData | None], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


def current_staff(sessions: sessionmaker[Session], token: str | None) -> Staff | None:
    with transaction(sessions) as session:
        row = StaffAccounts(session).session_for(token)
        if row is None:
            return None
        return Staff(row.staff.username, row.staff.display_name, row.staff.role, row.csrf_token, row.staff.locale)


def same_token(given: object, expected: str | None) -> bool:
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(given, expected or "")


def staff_page(handler: Handler, *, admin: bool = False) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        return await run_in_threadpool(_guarded, request, form)

    def _guarded(request: Request, form: FormData | None) -> Response:
        staff = current_staff(request.app.state.sessions, request.cookies.get(SESSION_COOKIE))
        accept_language = request.headers.get("accept-language")
        if staff is None:
            if request.method == "GET":
                return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            return refusal(N_("Sign in first."), chosen_locale(None, accept_language), 401)
        locale = chosen_locale(staff.locale, accept_language)
        if admin and not staff.is_admin:
            return refusal(N_("Only an admin may do this."), locale, 403)
        if form is not None and not same_token(form.get("csrf_token"), staff.csrf_token):
            return refusal(N_("The form's security token is missing or out of date: reload the page and try "
                             "again."), locale, 403)
        return handler(request, staff, form)

    endpoint.__name__ = handler.__name__
    return endpoint


def refusal(message: str, locale: str, status_code: int) -> Response:
    """A refused request, in plain text in the reader's language (message: an English msgid)."""
    return PlainTextResponse(translations(locale).gettext(message), status_code=status_code,
                             headers={"Content-Language": locale})


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another origin."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/tickets"
