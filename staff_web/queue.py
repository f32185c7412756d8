"""The queue's filters and the CSV export: pure functions from query parameters and tickets to what is shown."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from privacy_desk import decisions
from privacy_desk.errors import N_
from privacy_desk.messages import Channel
from privacy_desk.models import Ticket
from privacy_desk.policy import RequestKind
from privacy_desk.status import ACTIVE_STATUSES, TicketStatus
from privacy_desk.tickets import TicketFilter

PAGE_SIZE = 25
CHANNELS = (Channel.CHAT, Channel.EMAIL, Channel.STAFF)


class BadFilter(ValueError):
    """A query parameter names something that does not exist (message: a msgid, with its values apart)."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))


ANY_STATUS = "any"


@dataclass(frozen=True)
class QueueQuery:
    """What the queue shows. With no status chosen it shows the active tickets: the work still to do."""

    status: TicketStatus | None = None
    any_status: bool = False
    kind: RequestKind | None = None
    channel: str | None = None
    overdue: bool = False
    search: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueQuery:
        def choice(name: str, convert):  # type: ignore[no-untyped-def]
            raw = (params.get(name) or "").strip()
            if not raw:
                return None
            try:
                return convert(raw)
            except ValueError:
                raise BadFilter(N_("unknown {name} {value!r}"), name=name, value=raw) from None

        any_status = (params.get("status") or "").strip() == ANY_STATUS
        channel = choice("channel", str)
        if channel is not None and channel not in CHANNELS:
            raise BadFilter(N_("unknown {name} {value!r}"), name="channel", value=channel)
        page = choice("page", int) or 1
        return cls(status=None if any_status else choice("status", TicketStatus), any_status=any_status,
                   kind=choice("kind", RequestKind), channel=channel,
                   overdue=(params.get("overdue") or "") in {"1", "on", "true"},
                   search=(params.get("q") or "").strip()[:320], page=max(1, page))

    def ticket_filter(self, today: date) -> TicketFilter:
        return TicketFilter(status=self.status, kind=self.kind, channel=self.channel,
                            overdue_on=today if self.overdue else None, search=self.search or None,
                            active_only=self.status is None and not self.any_status and not self.search)

    def params(self, **changes: object) -> str:
        """The query string for this view with some values changed (pagination links, the export link)."""
        status = self.status.value if self.status else ANY_STATUS if self.any_status else ""
        values = {"status": status, "kind": self.kind.value if self.kind else "",
                  "channel": self.channel or "", "overdue": "1" if self.overdue else "", "q": self.search,
                  "page": str(self.page)}
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "1")})


@dataclass(frozen=True)
class QueueCounts:
    """The counts at the top of the queue: tickets per status (every status, zero included), and overdue."""

    by_status: tuple[tuple[TicketStatus, int], ...]
    overdue: int

    @property
    def active(self) -> int:
        return sum(n for status, n in self.by_status if status in ACTIVE_STATUSES)


def queue_counts(rows: Iterable[tuple[str, int, int]]) -> QueueCounts:
    """From (status, tickets, of which overdue) rows, one per status present: every status in lifecycle order."""
    found = {status: (count, overdue) for status, count, overdue in rows}
    return QueueCounts(tuple((s, int(found.get(s.value, (0, 0))[0])) for s in TicketStatus),
                       sum(int(overdue or 0) for _, overdue in found.values()))


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def is_overdue(ticket: Ticket, today: date) -> bool:
    return decisions.is_overdue(ticket.due_date, today, TicketStatus(ticket.status))


EXPORT_COLUMNS = ("reference", "kind", "status", "channel", "language", "created_at", "due_date", "overdue",
                  "identity_confirmed_at", "assignee", "name", "email", "phone", "company", "closed_at")


def csv_cell(value: object) -> str:
    """One cell, defused: a spreadsheet must not run a formula a customer typed as their name."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def export_csv(tickets: Iterable[Ticket], today: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for ticket in tickets:
        row = {column: getattr(ticket, column, None) for column in EXPORT_COLUMNS}
        row["overdue"] = "yes" if is_overdue(ticket, today) else "no"
        writer.writerow([csv_cell(row[column]) for column in EXPORT_COLUMNS])
    return out.getvalue()
