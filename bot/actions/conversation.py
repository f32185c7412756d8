"""Greetings, policy questions, out-of-scope redirects and the two-step fallback to staff."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.runtime import language_of, runtime
from privacy_desk.decisions import topic_for_intent
from privacy_desk.policy import RequestKind
from privacy_desk.replies import ReplyChannel

MISSES_BEFORE_HANDOFF = 2


class _Say(Action, ABC):
    prompt = ""
    with_company = False

    @abstractmethod
    def name(self) -> str: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        kwargs = {"company": rt.company(language)} if self.with_company else {}
        dispatcher.utter_message(text=rt.say(language, self.prompt, **kwargs))
        return [SlotSet("language", language.value)]


class ActionGreet(_Say):
    prompt, with_company = "greet", True

    def name(self) -> str:
        return "action_greet"


class ActionGoodbye(_Say):
    prompt = "goodbye"

    def name(self) -> str:
        return "action_goodbye"


class ActionThank(_Say):
    prompt = "thank"

    def name(self) -> str:
        return "action_thank"


class ActionOutOfScope(_Say):
    prompt, with_company = "out_of_scope", True

    def name(self) -> str:
        return "action_out_of_scope"


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        topic = topic_for_intent((tracker.latest_message.get("intent") or {}).get("name") or "")
        if topic is None:
            return [SlotSet("language", language.value)]
        _, text = rt.desk.answer(topic, ReplyChannel.CHAT, language)
        dispatcher.utter_message(text=text)
        return [SlotSet("language", language.value), SlotSet("fallback_count", 0.0)]


class ActionFallback(Action):
    """First miss: ask to rephrase. Second miss in a row: offer to pass the inquiry to staff as a ticket."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        unclear = "\n".join(filter(None, [tracker.get_slot("request_text") if misses > 1 else None,
                                          tracker.latest_message.get("text")]))
        events: list[EventType] = [SlotSet("language", language.value), SlotSet("request_text", unclear)]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent not in {"nlu_fallback", "inform"}:
            # Called as the dialogue's own fallback: take the turn back, or Rasa would predict this again.
            events.insert(0, UserUtteranceReverted())
        if misses >= MISSES_BEFORE_HANDOFF:
            dispatcher.utter_message(text=rt.say(language, "offer_handoff"))
            return [*events, SlotSet("fallback_count", 0.0), SlotSet("handoff_offered", True)]
        dispatcher.utter_message(text=rt.say(language, "rephrase"))
        return [*events, SlotSet("fallback_count", float(misses))]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        dispatcher.utter_message(text=rt.say(language, "start_request",
                                             request=rt.request(RequestKind.INQUIRY, language)))
        return [SlotSet("request_kind", RequestKind.INQUIRY.value), SlotSet("handoff_offered", False),
                SlotSet("submission_confirmed", None), SlotSet("correcting", None)]


class ActionDenyHandoff(Action):
    def name(self) -> str:
        return "action_deny_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rt, language = runtime(), language_of(tracker)
        dispatcher.utter_message(text=rt.say(language, "handoff_declined"))
        return [SlotSet("handoff_offered", False), SlotSet("request_text", None)]
