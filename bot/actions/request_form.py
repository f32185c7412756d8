"""The request form: which details the pack requires, checking each one, confirming, submitting."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from bot.actions.runtime import language_of, runtime
from privacy_desk import contact
from privacy_desk.decisions import kind_for_intent
from privacy_desk.messages import Channel, IncomingMessage
from privacy_desk.policy import Detail, RequestKind
from privacy_desk.status import TicketStatus

DETAIL_SLOTS = [d.value for d in Detail]
RESET_AFTER_REQUEST = [*DETAIL_SLOTS, "submission_confirmed", "correcting", "request_kind", "request_text"]


def _reset(names: list[str]) -> list[EventType]:
    return [SlotSet(name, None) for name in names]


class ActionStartRequest(Action):
    def name(self) -> str:
        return "action_start_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        kind = kind_for_intent(intent) or RequestKind.INQUIRY
        dispatcher.utter_message(text=rt.say(language, "start_request", request=rt.request(kind, language)))
        return [SlotSet("request_kind", kind.value), SlotSet("language", language.value),
                SlotSet("request_text", tracker.latest_message.get("text")), SlotSet("submission_confirmed", None),
                SlotSet("correcting", None), SlotSet("fallback_count", 0.0), SlotSet("handoff_offered", False)]


class ValidateRequestForm(FormValidationAction):
    def name(self) -> str:
        return "validate_request_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        kind = RequestKind(tracker.get_slot("request_kind") or RequestKind.INQUIRY)
        return [d.value for d in runtime().pack.rule(kind).details] + ["submission_confirmed"]

    def _checked(self, detail: Detail, value: Any, tracker: Tracker, dispatcher: CollectingDispatcher,
                 clean: Any) -> dict[str, Any]:
        cleaned = clean(str(value)) if value is not None else None
        if cleaned is None:
            dispatcher.utter_message(text=runtime().say(language_of(tracker), "invalid_detail", detail=detail.value))
            return {detail.value: None}
        # A changed detail after "no" at the summary ends the correction: the summary is shown again.
        return {detail.value: cleaned, "correcting": None, "submission_confirmed": None}

    def validate_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == Detail.NAME.value:
            value = contact.name_from_answer(str(value) if value else None,
                                             tracker.latest_message.get("text") or "")
        return self._checked(Detail.NAME, value, tracker, dispatcher, contact.clean_name)

    def validate_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        return self._checked(Detail.EMAIL, value, tracker, dispatcher, contact.find_email)

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        return self._checked(Detail.PHONE, value, tracker, dispatcher, contact.find_phone)

    def validate_company(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        return self._checked(Detail.COMPANY, value, tracker, dispatcher, contact.clean_text_detail)

    def validate_division(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        return self._checked(Detail.DIVISION, value, tracker, dispatcher, contact.clean_text_detail)

    def validate_member_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return self._checked(Detail.MEMBER_NUMBER, value, tracker, dispatcher, contact.clean_text_detail)

    def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        return self._checked(Detail.ADDRESS, value, tracker, dispatcher, contact.clean_text_detail)

    def validate_submission_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        if value is True:
            return {"submission_confirmed": True}
        return {"submission_confirmed": None, "correcting": True}


class _AskDetail:
    """Asks for one detail. A mixin, not an Action, so rasa-sdk registers only the concrete ones below."""

    detail: Detail

    def name(self) -> str:
        return f"action_ask_{self.detail.value}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=runtime().say(language_of(tracker), "ask_detail", detail=self.detail.value))
        return []


class ActionAskName(_AskDetail, Action):
    detail = Detail.NAME


class ActionAskEmail(_AskDetail, Action):
    detail = Detail.EMAIL


class ActionAskPhone(_AskDetail, Action):
    detail = Detail.PHONE


class ActionAskCompany(_AskDetail, Action):
    detail = Detail.COMPANY


class ActionAskDivision(_AskDetail, Action):
    detail = Detail.DIVISION


class ActionAskMemberNumber(_AskDetail, Action):
    detail = Detail.MEMBER_NUMBER


class ActionAskAddress(_AskDetail, Action):
    detail = Detail.ADDRESS


class ActionAskSubmissionConfirmed(Action):
    def name(self) -> str:
        return "action_ask_submission_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        if tracker.get_slot("correcting"):
            dispatcher.utter_message(text=rt.say(language, "what_to_change"))
            return []
        kind = RequestKind(tracker.get_slot("request_kind") or RequestKind.INQUIRY)
        details = [(rt.say(language, "detail_name", detail=d.value), tracker.get_slot(d.value))
                   for d in rt.pack.rule(kind).details if tracker.get_slot(d.value)]
        dispatcher.utter_message(text=rt.say(language, "confirm_summary", request=rt.request(kind, language),
                                             details=details))
        return []


def _request_intent(tracker: Tracker) -> dict[str, Any]:
    """How the model read the message that started the request (not the final "yes"), for staff to see."""
    text = tracker.get_slot("request_text")
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("text") == text:
            return (event.get("parse_data") or {}).get("intent") or {}
    return {}


class ActionSubmitRequest(Action):
    def name(self) -> str:
        return "action_submit_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        kind = RequestKind(tracker.get_slot("request_kind") or RequestKind.INQUIRY)
        details = {d: tracker.get_slot(d) for d in DETAIL_SLOTS}
        intent = _request_intent(tracker)
        incoming = IncomingMessage(channel=Channel.CHAT, body=tracker.get_slot("request_text") or "",
                                   language=language, sender=details.get("email"),
                                   meta={"conversation": tracker.sender_id})
        try:
            outcome = rt.desk.open_request(kind=kind, details=details, channel=Channel.CHAT, language=language,
                                           actor="chat", incoming=incoming, intent=intent.get("name"),
                                           confidence=intent.get("confidence"))
        except SQLAlchemyError:
            dispatcher.utter_message(text=rt.say(language, "submit_failed"))
            return [SlotSet("submission_confirmed", None)]
        for text in outcome.chat_texts:
            dispatcher.utter_message(text=text)
        events: list[EventType] = [*_reset(RESET_AFTER_REQUEST), SlotSet("ticket_reference", outcome.reference)]
        if outcome.status is TicketStatus.AWAITING_VERIFICATION:
            # The verify_identity text above already asks for the code: the form's first ask stays silent.
            events += [SlotSet("awaiting_code", True), SlotSet("code_status", "sent"),
                       FollowupAction("verification_form")]
        return events


class ActionCancel(Action):
    def name(self) -> str:
        return "action_cancel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        reference = tracker.get_slot("ticket_reference")
        if tracker.get_slot("awaiting_code") and reference:
            dispatcher.utter_message(text=rt.say(language, "cancelled_after_ticket", reference=reference))
        else:
            dispatcher.utter_message(text=rt.say(language, "cancelled"))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset(RESET_AFTER_REQUEST),
                SlotSet("awaiting_code", None), SlotSet("verification_code", None), SlotSet("code_status", None)]
