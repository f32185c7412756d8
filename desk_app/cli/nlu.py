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


@cli.group("nlu")
def nlu_group() -> None:
    """NLU training data."""


@nlu_group.command("corrections")
@click.option("--state", type=click.Choice(["proposed", "accepted", "rejected", "all"]), default="proposed",
              show_default=True, help="Which corrections to list.")
@click.option("--accept", "accepted", multiple=True, type=int, metavar="ID", help="Accept this proposal (repeatable).")
@click.option("--reject", "rejected", multiple=True, type=int, metavar="ID", help="Reject this proposal (repeatable).")
@click.option("--write", is_flag=True, help="Write the accepted ones to INTENTS/<language>/corrections.yml.")
@click.option("--intents", "intents_dir", type=click.Path(file_okay=False), help="Default: the project's intents/.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who decides (for the audit log).")
@pass_app
def nlu_corrections(app: App, state: str, accepted: tuple[int, ...], rejected: tuple[int, ...], write: bool,
                    intents_dir: str | None, actor: str) -> None:
    """List staff corrections proposed as training examples (masked), accept or reject them, and write the
    accepted ones for review and retraining. Nothing is trained on without a person accepting it."""
    from pathlib import Path

    from desk_app.nlu_data import HELD_OUT, INTENTS, held_out_files, read_items, training_examples
    from privacy_desk import db
    from privacy_desk.corrections import (
        CORRECTIONS_FILE,
        Corrections,
        CorrectionState,
        files_to_write,
        without_overlap,
    )

    if set(accepted) & set(rejected):
        raise click.BadParameter("a correction cannot be both accepted and rejected", param_hint="--accept/--reject")
    with db.transaction(app.sessions) as session:
        store = Corrections(session, app.services.clock)
        for number in accepted:
            store.decide(number, True, actor)
        for number in rejected:
            store.decide(number, False, actor)
        listed = store.listed(None if state == "all" else CorrectionState(state))
        for row in listed:
            was = f" (was {row.previous_intent})" if row.previous_intent else ""
            click.echo(f"{row.id}\t{row.state}\t{row.language}\t{row.intent}{was}\t{row.source}\t"
                       f"{' '.join(row.text.split())[:200]}")
        if not listed:
            click.echo(f"no {state if state != 'all' else ''} corrections".replace("  ", " "))
        chosen = store.accepted_by_language()
    if not write:
        return
    folder = Path(intents_dir) if intents_dir else INTENTS
    trained = [text for text, _ in training_examples(folder, skip=CORRECTIONS_FILE)]
    kept: dict[str, list[tuple[str, str]]] = {}
    for language, examples in chosen.items():
        held_out = [item["text"] for kind in HELD_OUT for path in held_out_files(kind, language)
                    for item in read_items(path)]
        kept[language], dropped = without_overlap(examples, language, held_out, trained)
        if dropped:
            click.echo(f"{language}: left out {dropped} accepted example(s) already in the training data or a "
                       "held-out set")
    # A language whose accepted examples were all rejected since loses its file: only accepted ones are trained on.
    for language in sorted(set(kept) | {p.parent.name for p in folder.glob(f"*/{CORRECTIONS_FILE}")}):
        path = folder / language / CORRECTIONS_FILE
        content = files_to_write(kept).get(language)
        if content is None:
            if path.is_file():
                path.unlink()
                click.echo(f"removed {path} (no accepted examples)")
            continue
        if path.is_file() and path.read_text(encoding="utf-8") == content:
            click.echo(f"{path}: unchanged")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        click.echo(f"wrote {path} ({len(kept[language])} example(s))")
