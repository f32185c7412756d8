"""Which addresses and messages are the company's own, so that the desk never answers itself.

Our mail comes back in many ways: a forward or a copy to the support mailbox, a bounce quoting our reply, a reply
with nothing new in it. Answering any of them starts a loop.
"""

from __future__ import annotations

from collections.abc import Iterable

from privacy_desk.mail_out import is_our_message_id
from privacy_desk.policy import PolicyPack


def own_addresses(mail_from: str, aliases: Iterable[str], pack: PolicyPack) -> frozenset[str]:
    """Every address that is ours: MAIL_FROM, the aliases listed in MAIL_ALIASES and the pack's contact address."""
    found = {mail_from, *aliases}
    if pack.company.email:
        found.add(pack.company.email)
    return frozenset(a.strip().lower() for a in found if a and a.strip())


def answers_our_mail(message_ids: Iterable[str | None], mail_from: str) -> bool:
    """Whether a mail's In-Reply-To or References name a message we sent."""
    return any(i and is_our_message_id(i, mail_from) for i in message_ids)
