"""What every action shares, built once per action-server process on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from rasa_sdk import Tracker

from desk_app.services import build_services
from privacy_desk.desk import Desk
from privacy_desk.languages import DEFAULT_LANGUAGE, Language, detect_language
from privacy_desk.policy import PolicyPack, RequestKind
from privacy_desk.replies import ReplyRenderer, company_context, request_context
from privacy_desk.settings import Settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    pack: PolicyPack
    desk: Desk
    renderer: ReplyRenderer

    def say(self, language: Language, name: str, **kwargs: Any) -> str:
        return self.renderer.prompt(language, name, **kwargs)

    def company(self, language: Language) -> dict[str, Any]:
        return company_context(self.pack, language)

    def request(self, kind: str, language: Language) -> dict[str, Any]:
        return request_context(self.pack, RequestKind(kind), language)


@cache
def runtime() -> Runtime:
    """The action server's services, built once per process from the composition root (rasa-sdk makes the
    actions itself, so they cannot be handed their services)."""
    services = build_services()
    return Runtime(services.settings, services.pack, services.desk, services.renderer)


def language_of(tracker: Tracker) -> Language:
    """The language of the visitor's latest message; a message with no words keeps the conversation's."""
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    current = tracker.get_slot("language")
    if tracker.active_loop.get("name") and current in {lang.value for lang in Language}:
        # An answer to a form question (a name, an address, a code) says little about the language: keep it.
        return Language(current)
    if text.startswith("/"):
        # The widget's own trigger (/greet) carries the browser's language in the message metadata.
        browser = (latest.get("metadata") or {}).get("language")
        if browser in {lang.value for lang in Language}:
            return Language(browser)
    elif any(ch.isalpha() for ch in text):
        return detect_language(text)
    return Language(current) if current in {lang.value for lang in Language} else DEFAULT_LANGUAGE
