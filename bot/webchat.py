"""The website chat page: a static widget plus a same-origin proxy to Rasa's REST webhook.

Serving the widget and proxying from one origin means the company website needs no CORS rules for Rasa, and
Rasa itself stays on loopback. The page, not the visitor, chooses the conversation: a random id in an HttpOnly
cookie, signed with the installation's key, so nobody can join another visitor's conversation by sending its id.

With several Rasa processes the page sends each turn to the one with the fewest turns in flight from this
page, and among equally busy ones to the conversation's own (a stable hash), so a quiet site keeps each
conversation on one process; when a process does not answer, the turn goes to the next. Any of them can carry on
any conversation: they share the tracker store, and the lock store keeps turns in order. A hash alone left one
process with more conversations than the other under load (13 of 20 is common), and the busier one set the
slowest turns.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from privacy_desk.classify import MODEL_TEXT_LIMIT

WEB_DIR = Path(__file__).resolve().parent / "web"
# Longer messages would not be read whole by the model anyway.
MAX_MESSAGE = MODEL_TEXT_LIMIT
CONVERSATION_COOKIE = "pd_chat"


def sign(key: bytes, conversation: str) -> str:
    return f"{conversation}.{hmac.new(key, conversation.encode(), hashlib.sha256).hexdigest()}"


def conversation_of(key: bytes, cookie: str | None) -> str | None:
    """The conversation a cookie names, if we signed it; None for a missing, altered or forged one."""
    conversation, _, _ = (cookie or "").partition(".")
    if conversation and cookie and hmac.compare_digest(sign(key, conversation), cookie):
        return conversation
    return None


def rasa_order(conversation: str, rasa_urls: Sequence[str], in_flight: Mapping[str, int] | None = None) -> list[str]:
    """The Rasa processes to try for a conversation's turn: the least busy first (turns in flight from this
    page), ties in the conversation's own order, a stable hash that is the same in every chat-page process."""
    start = int.from_bytes(hashlib.sha256(conversation.encode()).digest()[:4], "big") % len(rasa_urls)
    own = [*rasa_urls[start:], *rasa_urls[:start]]
    busy = in_flight or {}
    return sorted(own, key=lambda url: busy.get(url, 0))  # sorted() is stable: ties keep the hash order


def create_app(rasa_urls: Sequence[str], key: bytes, timeout: float = 30.0) -> Starlette:
    if not rasa_urls:
        raise ValueError("the chat page needs at least one Rasa URL")
    client = httpx.AsyncClient(timeout=timeout)
    in_flight: Counter[str] = Counter()

    async def ask_rasa(body: dict[str, object]) -> httpx.Response | None:
        for url in rasa_order(str(body["sender"]), rasa_urls, in_flight):
            in_flight[url] += 1
            try:
                response = await client.post(f"{url}/webhooks/rest/webhook", json=body)
                response.raise_for_status()
                return response
            except httpx.ConnectError:
                continue  # that process is down (restarting): the next one carries on the conversation
            except httpx.HTTPError:
                return None  # it took the turn and failed: sending it again elsewhere could act on it twice
            finally:
                in_flight[url] -= 1
        return None

    async def index(request: Request) -> Response:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def chat(request: Request) -> Response:
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "expected JSON"}, status_code=400)
        message = payload.get("message") if isinstance(payload, dict) else None
        if not isinstance(message, str) or len(message) > MAX_MESSAGE:
            return JSONResponse({"error": f"expected a message (at most {MAX_MESSAGE} characters)"},
                                status_code=400)
        # Whatever "sender" the request names is ignored: the conversation is the one our cookie says.
        known = conversation_of(key, request.cookies.get(CONVERSATION_COOKIE))
        sender = known or secrets.token_urlsafe(18)
        body: dict[str, object] = {"sender": sender, "message": message}
        if isinstance(payload.get("metadata"), dict):
            body["metadata"] = payload["metadata"]
        response = await ask_rasa(body)
        if response is None:
            return JSONResponse({"error": "the assistant is not available right now"}, status_code=503)
        answer = JSONResponse([{"text": m["text"]} for m in response.json() if m.get("text")])
        if known is None:
            # A session cookie: the conversation ends with the browser session, as the visitor expects.
            answer.set_cookie(CONVERSATION_COOKIE, sign(key, sender), httponly=True, samesite="strict",
                              secure=request.url.scheme == "https", path="/api/chat")
        return answer

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    return Starlette(routes=[
        Route("/", index), Route("/api/chat", chat, methods=["POST"]), Route("/health", health),
        Mount("/static", StaticFiles(directory=WEB_DIR), name="static"),
    ], lifespan=lifespan)
