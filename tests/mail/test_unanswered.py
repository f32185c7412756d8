"""No customer left unanswered, no mail of our own answered (Dovecot, the poller, the real Rasa server, aiosmtpd).

- a request written only in the subject is handled as if the words were in the body;
- mail from our own addresses (MAIL_FROM, MAIL_ALIASES, the pack's contact address), or our own mail come back
  with nothing new, is never answered: it is kept, on its ticket where it has one;
- every other mail that is not answered is kept for staff with the reason, whatever its size.
"""

from __future__ import annotations

import time
from email.utils import make_msgid

import pytest

from privacy_desk.policy import load_pack
from tests.mail.builders import encoded_word, mail
from tests.mail.test_mail_flow import ALIAS, SUPPORT, MailDesk, customer, desk, ticket_of  # noqa: F401 (fixture)

pytestmark = pytest.mark.rasa
CONTACT = load_pack("itosoft").company.email  # support@itosoft.com, the policy's own contact address


def no_mail_to(desk: MailDesk, address: str, wait: float = 1.5) -> bool:  # noqa: F811
    time.sleep(wait)
    with desk.smtp.mailbox.lock:
        return not [m for m in desk.smtp.mailbox.messages if address in str(m["To"])]


@pytest.mark.parametrize(("subject", "body", "kind"), [
    ("Please delete my personal data", "", "deletion"),
    ("Please delete my personal data", "Sent from my iPhone", "deletion"),
    ("Unsubscribe me from your newsletters", "Hi,\n\nThanks,\nHanako Suzuki", "marketing_optout"),
    ("Send me a copy of the personal data you hold about me",
     "On Mon, 23 Nov 2026 at 09:00, Hanako <hanako@example.jp> wrote:\n> old draft\n> of something", "disclosure"),
    (encoded_word("個人情報を削除してください"), "", "deletion"),
    (encoded_word("個人情報の削除のお願い"), "お世話になっております。\nよろしくお願いいたします。\n山田", "deletion"),
], ids=["empty", "phone-footer", "greeting-and-signature", "quoted-only", "ja-empty", "ja-greeting-and-name"])
def test_a_request_in_the_subject_alone(desk: MailDesk, subject: str, body: str, kind: str) -> None:  # noqa: F811
    address = customer()
    desk.send(mail(body.encode(), sender=f"Hanako Suzuki <{address}>", subject=subject,
                   message_id=make_msgid(domain="example.jp")))
    ticket = ticket_of(desk, address)
    assert ticket.kind == kind
    (reply,) = desk.mail_to(address)
    assert ticket.reference in reply["Subject"]


@pytest.mark.parametrize("sender", [CONTACT, SUPPORT, ALIAS])
def test_mail_from_our_own_addresses_is_kept_never_answered(desk: MailDesk, sender: str) -> None:  # noqa: F811
    marker = f"own-{time.monotonic_ns()}"
    desk.send(mail(f"Please delete my personal data. {marker}".encode(), sender=f"Support <{sender}>",
                   subject="Please delete my personal data", message_id=make_msgid(domain="example.jp")))
    held = desk.held(marker)
    assert held.last_error == "sent from our own address" and held.ticket_id is None
    assert no_mail_to(desk, sender)
    assert not [t for t in desk.tickets() if t.email == sender]


def test_our_mail_come_back_empty_goes_on_its_ticket_unanswered(desk: MailDesk) -> None:  # noqa: F811
    address = customer()
    desk.send(mail(b"Please delete all my data.", sender=address, subject="delete",
                   message_id=make_msgid(domain="example.jp")))
    ticket = ticket_of(desk, address)
    (ours,) = desk.mail_to(address)
    before = len(ticket.messages)
    # The customer's mailer sends our mail back with nothing added (an empty reply, or a copy to the support box).
    for quoted in (b"", b"> " + ours.get_content().splitlines()[0].encode()):
        desk.send(mail(quoted, sender=address, subject=f"Re: {ours['Subject']}",
                       message_id=make_msgid(domain="example.jp"),
                       extra={"In-Reply-To": ours["Message-ID"], "References": ours["Message-ID"]}))
    desk.wait(lambda: len(ticket_of(desk, address).messages) >= before + 2, what="both copies on the ticket")
    kept = [e for e in ticket_of(desk, address).events if e.action == "mail_kept"]
    assert len(kept) == 2 and kept[0].details["reason"] == "our own mail come back with nothing new in it"
    time.sleep(1)
    assert len(desk.mail_to(address)) == 1  # no second reply


JA_QUOTE = "お世話になっております。\n御社製品の見積もりを50ライセンス分お願いできますでしょうか。"


@pytest.mark.parametrize(("subject", "body", "reason"), [
    ("Printer driver", "Hello, the printer driver from your download page crashes on Windows 11. Any fix?",
     "not a privacy matter"),
    (encoded_word("見積もりのお願い"), JA_QUOTE, "not a privacy matter"),
    ("Re:", "Hi,\n\nThanks,\nHanako Suzuki", "no text to act on"),
], ids=["en-out-of-scope", "ja-out-of-scope", "nothing-said"])
def test_unanswered_mail_is_kept_for_staff_with_the_reason(desk: MailDesk, subject: str, body: str,  # noqa: F811
                                                           reason: str) -> None:
    address = customer()
    desk.send(mail(body.encode(), sender=address, subject=subject, message_id=make_msgid(domain="example.jp")))
    held = desk.wait(lambda: next((m for m in desk.messages() if m.delivery_state == "held" and m.sender == address),
                                  None), what="the mail kept for staff")
    assert held.last_error == reason and held.body.strip() == body.strip()
    assert no_mail_to(desk, address)


def test_a_huge_mail_reaches_a_person(desk: MailDesk) -> None:  # noqa: F811
    address = customer()
    log = "".join(f"2026-11-23 09:{i % 60:02d}:00 ERROR sync worker {i}: timeout talking to db-{i % 7}\n"
                  for i in range(6000))
    body = f"Please delete my account and all my personal data.\n\nHere is the log you asked for:\n{log}"
    assert len(body) > 300_000
    desk.send(mail(body.encode(), sender=address, subject="My account", message_id=make_msgid(domain="example.jp")))

    def seen() -> object:
        ticket = next((t for t in desk.tickets() if t.email == address), None)
        if ticket is not None:
            return ticket.messages[0].body
        held = next((m for m in desk.messages() if m.sender == address and m.delivery_state == "held"), None)
        return held.body if held is not None else None

    kept = desk.wait(seen, timeout=120, what="the huge mail on a ticket or kept for staff")
    assert isinstance(kept, str) and kept.rstrip().endswith(log.rstrip().splitlines()[-1])  # kept whole
