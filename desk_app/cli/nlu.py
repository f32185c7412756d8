"""Commands: `train`, `classify` and `chat-page` (the NLU model and the chat channel)."""

from __future__ import annotations

import sys
from contextlib import ExitStack

import click

from desk_app.cli.base import App, cli, nlu_client, pass_app
from privacy_desk.errors import PrivacyDeskError


@cli.command("train")
def train() -> None:
    """Train the NLU and dialogue model, unless one for exactly these inputs is cached."""
    from desk_app.rasa import ensure_model

    click.echo(f"model: {ensure_model(quiet=False)}")


@cli.command("classify")
@click.option("--rasa-url", help="Rasa server to use (default: RASA_URL; one is started if none answers).")
@pass_app
def classify_command(app: App, rasa_url: str | None) -> None:
    """Classify JSON lines from stdin ({"text", "subject"?, "channel"?}); one JSON line out per line in."""
    import json

    from privacy_desk.classify import NluRefused, classify

    failures = 0
    with ExitStack() as stack:
        nlu = nlu_client(stack, app.settings, rasa_url)
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('expected an object with a "text" string')
                channel = item.get("channel") or "chat"
                if channel not in {"chat", "email"}:
                    raise ValueError(f"channel must be chat or email, not {channel!r}")
                subject = item.get("subject") if isinstance(item.get("subject"), str) else None
                out = classify(nlu, item["text"], subject, channel).as_json()
            except (ValueError, NluRefused) as exc:
                failures += 1
                out = {"error": f"line {number}: {exc}"}
            click.echo(json.dumps(out, ensure_ascii=False))
            sys.stdout.flush()
    if failures:
        raise PrivacyDeskError(f"{failures} input line(s) could not be classified")


@cli.command("chat-page")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="Default: CHAT_PORT (8080).")
@pass_app
def chat_page(app: App, host: str, port: int | None) -> None:
    """Serve the website chat page (widget + proxy to Rasa's REST webhook)."""
    import uvicorn

    from bot.webchat import create_app

    uvicorn.run(create_app(app.settings.rasa_urls, app.services.key), host=host, port=port or app.settings.chat_port,
                log_level="warning")
