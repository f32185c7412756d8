"""Signing in and out. The sign-in form carries its own CSRF token in a short-lived cookie."""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from privacy_desk.db import transaction
from privacy_desk.errors import N_
from privacy_desk.staff import LOCKOUT_MINUTES, StaffAccounts
from staff_web.access import LOGIN_COOKIE, SESSION_COOKIE, Staff, safe_next, same_token, set_session_cookie, staff_page
from staff_web.web import Web


class SignInPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        return [Route("/login", self.login, methods=["GET", "POST"]),
                Route("/logout", staff_page(self.logout), methods=["POST"])]

    async def login(self, request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        return await run_in_threadpool(self._login, request, form)

    def _login(self, request: Request, form: FormData | None) -> Response:
        target = safe_next(request.query_params.get("next") or (str(form.get("next") or "") if form else None))
        if form is None:
            return self._login_page(request, target, None)
        if not same_token(form.get("csrf_token"), request.cookies.get(LOGIN_COOKIE)):
            return self._login_page(request, target, N_("The sign-in form expired: please try again."), 403)
        with transaction(self.web.sessions) as session:
            result = StaffAccounts(session).sign_in(str(form.get("username") or ""), str(form.get("password") or ""))
        if result.token is None:
            return self._login_page(request, target, result.problem_msgid, 401)
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, request, result.token)
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    def _login_page(self, request: Request, target: str, problem: str | None, status_code: int = 200) -> Response:
        """The sign-in form, in the browser's language (nobody is signed in yet); problem: an English msgid."""
        token = secrets.token_urlsafe(32)
        gettext = self.web.gettext(self.web.locale(request, None))
        shown = None if problem is None else gettext(problem).format(minutes=LOCKOUT_MINUTES)
        response = self.web.page(request, "login.html", {"csrf_token": token, "next": target, "problem": shown,
                                                         "staff": None}, status_code)
        response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/login")
        return response

    def logout(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        with transaction(self.web.sessions) as session:
            StaffAccounts(session).sign_out(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
