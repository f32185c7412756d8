"""What every command shares: the group, the services (built on first use, so `--help` and `policy check`
need no database), and one-line errors."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

import click
from sqlalchemy.orm import Session, sessionmaker

from desk_app.services import Services, build_services
from privacy_desk.policy import PolicyPack
from privacy_desk.settings import Settings

if TYPE_CHECKING:
    from privacy_desk.classify import NluClient


class App:
    """The services of one command, built when a command first needs them."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build_services()
        return self._services

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def pack(self) -> PolicyPack:
        return self.services.pack

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.services.sessions


pass_app = click.make_pass_decorator(App, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """privacy-desk: privacy inquiries by chat and email, under a company's privacy policy."""


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def until_stopped(work: Callable[[threading.Event], object]) -> None:
    """Run a long-lived worker (poller, outbox, housekeeping) with logging on, until SIGTERM or Ctrl-C sets the
    event it watches; it finishes what it is doing and returns."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        work(stop)
    except KeyboardInterrupt:
        stop.set()


def nlu_client(stack: ExitStack, settings: Settings, url: str | None = None, start: bool = True) -> NluClient:
    """A client of the installation's Rasa (with its API token), or, with `start`, of a server started for this
    command alone when none answers; closed (and stopped) with `stack`."""
    from desk_app.rasa import free_port, is_up, rasa_server
    from privacy_desk.classify import NluClient
    from privacy_desk.keys import rasa_api_token

    url = url or settings.rasa_url
    token = rasa_api_token(settings)
    if start and not is_up(url, token=token):
        click.echo(f"no Rasa server answers at {url}; starting one for this command", err=True)
        url = stack.enter_context(rasa_server(free_port(), api_token=token)).url
    nlu = NluClient(url, token=token)
    stack.callback(nlu.close)
    return nlu
