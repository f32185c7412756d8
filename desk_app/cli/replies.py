"""Command: `render`, a preview of any reply with sample values."""

from __future__ import annotations

import click

from desk_app.cli.base import App, cli, pass_app
from privacy_desk.decisions import due_date
from privacy_desk.languages import Language
from privacy_desk.messages import utcnow
from privacy_desk.policy import RequestKind, Topic, load_pack
from privacy_desk.replies import Purpose, ReplyChannel, ReplyRenderer, reply_context


@cli.command("render")
@click.option("--purpose", type=click.Choice([p.value for p in Purpose]), default="acknowledgement",
              show_default=True)
@click.option("--kind", type=click.Choice([k.value for k in RequestKind]), default="disclosure", show_default=True)
@click.option("--pack", "pack_id", help="Policy pack id (default: the one in force).")
@click.option("--channel", type=click.Choice([c.value for c in ReplyChannel]), default="email", show_default=True)
@click.option("--language", type=click.Choice([lang.value for lang in Language]), default="en", show_default=True)
@click.option("--topic", type=click.Choice([t.value for t in Topic]), default="purpose", show_default=True,
              help="For --purpose answer.")
@pass_app
def render(app: App, purpose: str, kind: str, pack_id: str | None, channel: str, language: str,
           topic: str) -> None:
    """Preview a reply with sample values."""
    pack = load_pack(pack_id) if pack_id else app.pack
    lang, request_kind = Language(language), RequestKind(kind)
    rule = pack.rule(request_kind)
    context = reply_context(
        pack, lang, kind=request_kind, reference="PRQ-2026-000123", due=due_date(utcnow(), rule, pack.calendar),
        customer_name="Taro Yamada", missing=list(rule.details), topic=Topic(topic), code="482913",
        code_minutes=30, ground=rule.refusal_grounds[0] if rule.refusal_grounds else None,
        subject="Question about my data", channel=ReplyChannel(channel),
    )
    if Purpose(purpose) is Purpose.REJECTED and not rule.refusal_grounds:
        # Staff reject such a request with their own reason, stated as the company's decision.
        context["staff_message"] = "We cannot identify any personal information registered under these details."
    reply = ReplyRenderer().render(Purpose(purpose), ReplyChannel(channel), lang, context)
    if reply.subject:
        click.echo(f"Subject: {reply.subject}\n")
    click.echo(reply.body, nl=False)
