"""Policy packs: the shipped ones load; broken ones fail naming the file, the key and the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from privacy_desk.errors import PolicyError
from privacy_desk.policy import POLICY_DIR, Detail, PolicyPack, RequestKind, Topic, load_pack, load_pack_file

SHIPPED = POLICY_DIR / "itosoft.yml"


def test_shipped_pack_is_complete(pack: PolicyPack) -> None:
    assert set(pack.requests) == set(RequestKind)
    assert set(pack.answers) == set(Topic)
    for kind, rule in pack.requests.items():
        assert rule.response_days > 0, kind
        assert Detail.EMAIL in rule.required_details or Detail.PHONE in rule.required_details
        if kind not in {RequestKind.COMPLAINT, RequestKind.INQUIRY}:
            assert rule.refusal_grounds, f"{pack.id}: {kind} has no refusal grounds"
    assert pack.retention_days > 0


def test_packs_quote_their_own_policies() -> None:
    ito, qs = load_pack("itosoft"), load_pack("qualitysoft")
    assert ito.company.email == "support@itosoft.com"
    assert "019-1602" in ito.company.address.en
    assert qs.company.phone == "+81-3-5275-6121"
    # QualitySoft asks email inquiries for name, company, division, email and phone.
    assert {Detail.COMPANY, Detail.DIVISION, Detail.PHONE} <= set(qs.rule(RequestKind.DISCLOSURE).required_details)
    ground_texts = " ".join(g.text.en for g in ito.rule(RequestKind.DELETION).refusal_grounds)
    assert "seriously impact" in ground_texts


def _write(tmp_path: Path, data: object, name: str = "broken.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _shipped_data() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        (lambda d: d["requests"]["disclosure"].pop("response_days"), "requests.disclosure.response_days",
         "Field required"),
        (lambda d: d["requests"]["deletion"]["required_details"].append("shoe_size"),
         "requests.deletion.required_details", "Input should be"),
        (lambda d: d["requests"]["correction"].update(response_days="soon"), "requests.correction.response_days",
         "valid integer"),
        (lambda d: d["answers"].pop("fee"), "answers", "fee"),
        (lambda d: d["company"].update(colour="blue"), "company.colour", "Extra inputs are not permitted"),
        (lambda d: d["requests"]["disclosure"].update(required_details=["name"]),
         "requests.disclosure", "must include email or phone"),
        (lambda d: d["requests"].update(refund={}), "requests.refund", ""),
    ],
)
def test_broken_pack_names_file_key_and_problem(tmp_path: Path, mutate, key: str, problem: str) -> None:
    data = _shipped_data()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(PolicyError) as info:
        load_pack_file(path)
    message = str(info.value)
    assert str(path) in message
    assert key in message
    assert problem in message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("id: x\ncompany: [unclosed\nretention_days: 3\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"bad\.yml: line \d+, column \d+: not valid YAML"):
        load_pack_file(path)


def test_non_mapping_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "list.yml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="must be a mapping"):
        load_pack_file(path)
    with pytest.raises(PolicyError, match="cannot read"):
        load_pack_file(tmp_path / "absent.yml")
    with pytest.raises(PolicyError, match=r"no policy pack 'nosuch'.*known: itosoft, qualitysoft"):
        load_pack("nosuch")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "privacy_desk", *args], capture_output=True, text=True)


def test_policy_check_command(tmp_path: Path) -> None:
    ok = _cli("policy", "check", str(SHIPPED))
    assert ok.returncode == 0, ok.stderr
    assert "valid policy pack 'itosoft'" in ok.stdout

    data = _shipped_data()
    data["retention_days"] = -5
    bad = _cli("policy", "check", str(_write(tmp_path, data)))
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1, bad.stderr  # one line, no traceback
    assert "retention_days: Input should be greater than 0" in bad.stderr
