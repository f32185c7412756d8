"""Classify an inquiry (chat line or whole email) with the Rasa NLU model, over Rasa's HTTP API."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from privacy_desk.contact import find_email
from privacy_desk.decisions import QUESTION_INTENTS, REQUEST_INTENTS
from privacy_desk.errors import PrivacyDeskError
from privacy_desk.languages import Language, detect_language
from privacy_desk.mailtext import customer_words, split_mail_text, subject_words, without_machine_lines
from privacy_desk.policy import Detail
from privacy_desk.signature import (
    find_address,
    is_addressee_line,
    is_legal_form_only,
    signature_details,
    trailing_signature,
)

_SENDER_DETAILS = frozenset(["name", "company", "division"])
BUSINESS_INTENTS = frozenset([*REQUEST_INTENTS, *QUESTION_INTENTS, "out_of_scope"])
CHAT_MECHANICS = frozenset(["greet", "goodbye", "affirm", "deny", "inform", "cancel", "thank"])
ENTITY_NAMES = frozenset(d.value for d in Detail)


class NluUnavailable(PrivacyDeskError):
    """The Rasa server did not answer a parse request: worth retrying later."""


class NluRefused(PrivacyDeskError):
    """The Rasa server answered a parse request with an error: the same text would fail again."""


# What the model reads of one message (also the chat page's limit, bot/webchat.py). A request is stated near the
# top, and Rasa's time and memory grow faster than the text: 50,000 characters took 20 s of its single event loop,
# 40,000 characters of one-letter words made it use 24 GB and be killed. At this limit the worst case measured
# was 0.75 s and 1.9 GB; the longest held-out email is under 1,000 characters.
MODEL_TEXT_LIMIT = 5000
# Server errors that mean "not now" rather than "not this text".
_RETRYABLE_STATUS = frozenset([502, 503, 504])


@dataclass(frozen=True)
class Classification:
    intent: str
    confidence: float
    language: Language
    entities: dict[str, str] = field(default_factory=dict)
    # The model's own answer was not an intent this channel acts on (its fallback fired, or a chat-only intent
    # such as inform won for a mail): `intent` is then only the best remaining guess.
    uncertain: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"intent": self.intent, "confidence": round(self.confidence, 4), "language": self.language.value,
                "entities": self.entities}


class NluClient:
    """POST /model/parse on the Rasa server; retried once, since a busy server may drop a connection."""

    def __init__(self, url: str, timeout: float = 10.0, transport: httpx.BaseTransport | None = None,
                 token: str = "") -> None:
        self.url = url.rstrip("/")
        # Rasa's HTTP API takes its token as a query parameter.
        self.client = httpx.Client(timeout=timeout, transport=transport, params={"token": token} if token else None)

    def parse(self, text: str) -> dict[str, Any]:
        last: Exception | None = None
        for _ in range(2):
            try:
                response = self.client.post(f"{self.url}/model/parse", json={"text": text})
            except httpx.HTTPError as exc:
                last = exc
                continue
            if response.status_code in _RETRYABLE_STATUS:
                last = httpx.HTTPStatusError(f"status {response.status_code}", request=response.request,
                                             response=response)
                continue
            if response.is_error:
                raise NluRefused(f"Rasa at {self.url} refused the text ({len(text)} characters): status "
                                 f"{response.status_code} {_reason(response)}")
            parsed: dict[str, Any] = response.json()
            return parsed
        raise NluUnavailable(f"Rasa at {self.url} did not parse the text: {last}")

    def close(self) -> None:
        self.client.close()


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason") or "")
    except ValueError:
        return ""


def pick_intent(parsed: dict[str, Any], allowed: frozenset[str]) -> tuple[str, float]:
    """The best-ranked intent among the allowed ones (never nlu_fallback)."""
    for ranked in parsed.get("intent_ranking") or [parsed.get("intent") or {}]:
        if ranked.get("name") in allowed:
            return ranked["name"], float(ranked.get("confidence") or 0.0)
    return "out_of_scope", 0.0


def plausible(name: str, value: str) -> bool:
    """The model sometimes tags a neighbouring word as an email or phone: keep only values that are one."""
    if name == "email":
        return find_email(value) == unicodedata.normalize("NFKC", value)
    if name == "phone":
        return sum(ch.isdigit() for ch in unicodedata.normalize("NFKC", value)) >= 6
    if name == "company":
        return not is_legal_form_only(value)
    if name == "member_number":
        return len(value) >= 4 and any(ch.isdigit() for ch in unicodedata.normalize("NFKC", value))
    if name == "address":
        return len(value) >= 6 and any(ch.isdigit() for ch in unicodedata.normalize("NFKC", value))
    return True


def _line_of(text: str, start: int) -> str:
    return text[text.rfind("\n", 0, start) + 1:].split("\n", 1)[0]


def collect_entities(parsed: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """First plausible value per entity type, exactly as written in the text it was found in.

    A name, company or division on a line that addresses the recipient ('株式会社サンプル ご担当者様') is ours, not
    the customer's, and is skipped.
    """
    found: dict[str, str] = {}
    for text, result in parsed:
        for entity in sorted(result.get("entities") or [], key=lambda e: e.get("start", 0)):
            name = entity.get("entity")
            if name not in ENTITY_NAMES or name in found:
                continue
            start, end = entity.get("start"), entity.get("end")
            if (name in _SENDER_DETAILS and isinstance(start, int)
                    and is_addressee_line(_line_of(text, start))):
                continue
            value = text[start:end] if isinstance(start, int) and isinstance(end, int) else entity.get("value")
            # A value running over a line break joins two signature lines ("Taro Yamada\nExample Corp."): no value.
            value = value.strip() if isinstance(value, str) else ""
            if value and "\n" not in value and plausible(name, value):
                found[name] = value
    return found


def model_text(text: str, subject: str | None = None, limit: int = MODEL_TEXT_LIMIT) -> str:
    """What the model is given: the subject line, then the text, at most `limit` characters, cut at a line break
    where there is one in the last fifth. Lone surrogates (from a mail decoded with surrogateescape, or a JSON
    escape) cannot be sent as UTF-8 and become "?", one character each, so offsets still match."""
    joined = f"{subject.strip()}\n{text}" if subject and subject.strip() else text
    if len(joined) > limit:
        cut = joined.rfind("\n", limit * 4 // 5, limit)
        joined = joined[:cut if cut > 0 else limit]
    return joined.encode("utf-8", "replace").decode("utf-8")


def classify(nlu: NluClient, text: str, subject: str | None = None, channel: str = "chat") -> Classification:
    if channel == "email":
        parts = split_mail_text(text)
        body = parts.new_text or text
        # What a person wrote: a pasted log, stack trace or dump is not read (the model would read the request
        # above 6,000 log lines as the log); a body that is only that keeps its lines.
        written = without_machine_lines(body, keep=MODEL_TEXT_LIMIT) or body
        # A request written only in the subject ("Please delete my personal data", and a body that is empty,
        # a greeting, a signature, quoted mail or a pasted log) is read from the subject alone, as if it were the
        # body.
        subject_only = subject_words(subject) if not customer_words(without_machine_lines(parts.new_text)) else ""
        intent_input = model_text(subject_only) if subject_only else model_text(written, subject)
        result = nlu.parse(intent_input)
        entities = collect_entities([(intent_input, result)])
        # Signature lines have shapes the model rarely sees: rules read them, and the model is not asked (a second
        # call on the signature added mostly wrong values and doubled the NLU time per mail). Without a "--"
        # separator, the short lines after the closing phrase are taken as the signature.
        signature = parts.signature or trailing_signature(body)
        if signature:
            rules = signature_details(signature)
            for name, value in rules.items():
                # Who the sender is comes from the signature first (the body may name someone else's company).
                if name in _SENDER_DETAILS:
                    entities[name] = value
                else:
                    entities.setdefault(name, value)
        if "address" not in entities and (address := find_address(body)):
            entities["address"] = address
        intent, confidence = pick_intent(result, BUSINESS_INTENTS)
        language = detect_language(intent_input)
        return Classification(intent, confidence, language, entities, uncertain=_top(result) != intent)
    chat_input = model_text(without_machine_lines(text, keep=MODEL_TEXT_LIMIT) or text)
    result = nlu.parse(chat_input)
    intent, confidence = pick_intent(result, BUSINESS_INTENTS | CHAT_MECHANICS)
    return Classification(intent, confidence, detect_language(chat_input), collect_entities([(chat_input, result)]),
                          uncertain=_top(result) != intent)


def _top(parsed: dict[str, Any]) -> str | None:
    return (parsed.get("intent") or {}).get("name")
