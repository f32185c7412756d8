"""What staff read for the codes the core stores (statuses, kinds, details, channels, replies, audit actions).

The English words are msgids of the staff app's catalogue (marked with N_ so Babel extracts them); a page
translates them when it shows them. A code with no label here (an audit action added later) is shown as its
code with spaces, never as an error.
"""

from __future__ import annotations

from collections.abc import Mapping

from privacy_desk.attachments import Refusal
from privacy_desk.errors import N_
from privacy_desk.messages import Channel, Delivery
from privacy_desk.policy import Detail, RequestKind
from privacy_desk.replies import Purpose
from privacy_desk.staff import Role
from privacy_desk.status import TicketStatus

STATUS: dict[str, str] = {
    TicketStatus.AWAITING_DETAILS: N_("awaiting details"),
    TicketStatus.AWAITING_VERIFICATION: N_("awaiting verification"),
    TicketStatus.OPEN: N_("open"),
    TicketStatus.IN_PROGRESS: N_("in progress"),
    TicketStatus.RESOLVED: N_("resolved"),
    TicketStatus.REJECTED: N_("rejected"),
    TicketStatus.CLOSED: N_("closed"),
}
KIND: dict[str, str] = {
    RequestKind.DISCLOSURE: N_("disclosure"),
    RequestKind.CORRECTION: N_("correction"),
    RequestKind.DELETION: N_("deletion"),
    RequestKind.DISCONTINUANCE: N_("discontinuance of use"),
    RequestKind.THIRD_PARTY_OPTOUT: N_("third-party sharing opt-out"),
    RequestKind.MARKETING_OPTOUT: N_("marketing opt-out"),
    RequestKind.COMPLAINT: N_("complaint"),
    RequestKind.INQUIRY: N_("inquiry"),
}
DETAIL: dict[str, str] = {
    Detail.NAME: N_("name"),
    Detail.EMAIL: N_("email address"),
    Detail.PHONE: N_("phone number"),
    Detail.COMPANY: N_("company"),
    Detail.DIVISION: N_("division"),
    Detail.MEMBER_NUMBER: N_("member number"),
    Detail.ADDRESS: N_("address"),
}
CHANNEL: dict[str, str] = {Channel.CHAT: N_("chat"), Channel.EMAIL: N_("email"), Channel.STAFF: N_("staff")}
PURPOSE: dict[str, str] = {
    Purpose.ASK_DETAILS: N_("asking for details"),
    Purpose.VERIFY_IDENTITY: N_("identity check"),
    Purpose.ACKNOWLEDGEMENT: N_("acknowledgement"),
    Purpose.ANSWER: N_("answer"),
    Purpose.RESOLVED: N_("resolution"),
    Purpose.REJECTED: N_("rejection"),
}
DELIVERY: dict[str, str] = {
    Delivery.RECEIVED: N_("received"),
    Delivery.QUEUED: N_("queued"),
    Delivery.SENT: N_("sent"),
    Delivery.FAILED: N_("failed"),
    Delivery.SHOWN: N_("shown"),
    Delivery.QUARANTINED: N_("could not be read"),
    Delivery.HELD: N_("not answered"),
}
# Why a file was not accepted (stored as the Refusal's value).
REFUSAL: dict[str, str] = {
    Refusal.FILE_TOO_LARGE: N_("larger than the per-file limit"),
    Refusal.MAIL_TOO_LARGE: N_("the mail's files together exceed the per-mail limit"),
}
ROLE: dict[str, str] = {Role.STAFF: N_("staff"), Role.ADMIN: N_("admin")}
LANGUAGE: dict[str, str] = {"en": N_("English (en)"), "ja": N_("Japanese (ja)")}
ACTION: dict[str, str] = {
    "opened": N_("opened"),
    "assigned": N_("assigned"),
    "details_added": N_("details added"),
    "details_requested": N_("details requested"),
    "identity_confirmed": N_("identity confirmed"),
    "kind_changed": N_("kind changed"),
    "note": N_("note"),
    "reply_not_sent": N_("reply not sent"),
    "reply_queued": N_("reply queued"),
    "reply_shown": N_("reply shown"),
    "staff_reply": N_("staff reply"),
    "status_changed": N_("status changed"),
    "verification_failed": N_("verification failed"),
    "verification_sent": N_("verification code sent"),
    "customer_replied": N_("customer replied"),
    "anonymised": N_("anonymised"),
    "exported": N_("exported"),
    "attachment_downloaded": N_("file downloaded"),
    "attachment_previewed": N_("file previewed"),
    "mail_kept": N_("mail kept for staff"),
}

# The audit trail's detail names, and which table words each one's values (lists: each item).
EVENT_DETAIL: dict[str, str] = {
    "channel": N_("channel"), "kind": N_("kind"), "status": N_("status"), "from": N_("from"), "to": N_("to"),
    "fields": N_("details"), "details_given": N_("details given"), "purpose": N_("reply"),
    "message": N_("message no."), "text": N_("text"), "ground": N_("ground"), "reason": N_("reason"),
    "attachment": N_("file no."), "attachments": N_("file nos."), "html_only": N_("HTML only"),
    "problems": N_("problems"), "intent": N_("classified as"), "confidence": N_("confidence"),
    "method": N_("method"), "outcome": N_("outcome"), "edited": N_("edited"),
}
EVENT_VALUES = {"channel": "channel", "kind": "kind", "status": "status", "from": "status", "to": "status",
                "fields": "detail", "details_given": "detail", "purpose": "purpose", "intent": "intent"}

# What a mail was really about, as staff choose it when the classifier misread one (the NLU's intents).
INTENT: dict[str, str] = {
    "ask_fee": N_("question: fees"), "ask_how_to_request": N_("question: how to make a request"),
    "ask_purpose": N_("question: purposes of use"), "ask_security": N_("question: security"),
    "ask_sensitive_info": N_("question: sensitive information"), "ask_third_party": N_("question: third parties"),
    "complaint": N_("complaint"), "out_of_scope": N_("not a privacy matter"),
    "request_correction": N_("correction request"), "request_deletion": N_("deletion request"),
    "request_disclosure": N_("disclosure request"), "request_discontinuance": N_("discontinuance request"),
    "request_marketing_optout": N_("marketing opt-out request"),
    "request_third_party_optout": N_("third-party sharing opt-out request"),
}

TABLES: Mapping[str, Mapping[str, str]] = {
    "status": STATUS, "kind": KIND, "detail": DETAIL, "channel": CHANNEL, "purpose": PURPOSE,
    "delivery": DELIVERY, "role": ROLE, "language": LANGUAGE, "action": ACTION, "event_detail": EVENT_DETAIL,
    "refusal": REFUSAL, "intent": INTENT,
}


def label(table: str, code: object) -> str:
    """The English label (a msgid) of one stored code; the code itself, readable, when it has none."""
    text = "" if code is None else str(code)
    return TABLES[table].get(text, text.replace("_", " "))


def event_value(name: str, value: object) -> list[str]:
    """An audit detail's value as msgids to translate, item by item; a value no table words (a username, a
    number, a reference) is kept as it is, and a stored sentence (a reason) is looked up as its own msgid."""
    if isinstance(value, bool):
        return [N_("yes") if value else N_("no")]
    if name == "confidence" and isinstance(value, float):
        return [f"{value:.0%}"]  # stored at full precision; staff read a percentage, as on the ticket's header
    items = value if isinstance(value, list | tuple) else [value]
    table = TABLES.get(EVENT_VALUES.get(name, ""), {})
    return [table.get(str(item), str(item)) if table else str(item) for item in items]
