"""Where the mail poller is in each mailbox, written in the same transaction as what the mail produced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from privacy_desk.models import MailboxState


@dataclass(frozen=True)
class MailboxPosition:
    mailbox: str
    uidvalidity: int
    uid: int


def load_position(session: Session, mailbox: str) -> MailboxState | None:
    return session.get(MailboxState, mailbox)


def record_position(session: Session, position: MailboxPosition, now: datetime) -> None:
    state = session.get(MailboxState, position.mailbox, with_for_update=True)
    if state is None:
        session.add(MailboxState(mailbox=position.mailbox, uidvalidity=position.uidvalidity, last_uid=position.uid,
                                 updated_at=now))
    elif state.uidvalidity != position.uidvalidity:
        state.uidvalidity, state.last_uid, state.updated_at = position.uidvalidity, position.uid, now
    elif position.uid > state.last_uid:
        state.last_uid, state.updated_at = position.uid, now
    session.flush()
