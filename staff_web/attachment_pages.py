"""A ticket's files, for staff: downloaded as they came, but never rendered by the browser; images previewed only
as our own re-encode of their pixels. Every download and preview is on the ticket's audit trail (who, which file).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from privacy_desk.attachments import (
    PREVIEWABLE_TYPES,
    AttachmentStatus,
    content_disposition,
    download_type,
)
from privacy_desk.db import transaction
from privacy_desk.errors import N_
from privacy_desk.image_preview import NoPreview, preview_png
from privacy_desk.models import Attachment, Message, Ticket
from privacy_desk.tickets import add_event
from staff_web.access import Staff, refusal, staff_page
from staff_web.i18n import translations
from staff_web.web import Web

# A file's response runs nothing and loads nothing, even if a browser were talked into rendering it.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def file_headers(filename: str, disposition: str = "attachment") -> dict[str, str]:
    return {"Content-Disposition": content_disposition(filename, disposition), "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FILE_CSP, "Cache-Control": "no-store",
            "Cross-Origin-Resource-Policy": "same-origin"}


class AttachmentPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/tickets/{reference}/attachments/{attachment_id:int}", staff_page(self.download)),
            Route("/tickets/{reference}/attachments/{attachment_id:int}/preview", staff_page(self.preview)),
        ]

    def download(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        locale = self.web.locale(request, staff.locale)
        with transaction(self.web.sessions) as session:
            found = self._stored(session, request, locale)
            if isinstance(found, Response):
                return found
            attachment, ticket = found
            self._audit(session, ticket, staff, "attachment_downloaded", attachment)
            data, filename, content_type = attachment.data or b"", attachment.filename, attachment.content_type
        return Response(data, media_type=download_type(content_type), headers=file_headers(filename))

    def preview(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        locale = self.web.locale(request, staff.locale)
        with transaction(self.web.sessions) as session:
            found = self._stored(session, request, locale)
            if isinstance(found, Response):
                return found
            attachment, ticket = found
            if attachment.content_type not in PREVIEWABLE_TYPES:
                return refusal(N_("No preview for this kind of file: download it instead."), locale, 415)
            try:
                png = preview_png(attachment.data or b"")
            except NoPreview as exc:
                message = translations(locale).gettext(N_("No preview: {problem}. Download the file instead."))
                return PlainTextResponse(message.format(problem=exc), status_code=415)
            self._audit(session, ticket, staff, "attachment_previewed", attachment)
            stem = attachment.filename.rsplit(".", 1)[0] or "image"
        return Response(png, media_type="image/png", headers=file_headers(f"{stem}-preview.png", "inline"))

    def _stored(self, session: Session, request: Request, locale: str) -> tuple[Attachment, Ticket] | Response:
        """The file with this id on this ticket, with its bytes; a refused or unknown one is a clear 404."""
        reference = str(request.path_params["reference"]).upper()
        row = session.execute(
            select(Attachment, Ticket).join(Message, Attachment.message_id == Message.id)
            .join(Ticket, Message.ticket_id == Ticket.id)
            .where(Attachment.id == request.path_params["attachment_id"], Ticket.reference == reference)
            .options(undefer(Attachment.data))).first()
        if row is None:
            message = translations(locale).gettext(N_("No such file on {reference}."))
            return PlainTextResponse(message.format(reference=reference), status_code=404)
        attachment, ticket = row[0], row[1]
        if attachment.status != AttachmentStatus.STORED or attachment.data is None:
            return refusal(N_("This file was not accepted (over a size limit), so it was not kept."), locale, 404)
        return attachment, ticket

    def _audit(self, session: Session, ticket: Ticket, staff: Staff, action: str, attachment: Attachment) -> None:
        # The file's id only: its name may be personal data.
        add_event(session, ticket, staff.username, action, {"attachment": attachment.id}, self.web.clock())
