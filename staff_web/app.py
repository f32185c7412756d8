"""The staff review app: sign in, the queue, one ticket's page and its actions, mail kept for staff, accounts.

Pages are rendered on the server (Jinja2, autoescaped: customer text is always shown as text). Every route but
/login, /health and /static requires a signed-in member of staff (see access.py); every action is one call into
privacy_desk.review, which plans the action and applies the plan: the change, its audit event and any reply for
the outbox commit together. The routes live by subject in signin.py, ticket_pages.py and admin_pages.py.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from privacy_desk.errors import N_
from privacy_desk.messages import Clock, utcnow
from privacy_desk.policy import PolicyPack
from privacy_desk.review import Review
from staff_web.access import SESSION_COOKIE, current_staff
from staff_web.account_pages import AccountPages
from staff_web.admin_pages import AdminPages
from staff_web.attachment_pages import AttachmentPages
from staff_web.i18n import chosen_locale, translations
from staff_web.queue import BadFilter
from staff_web.signin import SignInPages
from staff_web.ticket_pages import TicketPages
from staff_web.web import HERE, Web

log = logging.getLogger("privacy_desk.web")


def create_app(sessions: sessionmaker[Session], pack: PolicyPack, review: Review, clock: Clock = utcnow) -> Starlette:
    web = Web.build(sessions, pack, review, clock)
    routes = [*SignInPages(web).routes(), *AccountPages(web).routes(), *TicketPages(web).routes(),
              *AttachmentPages(web).routes(), *AdminPages(web).routes(),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    app = Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=_guard_and_log)],
                    exception_handlers={BadFilter: _bad_filter})
    app.state.sessions = sessions
    return app


async def _guard_and_log(request: Request, call_next: RequestResponseEndpoint) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    # Pages show personal data: not cached, not framed, no scripts or styles from anywhere else.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # A route may set a stricter policy of its own (a file download: nothing at all).
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; script-src 'self'; "
                                "style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    # The path only (a reference at most), never the query string, which may hold a searched email address.
    log.info("%s %s %s %.0f ms", request.method, request.url.path, response.status_code,
             (time.perf_counter() - started) * 1000)
    return response


async def _bad_filter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadFilter)
    # In the member's language: the handler runs outside staff_page, so it looks the member up itself.
    staff = await run_in_threadpool(current_staff, request.app.state.sessions, request.cookies.get(SESSION_COOKIE))
    locale = chosen_locale(staff.locale if staff else None, request.headers.get("accept-language"))
    gettext = translations(locale).gettext
    problem = gettext(exc.message).format(**exc.params)
    return PlainTextResponse(gettext(N_("Bad filter: {problem}")).format(problem=problem), status_code=400)
