"""--secret parsing, COG_CA_CERT loading, --openapi-schema checks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cog_py.build.cacert import load_ca_cert
from cog_py.build.plan import SecretSpec
from cog_py.build.schema import load_schema_file
from cog_py.build.secrets import cli_form, parse_secret
from cog_py.errors import BuildError

PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def test_secret_from_file(tmp_path: Path) -> None:
    (tmp_path / "tok.txt").write_text("s3cret")
    spec = parse_secret("id=tok,src=tok.txt", tmp_path)
    assert spec == SecretSpec(id="tok", src=str(tmp_path / "tok.txt"))
    assert cli_form(spec) == f"id=tok,src={tmp_path / 'tok.txt'}"


def test_secret_from_env(tmp_path: Path) -> None:
    assert parse_secret("id=tok,env=MY_TOKEN", tmp_path) == SecretSpec(id="tok", env="MY_TOKEN")
    assert parse_secret("type=env,id=TOKEN", tmp_path) == SecretSpec(id="TOKEN", env="TOKEN")


@pytest.mark.parametrize(("value", "message"), [
    ("id=tok,colour=red", "unexpected key 'colour'"),
    ("src=x", "id is required"),
    ("id=tok,src=missing.txt", "file not found"),
    ("id=tok,type=ssh", "type must be file or env"),
    ("justtext", "expected key=value pairs"),
])
def test_bad_secrets(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        parse_secret(value, tmp_path)


def test_ca_cert_forms(tmp_path: Path) -> None:
    assert load_ca_cert({}) is None
    assert load_ca_cert({"COG_CA_CERT": PEM}) == PEM
    (tmp_path / "a.crt").write_text(PEM)
    assert load_ca_cert({"COG_CA_CERT": str(tmp_path / "a.crt")}) == PEM
    (tmp_path / "b.pem").write_text(PEM.replace("fake", "other"))
    both = load_ca_cert({"COG_CA_CERT": str(tmp_path)})
    assert both is not None and both.count("BEGIN CERTIFICATE") == 2
    encoded = base64.b64encode(PEM.encode()).decode()
    assert load_ca_cert({"COG_CA_CERT": encoded}) == PEM


def test_ca_cert_invalid(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="COG_CA_CERT: invalid value"):
        load_ca_cert({"COG_CA_CERT": "not a cert!"})
    (tmp_path / "x.crt").write_text("hello")
    with pytest.raises(BuildError, match="COG_CA_CERT: invalid value - expected a PEM certificate"):
        load_ca_cert({"COG_CA_CERT": str(tmp_path / "x.crt")})


def test_openapi_schema_file(tmp_path: Path) -> None:
    good = {"openapi": "3.0.2", "info": {"title": "Cog", "version": "1"}, "paths": {}}
    (tmp_path / "s.json").write_text(json.dumps(good))
    assert load_schema_file(tmp_path / "s.json") == good
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(BuildError, match="Model schema is invalid"):
        load_schema_file(tmp_path / "bad.json")
    (tmp_path / "v2.json").write_text(json.dumps({"swagger": "2.0", "paths": {}}))
    with pytest.raises(BuildError, match="not an OpenAPI 3 document"):
        load_schema_file(tmp_path / "v2.json")
    with pytest.raises(BuildError, match="cannot read the file"):
        load_schema_file(tmp_path / "absent.json")
