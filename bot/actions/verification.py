"""Identity confirmation in the chat: the visitor types the one-time code we mailed to them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.runtime import language_of, runtime
from privacy_desk.messages import Channel
from privacy_desk.verification import CodeCheck

DONE = "done"


class ValidateVerificationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verification_form"

    def validate_verification_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        rt, language = runtime(), language_of(tracker)
        reference = tracker.get_slot("ticket_reference")
        outcome = rt.desk.check_code(reference, str(value or ""), channel=Channel.CHAT, language=language,
                                     actor="chat")
        if outcome.code_check is CodeCheck.CONFIRMED:
            dispatcher.utter_message(text=rt.say(language, "identity_confirmed"))
            for text in outcome.chat_texts:
                dispatcher.utter_message(text=text)
            return {"verification_code": DONE, "awaiting_code": None, "code_status": None}
        if outcome.code_check in {CodeCheck.LOCKED, CodeCheck.NO_CODE}:
            dispatcher.utter_message(text=rt.say(language, "code_locked", reference=reference))
            return {"verification_code": DONE, "awaiting_code": None, "code_status": None}
        if outcome.code_check is CodeCheck.EXPIRED:
            return {"verification_code": None, "code_status": "expired"}
        return {"verification_code": None, "code_status": f"wrong:{outcome.attempts_left}"}


class ActionAskVerificationCode(Action):
    def name(self) -> str:
        return "action_ask_verification_code"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        status = tracker.get_slot("code_status") or ""
        if status == "sent":
            return [SlotSet("code_status", None)]
        if status.startswith("wrong:"):
            text = rt.say(language, "code_wrong", attempts_left=int(status.split(":", 1)[1]))
        elif status == "expired":
            text = rt.say(language, "code_expired")
        else:
            text = rt.say(language, "ask_code")
        dispatcher.utter_message(text=text)
        return []


class ActionVerificationDone(Action):
    def name(self) -> str:
        return "action_verification_done"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [SlotSet("verification_code", None), SlotSet("code_status", None), SlotSet("awaiting_code", None)]
