"""What `run` asks supervisord to start, read back by supervisord's own configuration parser."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
from supervisor.options import ServerOptions

from bot.webchat import rasa_order
from desk_app.cli.run import chosen
from desk_app.rasa import REDIS_LOCK_STORE
from desk_app.supervisor import InternalSecrets, Process, planned_processes, supervisord_config
from privacy_desk.errors import ConfigError
from privacy_desk.settings import Settings

SECRETS = InternalSecrets("action-token", "api-token", "lock-password")


def as_supervisord_reads_it(processes: list[Process], tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "supervisord.conf"
    path.write_text(supervisord_config(processes, tmp_path, tmp_path), encoding="utf-8")
    options = ServerOptions()
    options.realize(args=["-c", str(path)])
    return {config.name: config for group in options.process_group_configs for config in group.process_configs}


def test_commands_and_environments_arrive_as_written(tmp_path: Path) -> None:
    odd = Process("odd", ["echo", "50% off", "two words", "it's"],
                  {"URL": "postgresql://u:p%40ss@db/desk?a=1,b=2", "QUOTE": 'a "quoted" word', "EMPTY": ""})
    program = as_supervisord_reads_it([odd], tmp_path)["odd"]
    assert shlex.split(program.command) == odd.command  # type: ignore[attr-defined]  # as supervisord splits it
    assert program.environment == odd.env  # type: ignore[attr-defined]
    assert program.autorestart and program.stopasgroup and program.killasgroup  # type: ignore[attr-defined]
    assert program.stdout_logfile == str(tmp_path / "odd.log")  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["both ' and \"", '"at the start', "line\nbreak"])
def test_a_value_supervisord_would_garble_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigError, match="TRACKER_STORE_URL"):
        supervisord_config([Process("rasa", ["rasa"], {"TRACKER_STORE_URL": value})], Path("/r"), Path("/l"))


def test_one_worker_runs_without_redis(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"RASA_WORKERS": "1"})
    programs = as_supervisord_reads_it(planned_processes(settings, "model.tar.gz", SECRETS)[0], tmp_path)
    assert "redis" not in programs and "rasa" in programs
    assert programs["rasa"].environment["LOCK_STORE_TYPE"] == "in_memory"  # type: ignore[attr-defined]
    assert programs["rasa"].environment["TRACKER_STORE_URL"].startswith("sqlite:///")  # type: ignore[attr-defined]


def test_several_workers_share_a_redis_run_starts_on_loopback(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"RASA_WORKERS": "3", "RASA_URL": "http://127.0.0.1:6000",
                                      "REDIS_PORT": "6399", "DATABASE_URL": "postgresql+psycopg://u:p@db/desk"})
    programs = as_supervisord_reads_it(planned_processes(settings, "model.tar.gz", SECRETS)[0], tmp_path)
    redis = programs["redis"].command  # type: ignore[attr-defined]
    assert "--bind 127.0.0.1 --port 6399" in redis and "--requirepass lock-password" in redis
    for number, port in enumerate((6000, 6001, 6002), start=1):
        rasa = programs[f"rasa-{number}"]
        assert f"--port {port}" in rasa.command  # type: ignore[attr-defined]
        assert rasa.environment["TRACKER_STORE_URL"] == "postgresql://u:p@db/desk"  # type: ignore[attr-defined]
        assert rasa.environment["LOCK_STORE_TYPE"] == REDIS_LOCK_STORE  # type: ignore[attr-defined]
        assert rasa.environment["LOCK_STORE_PORT"] == "6399"  # type: ignore[attr-defined]
        assert rasa.environment["LOCK_STORE_PASSWORD"] == "lock-password"  # type: ignore[attr-defined]
    assert settings.rasa_urls == ("http://127.0.0.1:6000", "http://127.0.0.1:6001", "http://127.0.0.1:6002")


def test_a_named_redis_and_remote_workers_are_not_started_here() -> None:
    settings = Settings.from_mapping({"RASA_WORKERS": "1", "REDIS_URL": "redis://:pw@10.0.0.5:6379/2",
                                      "RASA_URLS": "http://127.0.0.1:5005, http://10.0.0.7:5005"})
    names = [p.name for p in planned_processes(settings, "model.tar.gz", SECRETS)[0]]
    assert "redis" not in names and names.count("rasa") == 1
    assert settings.rasa_urls == ("http://127.0.0.1:5005", "http://10.0.0.7:5005")
    assert settings.lock_store_url == "redis://:pw@10.0.0.5:6379/2"


def test_the_chat_page_spreads_conversations_and_keeps_each_on_its_process() -> None:
    urls = [f"http://127.0.0.1:{5005 + n}" for n in range(3)]
    firsts = [rasa_order(f"conversation-{n}", urls)[0] for n in range(300)]
    assert all(firsts.count(url) > 60 for url in urls)  # about a third each
    order = rasa_order("conversation-7", urls)
    assert sorted(order) == sorted(urls) and rasa_order("conversation-7", urls) == order  # every one, same order


def test_a_turn_goes_to_the_least_busy_process_and_among_equals_to_its_own() -> None:
    urls = [f"http://127.0.0.1:{5005 + n}" for n in range(3)]
    own = rasa_order("conversation-7", urls)
    assert rasa_order("conversation-7", urls, {url: 2 for url in urls}) == own
    busy = {own[0]: 3, own[1]: 1, own[2]: 1}
    assert rasa_order("conversation-7", urls, busy) == [own[1], own[2], own[0]]


def test_run_only_starts_what_it_is_told_and_names_what_it_does_not_know() -> None:
    processes, _ = planned_processes(Settings.from_mapping({"RASA_WORKERS": "2"}), "model.tar.gz", SECRETS)
    assert [p.name for p in chosen(processes, "rasa,actions")] == ["actions", "redis", "rasa-1", "rasa-2"]
    assert [p.name for p in chosen(processes, "chat, web")] == ["chat", "web"]
    with pytest.raises(click.BadParameter, match="no process called rassa"):
        chosen(processes, "rassa")


def test_rasa_listens_on_loopback_unless_told_and_takes_no_cross_origin_calls(tmp_path: Path) -> None:
    for env, interface in [({}, "127.0.0.1"), ({"RASA_HOST": "10.0.0.7"}, "10.0.0.7")]:
        processes, _ = planned_processes(Settings.from_mapping({"RASA_WORKERS": "1", **env}), "m.tar.gz", SECRETS)
        rasa = next(p for p in processes if p.name == "rasa").command
        assert rasa[rasa.index("--interface") + 1] == interface and "--cors" not in rasa
