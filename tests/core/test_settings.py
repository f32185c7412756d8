import re
from pathlib import Path

import pytest

from privacy_desk.errors import ConfigError
from privacy_desk.settings import PROJECT_ROOT, Settings, load_settings


def test_defaults_need_no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("PRIVACY_POLICY", "DATABASE_URL", "PRIVACY_DESK_DATA", "RASA_URL"):
        monkeypatch.delenv(key, raising=False)
    settings = load_settings(tmp_path / "absent.env")
    assert settings.privacy_policy == "itosoft"
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'privacy-desk.db'}"
    assert settings.rasa_url == "http://127.0.0.1:5005"


def test_env_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PRIVACY_POLICY=qualitysoft\nSMTP_PORT=2525\nIMAP_TLS=no\n", encoding="utf-8")
    monkeypatch.delenv("PRIVACY_POLICY", raising=False)
    monkeypatch.setenv("SMTP_PORT", "2626")
    settings = load_settings(env)
    assert (settings.privacy_policy, settings.smtp_port, settings.imap_tls) == ("qualitysoft", 2626, False)


@pytest.mark.parametrize(("env", "message"), [
    ({"SMTP_PORT": "twenty"}, "SMTP_PORT='twenty' is not a whole number"),
    ({"IMAP_TLS": "maybe"}, "IMAP_TLS='maybe' is not true or false"),
    ({"SMTP_SECURITY": "tls13"}, "must be none, starttls or ssl"),
    ({"STAFF_DIGEST_HOUR": "24"}, "STAFF_DIGEST_HOUR=24 must be an hour from 0 to 23"),
    ({"STAFF_DIGEST_DAYS": "0"}, "STAFF_DIGEST_DAYS=0 must be between 1 and 60 business days"),
])
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_mapping(env)


def test_staff_mail_settings_and_their_defaults() -> None:
    bare = Settings.from_mapping({"WEB_PORT": "9000"})
    assert (bare.staff_digest_days, bare.staff_digest_hour, bare.staff_app_url) == (3, 8, "http://127.0.0.1:9000")
    chosen = Settings.from_mapping({"STAFF_DIGEST_DAYS": "5", "STAFF_DIGEST_HOUR": "7",
                                    "STAFF_APP_URL": "https://desk.example.com/"})
    assert (chosen.staff_digest_days, chosen.staff_digest_hour, chosen.staff_app_url) == (
        5, 7, "https://desk.example.com")


def test_env_example_documents_every_setting() -> None:
    documented = {line.split("=", 1)[0].lstrip("# ").strip()
                  for line in (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
                  if "=" in line and not line.startswith("# ")}
    source = (PROJECT_ROOT / "privacy_desk" / "settings.py").read_text(encoding="utf-8")
    used = set(re.findall(r'env(?:\.get\(|, )"([A-Z][A-Z0-9_]+)"', source))
    assert {"DATABASE_URL", "SMTP_PORT", "IMAP_TLS"} <= used
    assert used <= documented, f"undocumented settings: {sorted(used - documented)}"
