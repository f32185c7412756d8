"""What every staff page shares: the services, the templates, the company's today, and how a refusal is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from privacy_desk.messages import Clock
from privacy_desk.policy import PolicyPack
from privacy_desk.review import Review
from privacy_desk.workdays import local_date

HERE = Path(__file__).resolve().parent


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=HERE / "templates")
    found.env.filters["when"] = _when
    return found


@dataclass(frozen=True)
class Web:
    sessions: sessionmaker[Session]
    pack: PolicyPack
    review: Review
    templates: Jinja2Templates
    clock: Clock

    def today(self) -> date:
        # Deadlines are business days of the company's calendar, so "today" is the company's date.
        return local_date(self.clock(), self.pack.calendar)

    def page(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        return self.templates.TemplateResponse(request, name, {"pack": self.pack, **context},
                                               status_code=status_code)
