"""The staff review app: sign in, the queue, one ticket's page and its actions, quarantined mail, accounts.

Pages are rendered on the server (Jinja2, autoescaped: customer text is always shown as text). Every route but
/login, /health and /static requires a signed-in member of staff (see access.py); every action is one call into
privacy_desk.review, which writes the change, its audit event and any reply for the outbox together.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from privacy_desk.db import transaction
from privacy_desk.errors import PrivacyDeskError
from privacy_desk.messages import Delivery, utcnow
from privacy_desk.models import Message, Ticket
from privacy_desk.policy import Detail, PolicyPack, RequestKind
from privacy_desk.replies import Purpose
from privacy_desk.review import Review
from privacy_desk.staff import StaffAccounts
from privacy_desk.staff_plan import DraftReply
from privacy_desk.status import ALLOWED_TRANSITIONS, FINISHED_STATUSES, TicketStatus
from privacy_desk.tickets import TicketService
from privacy_desk.workdays import local_date
from staff_web.access import LOGIN_COOKIE, SESSION_COOKIE, Staff, safe_next, same_token, set_session_cookie, staff_page
from staff_web.queue import PAGE_SIZE, BadFilter, QueueQuery, export_csv, is_overdue, page_count

HERE = Path(__file__).resolve().parent
# Mail with no ticket that a person must see: what could not be read, and what was not answered automatically.
KEPT_FOR_STAFF = (Delivery.QUARANTINED, Delivery.HELD)
log = logging.getLogger("privacy_desk.web")

# Fixed confirmations after an action (a redirect carries the key, never free text).
DONE = {
    "identity": "Identity marked as confirmed.", "kind": "Request kind changed.", "assign": "Assignment saved.",
    "note": "Note added.", "status": "Status changed.", "reply": "Reply queued for sending.",
    "reply-unsent": "Status changed. The ticket has no email address: tell the customer another way.",
}


def create_app(sessions: sessionmaker[Session], pack: PolicyPack, mail_from: str,
               review: Review | None = None) -> Starlette:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["when"] = _when
    review = review or Review(sessions, pack, mail_from)

    def _today() -> date:
        # Deadlines are business days of the company's calendar, so "today" is the company's date.
        return local_date(datetime.now(UTC), pack.calendar)

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        return templates.TemplateResponse(request, name, {"pack": pack, **context}, status_code=status_code)

    # -- signing in and out ------------------------------------------------------------------------------

    async def login(request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        return await run_in_threadpool(_login, request, form)

    def _login(request: Request, form: FormData | None) -> Response:
        target = safe_next(request.query_params.get("next") or (form.get("next") if form else None))  # type: ignore[arg-type]
        if form is None:
            return _login_page(request, target, None)
        if not same_token(form.get("csrf_token"), request.cookies.get(LOGIN_COOKIE)):
            return _login_page(request, target, "The sign-in form expired: please try again.", 403)
        with transaction(sessions) as session:
            result = StaffAccounts(session).sign_in(str(form.get("username") or ""), str(form.get("password") or ""))
        if result.token is None:
            return _login_page(request, target, result.problem, 401)
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, request, result.token)
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    def _login_page(request: Request, target: str, problem: str | None, status_code: int = 200) -> Response:
        token = secrets.token_urlsafe(32)
        response = page(request, "login.html", {"csrf_token": token, "next": target, "problem": problem,
                                                "staff": None}, status_code)
        response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/login")
        return response

    def logout(request: Request, staff: Staff, form: FormData | None) -> Response:
        with transaction(sessions) as session:
            StaffAccounts(session).sign_out(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- the queue ---------------------------------------------------------------------------------------

    def queue(request: Request, staff: Staff, form: FormData | None) -> Response:
        query = QueueQuery.from_params(request.query_params)  # BadFilter: 400, see bad_filter
        today = _today()
        with sessions() as session:
            tickets = TicketService(session, pack)
            where = query.ticket_filter(today)
            total = tickets.count_tickets(where)
            rows = tickets.list_tickets(where, limit=PAGE_SIZE, offset=(query.page - 1) * PAGE_SIZE)
            quarantined = session.scalar(select(Message.id).where(
                Message.delivery_state.in_(KEPT_FOR_STAFF)).limit(1)) is not None
            return page(request, "queue.html", {
                "staff": staff, "query": query, "tickets": rows, "total": total, "pages": page_count(total),
                "today": today, "overdue": {t.id for t in rows if is_overdue(t, today)},
                "statuses": list(TicketStatus), "kinds": list(pack.requests), "quarantined": quarantined})

    def export(request: Request, staff: Staff, form: FormData | None) -> Response:
        query = QueueQuery.from_params(request.query_params)  # BadFilter: 400, see bad_filter
        today = _today()
        with transaction(sessions) as session:
            tickets = TicketService(session, pack)
            where = query.ticket_filter(today)
            rows = tickets.list_tickets(where, limit=tickets.count_tickets(where) or 1)
            body = export_csv(rows, today)
            # An export carries personal data out of the app: who took what is on record.
            # The filter, but not a searched email address: the audit log holds no personal values.
            tickets.record_event(None, staff.username, "exported", {
                "tickets": len(rows), "filter": query.params(page=1, q=""), "searched": bool(query.search)})
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="privacy-desk-tickets-{today.isoformat()}.csv"'})

    # -- one ticket --------------------------------------------------------------------------------------

    def ticket_page(request: Request, staff: Staff, form: FormData | None, *, problem: str | None = None,
                    status_code: int = 200) -> Response:
        reference = request.path_params["reference"]
        with sessions() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.reference == reference.upper()).options(
                selectinload(Ticket.messages), selectinload(Ticket.events)))
            if ticket is None:
                return PlainTextResponse(f"No ticket {reference}.", status_code=404)
            tickets = TicketService(session, pack)
            kind = RequestKind(ticket.kind)
            rule = pack.requests.get(kind)
            return page(request, "ticket.html", {
                "staff": staff, "ticket": ticket, "today": _today(), "overdue": is_overdue(ticket, _today()),
                "finished": TicketStatus(ticket.status) in FINISHED_STATUSES,
                "rule": rule, "missing": [d.value for d in tickets.missing_details(ticket)] if rule else [],
                "details": list(Detail), "kinds": list(pack.requests),
                "grounds": [(g.id, g.reason.en) for g in rule.refusal_grounds] if rule else [],
                "moves": sorted(s.value for s in ALLOWED_TRANSITIONS[TicketStatus(ticket.status)]
                                if s in {TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
                "staff_accounts": [u.username for u in StaffAccounts(session).all() if u.active],
                "done": DONE.get(request.query_params.get("done") or ""), "problem": problem,
            }, status_code)

    def action(name: str, run) -> Route:  # type: ignore[no-untyped-def]
        """A POST on a ticket: do it, then show the ticket again (or the refusal, with nothing changed)."""
        def handler(request: Request, staff: Staff, form: FormData | None) -> Response:
            reference = request.path_params["reference"]
            try:
                done = run(reference, staff, form) or name
            except PrivacyDeskError as exc:  # refused by the state machine, the policy or the review rules
                return ticket_page(request, staff, None, problem=str(exc), status_code=409)
            except (ValueError, KeyError):
                return ticket_page(request, staff, None, problem="The form was incomplete.", status_code=400)
            return RedirectResponse(f"/tickets/{reference}?done={done}", status_code=303)

        handler.__name__ = f"ticket_{name}"
        return Route(f"/tickets/{{reference}}/{name}", staff_page(handler), methods=["POST"])

    def _draft(form: FormData) -> DraftReply:
        return DraftReply(purpose=Purpose(str(form["purpose"])), ground=str(form.get("ground") or "") or None,
                          details=tuple(Detail(str(d)) for d in form.getlist("detail")),
                          message=str(form.get("message") or "") or None)

    def reply_preview(request: Request, staff: Staff, form: FormData | None) -> Response:
        reference = request.path_params["reference"]
        assert form is not None
        try:
            draft = _draft(form)
            rendered = review.preview(reference, draft)
        except PrivacyDeskError as exc:
            return ticket_page(request, staff, None, problem=str(exc), status_code=409)
        except (ValueError, KeyError):
            return ticket_page(request, staff, None, problem="The form was incomplete.", status_code=400)
        with sessions() as session:
            recipient = TicketService(session, pack).get(reference).email
        return page(request, "reply.html", {"staff": staff, "reference": reference, "draft": draft,
                                            "subject": rendered.subject, "body": rendered.body,
                                            "recipient": recipient})

    def send_reply(reference: str, staff: Staff, form: FormData) -> str:
        sent = review.send(reference, _draft(form), str(form.get("subject") or ""), str(form.get("body") or ""),
                           staff.username)
        return "reply" if sent is not None else "reply-unsent"

    # -- quarantined mail and accounts -------------------------------------------------------------------

    def quarantine(request: Request, staff: Staff, form: FormData | None) -> Response:
        with sessions() as session:
            rows = list(session.scalars(select(Message).where(Message.delivery_state.in_(KEPT_FOR_STAFF))
                                        .order_by(Message.id.desc()).limit(100)))
            return page(request, "quarantine.html", {"staff": staff, "messages": rows})

    def accounts(request: Request, staff: Staff, form: FormData | None) -> Response:
        with sessions() as session:
            users = StaffAccounts(session).all()
            return page(request, "staff.html", {"staff": staff, "users": users, "now": utcnow()})

    def unlock(request: Request, staff: Staff, form: FormData | None) -> Response:
        try:
            with transaction(sessions) as session:
                StaffAccounts(session).unlock(request.path_params["username"], staff.username)
        except PrivacyDeskError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        return RedirectResponse("/staff", status_code=303)

    async def health(request: Request) -> Response:
        def check() -> bool:
            with sessions() as session:
                return session.execute(text("SELECT 1")).scalar() == 1
        try:
            ok = await run_in_threadpool(check)
        except Exception:  # a health check reports, it does not raise
            ok = False
        return JSONResponse({"status": "ok" if ok else "database unavailable"}, status_code=200 if ok else 503)

    routes = [
        Route("/health", health),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", staff_page(logout), methods=["POST"]),
        Route("/", staff_page(lambda r, s, f: RedirectResponse("/tickets", status_code=303))),
        Route("/tickets", staff_page(queue)),
        Route("/tickets.csv", staff_page(export)),
        Route("/tickets/{reference}", staff_page(ticket_page)),
        action("identity", lambda ref, staff, form: review.confirm_identity(ref, staff.username)),
        action("kind", lambda ref, staff, form: review.change_kind(ref, RequestKind(form["kind"]), staff.username)),
        action("assign", lambda ref, staff, form: review.assign(ref, str(form.get("assignee") or ""),
                                                                staff.username)),
        action("note", lambda ref, staff, form: review.add_note(ref, str(form.get("text") or ""), staff.username)),
        action("status", lambda ref, staff, form: review.move(ref, TicketStatus(form["status"]), staff.username)),
        Route("/tickets/{reference}/reply/preview", staff_page(reply_preview), methods=["POST"]),
        action("reply/send", send_reply),
        Route("/quarantine", staff_page(quarantine)),
        Route("/staff", staff_page(accounts, admin=True)),
        Route("/staff/{username}/unlock", staff_page(unlock, admin=True), methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
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
    response.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                                   "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    # The path only (a reference at most), never the query string, which may hold a searched email address.
    log.info("%s %s %s %.0f ms", request.method, request.url.path, response.status_code,
             (time.perf_counter() - started) * 1000)
    return response


async def _bad_filter(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"Bad filter: {exc}", status_code=400)




def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()
