"""The queue, its CSV export, one ticket's page, and the actions on a ticket (each one call into `Review`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from privacy_desk.attachments import PREVIEWABLE_TYPES, AttachmentFile, describe_limit
from privacy_desk.db import transaction
from privacy_desk.errors import N_, PrivacyDeskError, TicketNotFound
from privacy_desk.messages import Delivery
from privacy_desk.models import Message, Ticket
from privacy_desk.policy import Detail, RequestKind
from privacy_desk.replies import Purpose
from privacy_desk.staff import StaffAccounts
from privacy_desk.staff_plan import PLAIN_MOVES, DraftReply
from privacy_desk.status import ALLOWED_TRANSITIONS, FINISHED_STATUSES, TicketStatus
from privacy_desk.tickets import TicketService
from staff_web.access import Staff, staff_page
from staff_web.queue import PAGE_SIZE, QueueQuery, export_csv, is_overdue, page_count, queue_counts
from staff_web.web import Web, pack_text, translate_error

# Mail with no ticket that a person must see: what could not be read, and what was not answered automatically.
KEPT_FOR_STAFF = (Delivery.QUARANTINED, Delivery.HELD)

# Fixed confirmations after an action (a redirect carries the key, never free text).
DONE = {
    "identity": N_("Identity marked as confirmed."), "kind": N_("Request kind changed."),
    "kind-proposed": N_("Request kind changed. The customer's words (masked) are proposed as a training example; "
                        "nothing is trained on until a person accepts it."),
    "assign": N_("Assignment saved."), "note": N_("Note added."), "status": N_("Status changed."),
    "reply": N_("Reply queued for sending."),
    "reply-unsent": N_("Status changed. The ticket has no email address: tell the customer another way."),
}

T = TypeVar("T")

# An action: (reference, staff, form) -> the DONE key, or None for the action's own name.
Action = Callable[[str, Staff, FormData], str | None]


class TicketPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        review = self.web.review
        return [
            Route("/", staff_page(self.home)),
            Route("/tickets", staff_page(self.queue)),
            Route("/tickets.csv", staff_page(self.export)),
            Route("/tickets/{reference}", staff_page(self.ticket)),
            self._action("identity", lambda ref, staff, form: review.confirm_identity(ref, staff.username)),
            self._action("kind", self._change_kind),
            self._action("assign", lambda ref, staff, form: review.assign(ref, str(form.get("assignee") or ""),
                                                                          staff.username)),
            self._action("note", lambda ref, staff, form: review.add_note(ref, str(form.get("text") or ""),
                                                                          staff.username)),
            self._action("status", lambda ref, staff, form: review.move(ref, TicketStatus(str(form["status"])),
                                                                        staff.username)),
            Route("/tickets/{reference}/reply/preview", staff_page(self.reply_preview), methods=["POST"]),
            Route("/tickets/{reference}/reply/send", staff_page(self.send_reply), methods=["POST"]),
        ]

    def home(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        return RedirectResponse("/tickets", status_code=303)

    def queue(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        query = QueueQuery.from_params(request.query_params)  # BadFilter: 400, see app.py
        today = self.web.today()
        with self.web.sessions() as session:
            tickets = TicketService(session, self.web.pack)
            where = query.ticket_filter(today)
            total = tickets.count_tickets(where)
            rows = tickets.list_tickets(where, limit=PAGE_SIZE, offset=(query.page - 1) * PAGE_SIZE)
            counts = queue_counts(tickets.status_counts(today))
            kept = session.scalar(select(Message.id).where(
                Message.delivery_state.in_(KEPT_FOR_STAFF)).limit(1)) is not None
            return self.web.page(request, "queue.html", {
                "staff": staff, "query": query, "tickets": rows, "total": total, "pages": page_count(total),
                "today": today, "overdue": {t.id for t in rows if is_overdue(t, today)},
                "statuses": list(TicketStatus), "kinds": list(self.web.pack.requests), "quarantined": kept,
                "counts": counts})

    def export(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        query = QueueQuery.from_params(request.query_params)
        today = self.web.today()
        with transaction(self.web.sessions) as session:
            tickets = TicketService(session, self.web.pack, self.web.clock)
            where = query.ticket_filter(today)
            rows = tickets.list_tickets(where, limit=tickets.count_tickets(where) or 1)
            body = export_csv(rows, today)
            # An export carries personal data out of the app: who took what is on record.
            # The filter, but not a searched email address: the audit log holds no personal values.
            tickets.record_event(None, staff.username, "exported", {
                "tickets": len(rows), "filter": query.params(page=1, q=""), "searched": bool(query.search)})
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="privacy-desk-tickets-{today.isoformat()}.csv"'})

    def ticket(self, request: Request, staff: Staff, form: FormData | None, *, problem: str | None = None,
               status_code: int = 200) -> Response:
        reference = request.path_params["reference"]
        pack = self.web.pack
        locale = self.web.locale(request, staff.locale)
        gettext = self.web.gettext(locale)
        done = DONE.get(request.query_params.get("done") or "")
        with self.web.sessions() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.reference == reference.upper()).options(
                selectinload(Ticket.messages).selectinload(Message.attachments), selectinload(Ticket.events)))
            if ticket is None:
                return PlainTextResponse(gettext(N_("No ticket {reference}.")).format(reference=reference),
                                         status_code=404)
            status = TicketStatus(ticket.status)
            rule = pack.requests.get(RequestKind(ticket.kind))
            missing = TicketService(session, pack).missing_details(ticket) if rule else []
            today = self.web.today()
            return self.web.page(request, "ticket.html", {
                "staff": staff, "ticket": ticket, "today": today, "overdue": is_overdue(ticket, today),
                "finished": status in FINISHED_STATUSES, "rule": rule, "missing": [d.value for d in missing],
                "details": list(Detail), "kinds": list(pack.requests),
                "grounds": [(g.id, pack_text(g.reason, locale)) for g in rule.refusal_grounds] if rule else [],
                "moves": sorted(s.value for s in ALLOWED_TRANSITIONS[status] if s in PLAIN_MOVES),
                "staff_accounts": [u.username for u in StaffAccounts(session).all() if u.active],
                "done": gettext(done) if done else None, "problem": problem,
                "previewable": PREVIEWABLE_TYPES,
            }, status_code)

    def reply_preview(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        reference = request.path_params["reference"]
        assert form is not None
        refused = self._refused(request, staff, lambda: self.web.review.preview(reference, _draft(form)))
        if isinstance(refused, Response):
            return refused
        return self._reply_page(request, staff, reference, _draft(form), refused.subject or "", refused.body)

    def send_reply(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        """Queue the reply with staff's files. A refusal shows the reply again as staff wrote it, with the reason."""
        reference = request.path_params["reference"]
        assert form is not None
        gettext = self.web.gettext(self.web.locale(request, staff.locale))
        try:
            draft = _draft(form)
        except (ValueError, KeyError):
            return self.ticket(request, staff, None, problem=gettext(N_("The form was incomplete.")),
                               status_code=400)
        subject, body = str(form.get("subject") or ""), str(form.get("body") or "")
        files = uploaded_files(form, self.web.review.attachment_limits.max_bytes)
        try:
            sent = self.web.review.send(reference, draft, subject, body, staff.username, files)
        except TicketNotFound as exc:
            return PlainTextResponse(translate_error(exc, gettext), status_code=404)
        except PrivacyDeskError as exc:
            problem = translate_error(exc, gettext)
            if files:  # a browser does not keep chosen files across a page
                problem = gettext(N_("{problem}. Choose the files again before sending.")).format(problem=problem)
            return self._reply_page(request, staff, reference, draft, subject, body, problem, 409)
        done = "reply" if sent is not None else "reply-unsent"
        return RedirectResponse(f"/tickets/{reference}?done={done}", status_code=303)

    def _reply_page(self, request: Request, staff: Staff, reference: str, draft: DraftReply, subject: str,
                    body: str, problem: str | None = None, status_code: int = 200) -> Response:
        with self.web.sessions() as session:
            recipient = TicketService(session, self.web.pack).get(reference).email
        limits = self.web.review.attachment_limits
        return self.web.page(request, "reply.html", {
            "staff": staff, "reference": reference, "draft": draft, "subject": subject, "body": body,
            "recipient": recipient, "problem": problem, "max_file": describe_limit(limits.max_bytes),
            "max_mail": describe_limit(limits.mail_max_bytes)}, status_code)

    def _change_kind(self, reference: str, staff: Staff, form: FormData) -> str:
        proposal = self.web.review.change_kind(reference, RequestKind(str(form["kind"])), staff.username)
        return "kind-proposed" if proposal is not None else "kind"

    def _action(self, name: str, run: Action) -> Route:
        """A POST on a ticket: do it, then show the ticket again (or the refusal, with nothing changed)."""
        def handler(request: Request, staff: Staff, form: FormData | None) -> Response:
            reference = request.path_params["reference"]
            assert form is not None  # staff_page hands every POST its form
            done = self._refused(request, staff, lambda: run(reference, staff, form) or name)
            if isinstance(done, Response):
                return done
            return RedirectResponse(f"/tickets/{reference}?done={done}", status_code=303)

        handler.__name__ = f"ticket_{name.replace('/', '_')}"
        return Route(f"/tickets/{{reference}}/{name}", staff_page(handler), methods=["POST"])

    def _refused(self, request: Request, staff: Staff, attempt: Callable[[], T]) -> T | Response:
        """Run a staff action; a refusal shows the ticket again with the reason (409), a bad form with 400."""
        gettext = self.web.gettext(self.web.locale(request, staff.locale))
        try:
            return attempt()
        except PrivacyDeskError as exc:  # refused by the state machine, the policy or the review rules
            return self.ticket(request, staff, None, problem=translate_error(exc, gettext), status_code=409)
        except (ValueError, KeyError):
            return self.ticket(request, staff, None, problem=gettext(N_("The form was incomplete.")),
                               status_code=400)


def uploaded_files(form: FormData, max_bytes: int) -> list[AttachmentFile]:
    """The files of a multipart form; each read to at most one byte over the limit, enough to refuse it."""
    files = []
    for item in form.getlist("attachment"):
        if isinstance(item, UploadFile) and (item.filename or item.size):
            item.file.seek(0)
            data = item.file.read(max_bytes + 1)
            files.append(AttachmentFile(item.filename, item.content_type or "application/octet-stream", data))
    return files


def _draft(form: FormData) -> DraftReply:
    return DraftReply(purpose=Purpose(str(form["purpose"])), ground=str(form.get("ground") or "") or None,
                      details=tuple(Detail(str(d)) for d in form.getlist("detail")),
                      message=str(form.get("message") or "") or None)
