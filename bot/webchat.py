"""The website chat page: a static widget plus a same-origin proxy to Rasa's REST webhook.

Serving the widget and proxying from one origin means the company website needs no CORS rules for Rasa, and
Rasa itself stays on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
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


def create_app(rasa_url: str, timeout: float = 30.0) -> Starlette:
    client = httpx.AsyncClient(timeout=timeout)

    async def index(request: Request) -> Response:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def chat(request: Request) -> Response:
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "expected JSON"}, status_code=400)
        sender, message = payload.get("sender"), payload.get("message")
        if not isinstance(sender, str) or not isinstance(message, str) or not sender or len(message) > MAX_MESSAGE:
            return JSONResponse({"error": f"expected sender and message (at most {MAX_MESSAGE} characters)"},
                                status_code=400)
        body = {"sender": sender[:64], "message": message}
        if isinstance(payload.get("metadata"), dict):
            body["metadata"] = payload["metadata"]
        try:
            response = await client.post(f"{rasa_url}/webhooks/rest/webhook", json=body)
            response.raise_for_status()
        except httpx.HTTPError:
            return JSONResponse({"error": "the assistant is not available right now"}, status_code=503)
        return JSONResponse([{"text": m["text"]} for m in response.json() if m.get("text")])

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
