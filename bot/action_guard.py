"""Only Rasa may call the action server: every call but /health must carry the token Rasa was given.

The actions open tickets and send verification mail to any address, so an open action server is an open mail
relay. `privacy-desk run` gives the same ACTION_SERVER_TOKEN (derived from the installation's secret key) to
Rasa, which sends it in a header (bot/endpoints.yml), and to the action server, which checks it here. Without a
token the action server refuses every call: it fails closed.

rasa-sdk's own extension point loads this: the `rasa_sdk_plugins` package's `init_hooks`, imported again in each
Sanic worker process.
"""

from __future__ import annotations

import hmac
import os

import pluggy
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

TOKEN_HEADER = "X-Privacy-Desk-Token"
OPEN_PATHS = frozenset({"/health"})  # what the supervisor and the tests poll

hookimpl = pluggy.HookimplMarker("rasa_sdk")


def refusal(path: str, given: str | None, token: str) -> HTTPResponse | None:
    """None when the call may go on; else the answer to send instead."""
    if path in OPEN_PATHS:
        return None
    if not token:
        return json({"error": "the action server has no ACTION_SERVER_TOKEN and accepts no calls"}, status=503)
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        return json({"error": f"missing or wrong {TOKEN_HEADER}: only the assistant's Rasa server may call"},
                    status=401)
    return None


class ActionToken:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:  # type: ignore[type-arg]
        token = os.environ.get("ACTION_SERVER_TOKEN", "")

        async def check(request: Request) -> HTTPResponse | None:
            return refusal(request.path, request.headers.get(TOKEN_HEADER), token)

        app.register_middleware(check, "request")
