"""One place that builds what the processes share from the settings: the command line, the action server, the
staff app and the tests all take their services from `build_services`. Nothing connects until it is first used."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from privacy_desk.settings import Settings, load_settings

# Each service imports what it needs when first built: a command pays only for what it uses.
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker
    from starlette.applications import Starlette

    from mail_ingest.pipeline import MailPipeline
    from privacy_desk.classify import Classification
    from privacy_desk.desk import Desk
    from privacy_desk.outbox import Outbox
    from privacy_desk.policy import PolicyPack
    from privacy_desk.replies import ReplyRenderer
    from privacy_desk.review import Review
    from privacy_desk.staff_notices import StaffMailConfig


def _utcnow() -> datetime:
    from privacy_desk.messages import utcnow

    return utcnow()


class Services:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session] | None = None,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self.settings = settings
        self.clock = clock
        if sessions is not None:
            self.__dict__["sessions"] = sessions

    @cached_property
    def pack(self) -> PolicyPack:
        from privacy_desk.policy import load_pack

        return load_pack(self.settings.privacy_policy)

    @cached_property
    def engine(self) -> Engine:
        from privacy_desk import db

        return db.make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from privacy_desk import db

        return db.session_factory(self.engine)

    @cached_property
    def key(self) -> bytes:
        from privacy_desk.keys import secret_key

        return secret_key(self.settings)

    @cached_property
    def renderer(self) -> ReplyRenderer:
        from privacy_desk.replies import ReplyRenderer

        return ReplyRenderer()

    @cached_property
    def own_addresses(self) -> frozenset[str]:
        from privacy_desk.own_mail import own_addresses

        return own_addresses(self.settings.mail_from, self.settings.mail_aliases, self.pack)

    @cached_property
    def desk(self) -> Desk:
        from privacy_desk.desk import Desk

        return Desk(self.sessions, self.pack, self.key, self.settings.mail_from, self.renderer, clock=self.clock,
                    staff_app_url=self.settings.staff_app_url)

    @cached_property
    def review(self) -> Review:
        from privacy_desk.review import Review

        return Review(self.sessions, self.pack, self.settings.mail_from, self.renderer, clock=self.clock,
                      attachment_limits=self.settings.attachment_limits)

    def mail_pipeline(self, classifier: Callable[[str, str | None], Classification]) -> MailPipeline:
        from mail_ingest.pipeline import MailPipeline

        return MailPipeline(self.engine, self.pack, self.key, self.settings.mail_from, classifier,
                            own_addresses=self.own_addresses, clock=self.clock,
                            attachment_limits=self.settings.attachment_limits,
                            staff_app_url=self.settings.staff_app_url)

    def outbox(self) -> Outbox:
        from privacy_desk.outbox import Outbox, SmtpSender

        return Outbox(self.sessions, SmtpSender(self.settings).send, self.settings.mail_from,
                      self.pack.company.name.en, clock=self.clock)

    @cached_property
    def staff_mail(self) -> StaffMailConfig:
        from privacy_desk.staff_notices import StaffMailConfig

        s = self.settings
        return StaffMailConfig(s.mail_from, s.staff_app_url, s.staff_digest_days, s.staff_digest_hour)

    def staff_app(self) -> Starlette:
        from staff_web.app import create_app

        return create_app(self.sessions, self.pack, self.review, clock=self.clock)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def build_services(settings: Settings | None = None, *, sessions: sessionmaker[Session] | None = None,
                   clock: Callable[[], datetime] = _utcnow) -> Services:
    """The services for these settings (default: the process environment over .env)."""
    return Services(settings or load_settings(), sessions, clock)
