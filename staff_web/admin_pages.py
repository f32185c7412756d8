"""Mail kept for staff (unreadable, or not answered automatically), staff accounts, and the health check."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from privacy_desk.classify import BUSINESS_INTENTS
from privacy_desk.db import transaction
from privacy_desk.errors import N_, PrivacyDeskError
from privacy_desk.messages import Channel, Delivery
from privacy_desk.models import Message
from privacy_desk.staff import StaffAccounts
from staff_web.access import Staff, refusal, staff_page
from staff_web.ticket_pages import KEPT_FOR_STAFF
from staff_web.web import Web, translate_error


class AdminPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/health", self.health),
            Route("/quarantine", staff_page(self.kept_mail)),
            Route("/mail/{message_id}/misread", staff_page(self.misread), methods=["POST"]),
            Route("/staff", staff_page(self.accounts, admin=True)),
            Route("/staff/{username}/unlock", staff_page(self.unlock, admin=True), methods=["POST"]),
            Route("/staff/{username}/notifications", staff_page(self.notifications, admin=True), methods=["POST"]),
            Route("/account", staff_page(self.account), methods=["GET", "POST"]),
        ]

    def kept_mail(self, request: Request, staff: Staff, form: FormData | None, *, problem: str | None = None,
                  status_code: int = 200) -> Response:
        with self.web.sessions() as session:
            rows = list(session.scalars(select(Message).where(Message.delivery_state.in_(KEPT_FOR_STAFF))
                                        .order_by(Message.id.desc()).limit(100)
                                        .options(selectinload(Message.attachments))))
            # Questions answered by mail keep their message without a ticket: staff may say one was misread.
            answered = list(session.scalars(select(Message).where(
                Message.ticket_id.is_(None), Message.direction == "in", Message.channel == Channel.EMAIL,
                Message.delivery_state == Delivery.RECEIVED).order_by(Message.id.desc()).limit(50)))
            return self.web.page(request, "quarantine.html", {
                "staff": staff, "messages": rows, "answered": answered, "intents": sorted(BUSINESS_INTENTS),
                "done": request.query_params.get("done") == "misread", "problem": problem}, status_code)

    def misread(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        assert form is not None
        number = str(request.path_params["message_id"])
        if not number.isdigit():
            return refusal(N_("No such message."), self.web.locale(request, staff.locale), 404)
        try:
            self.web.review.mark_misread(int(number), str(form.get("intent") or ""), staff.username)
        except PrivacyDeskError as exc:
            return self.kept_mail(request, staff, None, problem=translate_error(exc, self._gettext(request, staff)),
                                  status_code=409)
        return RedirectResponse("/quarantine?done=misread", status_code=303)

    def accounts(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        with self.web.sessions() as session:
            users = StaffAccounts(session).all()
            return self.web.page(request, "staff.html", {"staff": staff, "users": users, "now": self.web.clock()})

    def unlock(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        try:
            with transaction(self.web.sessions) as session:
                StaffAccounts(session).unlock(request.path_params["username"], staff.username)
        except PrivacyDeskError as exc:
            gettext = self.web.gettext(self.web.locale(request, staff.locale))
            return PlainTextResponse(translate_error(exc, gettext), status_code=404)
        return RedirectResponse("/staff", status_code=303)

    def account(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        """A member's own staff-mail settings."""
        if form is not None:
            return self._save_notifications(request, staff, staff.username, form, "/account?done=1")
        return self._account_page(request, staff, staff.username)

    def notifications(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        """An admin sets another member's staff-mail settings."""
        assert form is not None
        return self._save_notifications(request, staff, request.path_params["username"], form, "/staff")

    def _save_notifications(self, request: Request, staff: Staff, username: str, form: FormData,
                            then: str) -> Response:
        try:
            with transaction(self.web.sessions) as session:
                # An unticked checkbox is absent from the form: absent means off.
                StaffAccounts(session).set_notifications(
                    username, staff.username, email=str(form.get("email") or ""),
                    wants_digest=form.get("digest") == "1", wants_new_ticket_notice=form.get("notice") == "1")
        except PrivacyDeskError as exc:  # a bad address: shown with the member's settings unchanged
            problem = translate_error(exc, self._gettext(request, staff))
            return self._account_page(request, staff, username, problem=problem, status_code=400)
        return RedirectResponse(then, status_code=303)

    def _account_page(self, request: Request, staff: Staff, username: str, *, problem: str | None = None,
                      status_code: int = 200) -> Response:
        with self.web.sessions() as session:
            member = StaffAccounts(session).find(username)
            if member is None:
                return PlainTextResponse(self._gettext(request, staff)(N_("No staff account {username}.")).format(
                    username=username), status_code=404)
            return self.web.page(request, "account.html", {
                "staff": staff, "member": member, "problem": problem,
                "done": request.query_params.get("done") == "1",
                "language_saved": request.query_params.get("saved") == "1"}, status_code)

    def _gettext(self, request: Request, staff: Staff) -> Callable[[str], str]:
        return self.web.gettext(self.web.locale(request, staff.locale))

    async def health(self, request: Request) -> Response:
        def check() -> bool:
            with self.web.sessions() as session:
                return session.execute(text("SELECT 1")).scalar() == 1
        try:
            ok = await run_in_threadpool(check)
        except Exception:  # a health check reports, it does not raise
            ok = False
        return JSONResponse({"status": "ok" if ok else "database unavailable"}, status_code=200 if ok else 503)
