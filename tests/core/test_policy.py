"""Policy packs: the shipped ones load; broken ones fail naming the file, the key and the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from privacy_desk.basis import Basis, Statement
from privacy_desk.errors import PolicyError
from privacy_desk.policy import POLICY_DIR, Detail, PolicyPack, RequestKind, Topic, load_pack, load_pack_file

SHIPPED = POLICY_DIR / "itosoft.yml"


def test_shipped_pack_is_complete(pack: PolicyPack) -> None:
    assert set(pack.requests) == set(RequestKind)
    assert set(pack.answers) == set(Topic)
    for kind, rule in pack.requests.items():
        assert rule.target.business_days > 0, kind
        assert Detail.EMAIL in rule.details or Detail.PHONE in rule.details
        for ground in rule.refusal_grounds:  # a ground is the policy's own, quoted, or nothing
            assert ground.basis is Basis.POLICY and ground.quote is not None, (kind, ground.id)
    assert pack.retention_days > 0
    assert pack.calendar.public_holidays == "JP" and pack.calendar.timezone == "Asia/Tokyo"


def test_packs_quote_their_own_policies() -> None:
    ito, qs = load_pack("itosoft"), load_pack("qualitysoft")
    assert ito.company.email == "support@itosoft.com"
    assert ito.company.address is not None and "019-1602" in ito.company.address.en
    assert "太田町" not in (ito.company.address.ja or "")  # not in the policy's address
    assert qs.company.phone is not None
    assert (qs.company.phone.en, qs.company.phone.ja) == ("+81-3-5275-6121", "03-5275-6121")
    assert qs.company.address is None  # the policy gives no postal address
    # QualitySoft asks email inquiries for name, company, division, email and phone: the policy's rule for mail,
    # our setting in the chat.
    details = qs.rule(RequestKind.DISCLOSURE).required_details
    assert {Detail.COMPANY, Detail.DIVISION, Detail.PHONE} <= set(details.details)
    assert details.basis_on("email") is Basis.POLICY and details.basis_on("chat") is Basis.SETTING
    # ITO's policy names no required details ("in the manner specified", never specified): our setting.
    assert ito.rule(RequestKind.DISCLOSURE).required_details.basis is Basis.SETTING
    # Identity: ITO section 8 requires the check; QualitySoft's policy describes none, so it is our setting.
    assert ito.rule(RequestKind.DELETION).identity_check.policy == ("8",)
    assert qs.rule(RequestKind.DELETION).identity_check.basis is Basis.SETTING
    # Refusal grounds: ITO section 8's two; QualitySoft's policy gives none beyond its own redirections.
    ground_texts = " ".join(g.quote.en for g in ito.rule(RequestKind.DELETION).refusal_grounds if g.quote)
    assert "seriously impact" in ground_texts and "violation of laws" in ground_texts
    assert ito.rule(RequestKind.INQUIRY).refusal_grounds == []
    for kind in set(RequestKind) - {RequestKind.CORRECTION}:
        assert qs.rule(kind).refusal_grounds == [], kind
    # Exception 5.4 keeps its condition.
    [public] = [g for g in ito.rule(RequestKind.THIRD_PARTY_OPTOUT).refusal_grounds if g.id == "public_affairs"]
    assert public.quote is not None and "likely to hinder the administration of public affairs" in public.quote.en
    assert "hinder the administration" in ito.answers[Topic.THIRD_PARTY][0].en
    # Omitted rules now told: ITO section 10, QualitySoft's promise not to publicise names.
    assert any("http://www.itosoft.com" in s.en and s.policy == ("10",) for s in ito.about_policy)
    assert "never publicising individual names" in qs.answers[Topic.PURPOSE][0].en
    assert qs.company.office_hours is not None and qs.company.office_hours.policy == ("contact",)
    # The targets and the retention period are ours, not the policies'.
    for pack in (ito, qs):
        assert pack.retention.basis is Basis.SETTING and pack.calendar.basis is Basis.SETTING
        assert all(rule.target.basis is Basis.SETTING for rule in pack.requests.values())
    assert [c.name.en for c in qs.calendar.closures] == ["year-end and New Year holidays"]
    assert ito.calendar.closures == []


def test_every_customer_facing_text_says_where_it_comes_from(pack: PolicyPack) -> None:
    statements = list(pack.statements())
    assert len(statements) > 20
    for where, item in pack.grounded():
        assert sum([item.policy is not None, item.silent, item.setting]) == 1, where
        for section in item.policy or ():
            assert section in pack.sections, where
        if isinstance(item, Statement):
            assert item.ja, f"{where}: no Japanese text"


def _with(mutate) -> dict:
    data = _shipped_data()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        (lambda d: d["requests"]["disclosure"]["caveats"][0].pop("policy"), "requests.disclosure.caveats.0",
         "say where this comes from"),
        (lambda d: d["requests"]["disclosure"]["caveats"][0].update(setting=True), "requests.disclosure.caveats.0",
         "exactly one of"),
        (lambda d: d["answers"]["fee"][0].update(silent=False, setting=True), "answers.fee.0",
         "must not be worded as the policy's"),
        (lambda d: d["requests"]["marketing_optout"]["caveats"][1].update(en="Our privacy policy lets us send them."),
         "requests.marketing_optout.caveats.1", "must not be worded as the policy's"),
        (lambda d: d["answers"]["fee"][0].update(en="There is no fee."), "answers.fee.0", "must name the policy"),
        (lambda d: d["answers"]["purpose"][0].update(policy="99"), "answers.purpose.0",
         "section '99' is not listed"),
        (lambda d: d["requests"]["deletion"]["identity_check"].pop("policy"), "requests.deletion.identity_check",
         "say where this comes from"),
        (lambda d: d["requests"]["deletion"]["refusal_grounds"][0].pop("quote"), "requests.deletion.refusal_grounds",
         "quotes it"),
        (lambda d: d["calendar"].update(public_holidays="XX"), "calendar.public_holidays",
         "no public-holiday calendar"),
        (lambda d: d["calendar"].update(timezone="Mars/Olympus"), "calendar.timezone", "unknown time zone"),
    ],
)
def test_a_text_without_a_sound_basis_is_refused(tmp_path: Path, mutate, key: str, problem: str) -> None:
    path = _write(tmp_path, _with(mutate))
    with pytest.raises(PolicyError) as info:
        load_pack_file(path)
    assert key in str(info.value) and problem in str(info.value), str(info.value)


def test_policy_check_rejects_a_statement_without_a_basis(tmp_path: Path) -> None:
    path = _write(tmp_path, _with(lambda d: d["answers"]["security"][0].pop("policy")))
    bad = _cli("policy", "check", str(path))
    assert bad.returncode == 1
    assert "answers.security.0" in bad.stderr and "say where this comes from" in bad.stderr
    good = _cli("policy", "check", str(POLICY_DIR / "qualitysoft.yml"))
    assert good.returncode == 0, good.stderr
    assert "to confirm with the company: company.responsible.ja" in good.stdout
    assert "policy," in good.stdout and "setting" in good.stdout


def _write(tmp_path: Path, data: object, name: str = "broken.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _shipped_data() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        (lambda d: d["requests"]["disclosure"].pop("target"), "requests.disclosure.target",
         "Field required"),
        (lambda d: d["requests"]["deletion"]["required_details"]["details"].append("shoe_size"),
         "requests.deletion.required_details.details", "Input should be"),
        (lambda d: d["requests"]["correction"]["target"].update(business_days="soon"),
         "requests.correction.target.business_days", "valid integer"),
        (lambda d: d["answers"].pop("fee"), "answers", "fee"),
        (lambda d: d["company"].update(colour="blue"), "company.colour", "Extra inputs are not permitted"),
        (lambda d: d["requests"]["disclosure"].update(required_details={"setting": True, "details": ["name"]}),
         "requests.disclosure.required_details", "must include email or phone"),
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
    path.write_text("id: x\ncompany: [unclosed\nretention: 3\n", encoding="utf-8")
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
    return subprocess.run([sys.executable, "-m", "desk_app", *args], capture_output=True, text=True)


def test_policy_check_command(tmp_path: Path) -> None:
    ok = _cli("policy", "check", str(SHIPPED))
    assert ok.returncode == 0, ok.stderr
    assert "valid policy pack 'itosoft'" in ok.stdout

    data = _shipped_data()
    data["retention"]["days"] = -5
    bad = _cli("policy", "check", str(_write(tmp_path, data)))
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1, bad.stderr  # one line, no traceback
    assert "retention.days: Input should be greater than 0" in bad.stderr
