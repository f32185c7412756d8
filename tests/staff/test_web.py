"""The staff app over HTTP: access control, CSRF, each action and its audit event, the queue, export, escaping."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from privacy_desk.desk import Desk
from privacy_desk.languages import Language
from privacy_desk.messages import Channel, IncomingMessage
from privacy_desk.models import Event, Message, Ticket
from privacy_desk.policy import RequestKind
from privacy_desk.replies import Purpose
from privacy_desk.review import Review
from privacy_desk.settings import PROJECT_ROOT
from privacy_desk.staff import MAX_FAILED_SIGN_INS
from privacy_desk.staff_plan import DraftReply
from privacy_desk.status import TicketStatus
from tests.staff.conftest import MAIL_FROM, PACK, PASSWORD, form_token, open_request
from tests.support.clock import Clock

SignedIn = Callable[..., TestClient]
PUBLIC = {"/login", "/health"}


def events(sessions: sessionmaker[Session], action: str) -> list[Event]:
    with sessions() as session:
        return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def status_of(sessions: sessionmaker[Session], reference: str) -> str:
    with sessions() as session:
        return session.scalar(select(Ticket.status).where(Ticket.reference == reference)) or ""


# -- access ------------------------------------------------------------------------------------------------

def test_every_route_but_login_and_health_refuses_anonymous_requests(app: Starlette, client: TestClient,
                                                                     sessions: sessionmaker[Session]) -> None:
    reference = open_request(sessions)
    checked = 0
    for route in app.routes:
        if not isinstance(route, Route) or route.path in PUBLIC:
            continue
        path = (route.path.replace("{reference}", reference).replace("{username}", "alice")
                .replace("{attachment_id:int}", "1"))
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            response = client.request(method, path, follow_redirects=False)
            checked += 1
            if method == "GET":
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/login"), path
            else:
                assert response.status_code == 401, f"{method} {path}"
    assert checked >= 15
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/static/staff.css").status_code == 200
    assert client.get(f"/tickets/{reference}", follow_redirects=True).url.path == "/login"


def test_sign_in_cookie_flags_and_sign_out_ends_the_session(app: Starlette, sessions: sessionmaker[Session]) -> None:
    with TestClient(app) as client:
        token = form_token(client.get("/login").text)
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token,
                                               "next": "/tickets?status=open"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/tickets?status=open"
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("pd_staff="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        session_token = client.cookies["pd_staff"]
        page = client.get("/tickets")
        assert page.status_code == 200 and "Alice" in page.text
        logout = client.post("/logout", data={"csrf_token": form_token(page.text)}, follow_redirects=False)
        assert logout.status_code == 303 and logout.headers["location"] == "/login"
    # The old cookie is worthless once signed out, even replayed by hand.
    with TestClient(app, cookies={"pd_staff": session_token}) as replay:
        assert replay.get("/tickets", follow_redirects=False).status_code == 303
    assert [e.actor for e in events(sessions, "signed_out")] == ["alice"]


def test_cookie_is_secure_over_https(app: Starlette) -> None:
    with TestClient(app, base_url="https://staff.example.com") as client:
        token = form_token(client.get("/login").text)
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False)
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("pd_staff="))
        assert "Secure" in cookie


def test_offsite_next_is_ignored(app: Starlette) -> None:
    with TestClient(app) as client:
        token = form_token(client.get("/login").text)
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token,
                                               "next": "//evil.example.com/"}, follow_redirects=False)
        assert response.headers["location"] == "/tickets"


def test_lockout_after_repeated_failed_sign_ins(app: Starlette, sessions: sessionmaker[Session]) -> None:
    with TestClient(app) as client:
        for _ in range(MAX_FAILED_SIGN_INS):
            token = form_token(client.get("/login").text)
            wrong = client.post("/login", data={"username": "bob", "password": "guess guess guess",
                                                "csrf_token": token})
            assert wrong.status_code == 401
        token = form_token(client.get("/login").text)
        locked = client.post("/login", data={"username": "bob", "password": PASSWORD, "csrf_token": token})
        assert locked.status_code == 401 and "locked" in locked.text
        assert "pd_staff" not in client.cookies
    assert [e.actor for e in events(sessions, "account_locked")] == ["bob"]


def test_sign_in_form_without_its_token_is_refused(app: Starlette) -> None:
    with TestClient(app) as client:
        client.get("/login")
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "forged"})
        assert response.status_code == 403 and "pd_staff" not in client.cookies


def test_forms_without_the_csrf_token_are_refused(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    reference = open_request(sessions)
    client = signed_in("alice")
    for data in ({}, {"csrf_token": "not-the-token"}):
        response = client.post(f"/tickets/{reference}/identity", data=data)
        assert response.status_code == 403 and "security token" in response.text
        response = client.post("/logout", data=data)
        assert response.status_code == 403
    assert events(sessions, "identity_confirmed") == []
    assert client.get("/tickets").status_code == 200  # still signed in


def test_only_admins_see_accounts_and_unlock(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    bob = signed_in("bob")
    assert bob.get("/staff").status_code == 403
    alice = signed_in("alice")
    page = alice.get("/staff")
    assert page.status_code == 200 and "bob" in page.text
    response = alice.post("/staff/bob/unlock", data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert [e.actor for e in events(sessions, "staff_unlocked")] == ["alice"]


# -- actions -----------------------------------------------------------------------------------------------

def post(client: TestClient, path: str, data: dict, page: str) -> object:
    return client.post(path, data={"csrf_token": form_token(page), **data}, follow_redirects=False)


def test_confirm_identity_then_resolve_with_an_edited_reply(signed_in: SignedIn,
                                                            sessions: sessionmaker[Session]) -> None:
    reference = open_request(sessions)
    client = signed_in("bob")
    page = client.get(f"/tickets/{reference}").text
    assert "not confirmed" in page and "awaiting verification" in page
    done = post(client, f"/tickets/{reference}/identity", {}, page)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=identity")  # type: ignore[attr-defined]
    page = client.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert "Identity marked as confirmed." in page and status_of(sessions, reference) == "open"

    preview = client.post(f"/tickets/{reference}/reply/preview", data={
        "csrf_token": form_token(page), "purpose": "resolved", "message": "Your account is closed."})
    assert preview.status_code == 200
    body = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', preview.text, re.S)
    subject = re.search(r'name="subject" value="([^"]*)"', preview.text)
    assert body and subject and "Your account is closed." in body.group(1)
    sent = post(client, f"/tickets/{reference}/reply/send", {
        "purpose": "resolved", "message": "Your account is closed.", "subject": "All done",
        "body": "Dear Ms Suzuki,\n\nAll done.\n"}, preview.text)
    assert sent.status_code == 303  # type: ignore[attr-defined]
    assert status_of(sessions, reference) == "resolved"
    with sessions() as session:
        mail = session.scalar(select(Message).where(Message.purpose == "resolved"))
        assert mail is not None and mail.subject == f"[{reference}] All done"
        assert mail.body == "Dear Ms Suzuki,\n\nAll done.\n" and mail.delivery_state == "queued"
    [reply_event] = events(sessions, "staff_reply")
    assert reply_event.actor == "bob" and reply_event.details["edited"] is True
    assert [e.actor for e in events(sessions, "identity_confirmed")] == ["bob"]


@pytest.mark.parametrize(("action", "data", "event", "check"), [
    ("kind", {"kind": "disclosure"}, "kind_changed", lambda t: t.kind == "disclosure"),
    ("assign", {"assignee": "bob"}, "assigned", lambda t: t.assignee == "bob"),
    ("note", {"text": "Customer called back."}, "note", lambda t: True),
])
def test_each_simple_action_is_audited(signed_in: SignedIn, sessions: sessionmaker[Session], action: str,
                                       data: dict, event: str, check: Callable[[Ticket], bool]) -> None:
    reference = open_request(sessions, RequestKind.MARKETING_OPTOUT)
    client = signed_in("alice")
    page = client.get(f"/tickets/{reference}").text
    response = post(client, f"/tickets/{reference}/{action}", data, page)
    assert response.status_code == 303  # type: ignore[attr-defined]
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None and check(ticket)
    [recorded] = events(sessions, event)
    assert recorded.actor == "alice"
    assert event.replace("_", " ") in client.get(f"/tickets/{reference}").text


def test_reject_as_our_own_decision_when_no_ground_fits(signed_in: SignedIn,
                                                        sessions: sessionmaker[Session]) -> None:
    client = signed_in("alice")
    complaint = open_request(sessions, RequestKind.COMPLAINT)
    assert PACK.rule(RequestKind.COMPLAINT).refusal_grounds == []
    page = client.get(f"/tickets/{complaint}").text
    assert "our own decision (the policy gives no ground)" in page
    empty = client.post(f"/tickets/{complaint}/reply/preview", data={
        "csrf_token": form_token(page), "purpose": "rejected", "ground": ""})
    assert empty.status_code == 409 and "write the reason for our decision" in empty.text
    reason = "We found no record of the contact you describe."
    preview = client.post(f"/tickets/{complaint}/reply/preview", data={
        "csrf_token": form_token(page), "purpose": "rejected", "ground": "", "message": reason})
    assert preview.status_code == 200 and "This is our decision, for the following reason:" in preview.text
    body = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', preview.text, re.S).group(1)  # type: ignore[union-attr]
    assert reason in body and "section" not in body
    post(client, f"/tickets/{complaint}/reply/send", {"purpose": "rejected", "ground": "", "message": reason,
                                                      "subject": "", "body": body}, page)
    assert status_of(sessions, complaint) == "rejected"


def test_reject_with_a_ground_and_ask_for_details(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    client = signed_in("alice")
    disclosure = open_request(sessions, RequestKind.DISCLOSURE)
    ground = PACK.rule(RequestKind.DISCLOSURE).refusal_grounds[0]
    page = client.get(f"/tickets/{disclosure}").text
    assert f'value="{ground.id}"' in page
    preview = client.post(f"/tickets/{disclosure}/reply/preview", data={
        "csrf_token": form_token(page), "purpose": "rejected", "ground": ground.id})
    assert preview.status_code == 200 and "cannot carry it out" in preview.text
    body = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', preview.text, re.S).group(1)  # type: ignore[union-attr]
    post(client, f"/tickets/{disclosure}/reply/send", {"purpose": "rejected", "ground": ground.id,
                                                       "subject": "", "body": body}, page)
    assert status_of(sessions, disclosure) == "rejected"

    correction = open_request(sessions, RequestKind.CORRECTION)
    page = client.get(f"/tickets/{correction}").text
    preview = client.post(f"/tickets/{correction}/reply/preview", data={
        "csrf_token": form_token(page), "purpose": "ask_details", "detail": ["address", "member_number"]})
    assert "your postal address" in preview.text and "your membership number" in preview.text
    post(client, f"/tickets/{correction}/reply/send", {"purpose": "ask_details", "detail": ["address"],
                                                       "subject": "More details", "body": "Please send it."}, page)
    assert status_of(sessions, correction) == "awaiting_details"
    assert [e.details["fields"] for e in events(sessions, "details_requested")] == [["address"]]


def test_the_state_machine_refuses_with_a_clear_message(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    reference = open_request(sessions)
    client = signed_in("alice")
    page = client.get(f"/tickets/{reference}").text
    response = client.post(f"/tickets/{reference}/status", data={"csrf_token": form_token(page),
                                                                   "status": "closed"})
    assert response.status_code == 409
    assert "cannot move to closed" in response.text and status_of(sessions, reference) == "awaiting_verification"
    response = client.post(f"/tickets/{reference}/reply/send", data={
        "csrf_token": form_token(page), "purpose": "resolved", "subject": "x", "body": "Done."})
    assert response.status_code == 409 and status_of(sessions, reference) == "awaiting_verification"
    with sessions() as session:
        assert session.scalar(select(Message).where(Message.purpose == "resolved")) is None


# -- the queue, export, escaping ---------------------------------------------------------------------------

@pytest.fixture
def many_tickets(sessions: sessionmaker[Session]) -> list[str]:
    """30 tickets: 12 received 60 days ago (now overdue), 18 today; alternating channels."""
    past = Clock()
    past.now = datetime.now(UTC) - timedelta(days=60)
    references = []
    for i in range(30):
        clock = past if i < 12 else (lambda: datetime.now(UTC))
        desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM, clock=clock)
        kind = RequestKind.MARKETING_OPTOUT if i % 3 else RequestKind.COMPLAINT
        outcome = desk.open_request(kind=kind, details={"email": f"c{i}@example.jp", "name": f"Customer {i}"},
                                    channel=Channel.EMAIL if i % 2 else Channel.CHAT, language=Language.EN,
                                    actor="test")
        references.append(outcome.reference or "")
    return references


def queue_references(html: str) -> list[str]:
    return re.findall(r'<td><a href="/tickets/(PRQ-[0-9-]+)">', html)


def test_queue_filters_sorts_marks_overdue_and_paginates(signed_in: SignedIn, sessions: sessionmaker[Session],
                                                         many_tickets: list[str]) -> None:
    client = signed_in("bob")
    first = client.get("/tickets").text
    assert len(queue_references(first)) == 25 and 'rel="next"' in first
    second = client.get("/tickets?page=2").text
    assert len(queue_references(second)) == 5
    assert set(queue_references(first) + queue_references(second)) == set(many_tickets)
    # Sorted by due date: the overdue ones come first and stand out.
    shown = queue_references(first) + queue_references(second)
    with sessions() as session:
        due = {ref: day for ref, day in session.execute(select(Ticket.reference, Ticket.due_date))}
    assert [due[r] for r in shown] == sorted(due[r] for r in shown)
    assert set(shown[:12]) == set(many_tickets[:12])
    assert first.count('<tr class="overdue">') == 12 and first.count("badge\">overdue") == 12

    overdue = client.get("/tickets?overdue=1").text
    assert sorted(queue_references(overdue)) == many_tickets[:12]
    complaints = queue_references(client.get("/tickets?kind=complaint").text)
    assert complaints == [r for i, r in enumerate(many_tickets) if i % 3 == 0]
    chat = queue_references(client.get("/tickets?channel=chat&kind=complaint").text)
    assert chat == [r for i, r in enumerate(many_tickets) if i % 3 == 0 and i % 2 == 0]
    assert queue_references(client.get("/tickets?status=resolved").text) == []
    assert queue_references(client.get(f"/tickets?q={many_tickets[7].lower()}").text) == [many_tickets[7]]
    assert queue_references(client.get("/tickets?q=C21@Example.jp").text) == [many_tickets[21]]
    assert client.get("/tickets?status=bogus").status_code == 400


def test_export_is_the_filtered_queue_and_is_audited(signed_in: SignedIn, sessions: sessionmaker[Session],
                                                     many_tickets: list[str]) -> None:
    client = signed_in("alice")
    response = client.get("/tickets.csv?overdue=1")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["reference"] for r in rows) == many_tickets[:12]
    assert {r["overdue"] for r in rows} == {"yes"}
    assert {r["email"] for r in rows} == {f"c{i}@example.jp" for i in range(12)}
    [export] = events(sessions, "exported")
    assert export.actor == "alice" and export.details["tickets"] == 12 and export.details["filter"] == "overdue=1"
    signed_in("alice").get("/tickets.csv?q=c3@example.jp")
    searched = events(sessions, "exported")[-1]
    assert searched.details["searched"] is True and "c3@example.jp" not in str(searched.details)


def test_spreadsheet_formulas_in_customer_text_are_defused(signed_in: SignedIn,
                                                           sessions: sessionmaker[Session]) -> None:
    open_request(sessions, RequestKind.COMPLAINT, name="=HYPERLINK(\"http://evil\",\"x\")")
    rows = list(csv.DictReader(io.StringIO(signed_in("alice").get("/tickets.csv").text)))
    assert rows[0]["name"].startswith("'=HYPERLINK")


def test_customer_text_is_shown_escaped(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    desk = Desk(sessions, PACK, b"k" * 32, MAIL_FROM)
    script = "<script>alert(1)</script>"
    outcome = desk.open_request(
        kind=RequestKind.COMPLAINT, details={"email": "x@example.jp", "name": script}, channel=Channel.EMAIL,
        language=Language.EN, actor="mail",
        incoming=IncomingMessage(channel=Channel.EMAIL, body=f"Body {script}", language=Language.EN,
                                 sender="x@example.jp", subject=script, message_id="<xss@example.jp>"))
    client = signed_in("alice")
    page = client.get(f"/tickets/{outcome.reference}")
    assert "<script>alert(1)" not in page.text
    assert page.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # name, subject, body
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_japanese_ticket_shows_its_language(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    reference = open_request(sessions, RequestKind.MARKETING_OPTOUT, Language.JA, name="山田 太郎")
    page = signed_in("alice").get(f"/tickets/{reference}").text
    assert "Japanese (ja)" in page and 'lang="ja"' in page and "山田 太郎" in page


def test_logs_carry_no_personal_data(signed_in: SignedIn, sessions: sessionmaker[Session],
                                     caplog: pytest.LogCaptureFixture) -> None:
    reference = open_request(sessions)
    client = signed_in("alice")
    with caplog.at_level(logging.INFO, logger="privacy_desk.web"):
        client.get("/tickets?q=hanako@example.jp")
        client.get(f"/tickets/{reference}")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /tickets 200" in logged and reference in logged
    assert "hanako" not in logged.lower() and "Suzuki" not in logged


def test_staff_add_command(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "PRIVACY_DESK_DATA": str(tmp_path),
           "PRIVACY_DESK_ENV_FILE": str(tmp_path / "none.env")}
    cli = [sys.executable, "-m", "desk_app"]
    subprocess.run([*cli, "db", "migrate"], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    added = subprocess.run([*cli, "staff", "add", "carol", "--role", "admin", "--name", "Carol"], env=env,
                           cwd=PROJECT_ROOT, input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True)
    assert added.returncode == 0 and "added admin carol" in added.stdout, added.stderr
    weak = subprocess.run([*cli, "staff", "add", "dan"], env=env, cwd=PROJECT_ROOT, input="short\nshort\n",
                          capture_output=True, text=True)
    assert weak.returncode == 1 and "at least 12 characters" in weak.stderr
    listed = subprocess.run([*cli, "staff", "list"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert listed.stdout.split("\t")[:3] == ["carol", "admin", "active"]


def test_quarantined_mail_is_visible_to_staff(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    Desk(sessions, PACK, b"k" * 32, MAIL_FROM).quarantine(
        IncomingMessage(channel=Channel.EMAIL, body="Subject: =?bogus?Q?<b>x</b>?=\n\nbroken", language=Language.EN),
        "cannot parse: header Subject is not valid RFC 2047")
    client = signed_in("bob")
    assert "mail for staff" in client.get("/tickets").text
    page = client.get("/quarantine").text
    assert "header Subject is not valid RFC 2047" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "could not be read" in page


def test_mail_left_unanswered_is_visible_to_staff(signed_in: SignedIn, sessions: sessionmaker[Session]) -> None:
    client = signed_in("bob")
    assert "mail for staff" not in client.get("/tickets").text
    Desk(sessions, PACK, b"k" * 32, MAIL_FROM).hold_for_staff(
        IncomingMessage(channel=Channel.EMAIL, body="Can you fix my printer?", language=Language.EN,
                        subject="Printer"), "not a privacy matter", "mail")
    assert "mail for staff" in client.get("/tickets").text
    page = client.get("/quarantine").text
    assert "Can you fix my printer?" in page and "not a privacy matter" in page and "not answered" in page


def test_run_starts_the_staff_app() -> None:
    from desk_app.supervisor import planned_processes
    from privacy_desk.settings import Settings

    processes, _ = planned_processes(Settings.from_mapping({"WEB_PORT": "9191", "RASA_WORKERS": "1"}), "model.tar.gz")
    web = next(p for p in processes if p.name == "web")
    assert web.command[-3:] == ["web", "--port", "9191"]


def test_the_queue_shows_the_work_still_to_do_unless_asked_for_more(signed_in: SignedIn,
                                                                     sessions: sessionmaker[Session]) -> None:
    waiting = open_request(sessions, RequestKind.COMPLAINT)
    finished = open_request(sessions, RequestKind.COMPLAINT)
    Review(sessions, PACK, MAIL_FROM).move(finished, TicketStatus.IN_PROGRESS, "alice")
    Review(sessions, PACK, MAIL_FROM).send(finished, DraftReply(Purpose.RESOLVED), "Done", "Done.", "alice")
    client = signed_in("bob")
    assert queue_references(client.get("/tickets").text) == [waiting]
    assert sorted(queue_references(client.get("/tickets?status=any").text)) == sorted([waiting, finished])
    assert queue_references(client.get("/tickets?status=resolved").text) == [finished]
    assert queue_references(client.get(f"/tickets?q={finished}").text) == [finished]  # search finds it anyway
