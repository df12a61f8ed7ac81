"""Secrets never leave the process (issue 12, item 4; case ../shared/cases/trust/password_echoed):
a metadata URL's password (any scheme spelling, any driver suffix), the KFP token and secret
environment values are masked in every message, log, store record, report and compiled file.

The end-to-end test plants secrets, then runs the real `tfxkit` command: a full run whose user
code prints them, a failed run whose error carries them, runs/lineage/report, a compile, a
deploy to a dead endpoint and metadata URLs with passwords; it then greps every byte that was
printed or written (stdout/stderr, node logs, the SQLite store, the YAML, the HTML report).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.metadata.cli_pipeline import run_tfxkit, tfxkit_env, write_tiny
from tfxkit import Output, Parameter, Pipeline, component
from tfxkit.cli.main import main
from tfxkit.errors import MetadataError, TfxkitError
from tfxkit.metadata.store import parse
from tfxkit.secrets import has_url_password, mask_secrets, mask_url, secrets_in
from tfxkit.types.standard_artifacts import Examples

PASSWORD = "not-a-real-secret"


# -- the masking function ------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "masked"), [
    (f"MYSQL://ml:{PASSWORD}@db.example/meta", "MYSQL://ml:***@db.example/meta"),
    (f"mysql+pymysql://ml:{PASSWORD}@db.example/meta", "mysql+pymysql://ml:***@db.example/meta"),
    (f"mysql://ml:{PASSWORD}@db.example/meta", "mysql://ml:***@db.example/meta"),
    (f"see 'MariaDB://ml:{PASSWORD}@db:3306/m' now", "see 'MariaDB://ml:***@db:3306/m' now"),
    ("https://user:p@ss/w0rd@host.example/x", "https://user:***@host.example/x"),
    (f"postgresql+psycopg2://u:{PASSWORD}@h/db", "postgresql+psycopg2://u:***@h/db"),
    (f"dsn host=h password={PASSWORD} user=u", "dsn host=h password=*** user=u"),
    (f"https://h/api?token={PASSWORD}&x=1", "https://h/api?token=***&x=1"),
    (f'mysql {{ password: "{PASSWORD}" }}', 'mysql { password: "***" }'),
    (f'{{"password": "{PASSWORD}"}}', '{"password": "***"}'),
    (f"Authorization: Bearer {PASSWORD}x", "Authorization: Bearer ***"),
])
def test_secrets_in_text_are_masked(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked
    assert PASSWORD not in mask_secrets(text)


@pytest.mark.parametrize("text", [
    "mysql://ml@db.example:3306/meta",
    "sqlite:////tmp/out/metadata.sqlite",
    "gs://bucket/pipeline_root/Trainer/model/4",
    "http://localhost:8080/pipeline",
    "The metadata URL carries a password; expected mysql://user@host:port/db",
    "tokenizer: bert, passwords are not in here",
    "",
])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_secrets(text) is text


def test_secret_environment_values_are_masked_wherever_they_appear() -> None:
    env = {"TFXKIT_METADATA_PASSWORD": "pw-in-env-1", "TFXKIT_KFP_TOKEN": "kfp-token-2",
           "AWS_SECRET_ACCESS_KEY": "aws-key-3", "GITHUB_TOKEN": "ghp-4xyz",
           "DB_PASSWORD_FILE": "/run/secrets/db", "KF_PIPELINES_SA_TOKEN_PATH": "/var/token",
           "TOKENIZERS_PARALLELISM": "false", "PWD": "/home/me", "MY_TOKEN": "abc",
           "USE_SECRET": "true", "SECRETS_MANAGER_REGION": "us-east-1",
           "PASSWORD_MIN_LENGTH": "12345", "MYSQL_PWD": "mysql-pwd-5"}
    text = ("pw-in-env-1 kfp-token-2 aws-key-3 ghp-4xyz /run/secrets/db /var/token false "
            "/home/me abc true us-east-1 12345 mysql-pwd-5")
    assert mask_secrets(text, env) == "*** *** *** *** /run/secrets/db /var/token false " \
                                      "/home/me abc true us-east-1 12345 ***"
    assert secrets_in(text, env) == ["the value of $AWS_SECRET_ACCESS_KEY",
                                     "the value of $GITHUB_TOKEN",
                                     "the value of $MYSQL_PWD",
                                     "the value of $TFXKIT_KFP_TOKEN",
                                     "the value of $TFXKIT_METADATA_PASSWORD"]


def test_a_plain_word_password_does_not_block_writing_text_that_uses_the_word() -> None:
    env = {"TFXKIT_METADATA_PASSWORD": "metadata"}
    assert secrets_in("artifact metadata: {}", env) == []
    assert mask_secrets("artifact metadata: {}", env) == "artifact ***: {}"  # still masked
    assert secrets_in("x: Metadata-2024!", {"TFXKIT_METADATA_PASSWORD": "Metadata-2024!"}) == [
        "the value of $TFXKIT_METADATA_PASSWORD"]


def test_url_helpers() -> None:
    assert mask_url(f"MYSQL://ml:{PASSWORD}@db.example/meta") == "MYSQL://ml:***@db.example/meta"
    assert has_url_password(f"mysql+pymysql://ml:{PASSWORD}@db/meta")
    assert has_url_password(f"mysql://ml@db/meta?password={PASSWORD}")
    assert not has_url_password("mysql://ml@db:3306/meta")


def test_every_tfxkit_error_masks_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFXKIT_KFP_TOKEN", "kfp-secret-token")
    error = TfxkitError(f"could not reach MYSQL://ml:{PASSWORD}@db/meta with kfp-secret-token")
    assert str(error) == "could not reach MYSQL://ml:***@db/meta with ***"


# -- metadata URLs (the case) ----------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    f"MYSQL://ml:{PASSWORD}@db.example/meta",  # A: upper-case scheme
    f"mysql+pymysql://ml:{PASSWORD}@db.example/meta",  # B: driver-qualified scheme
    f"mysql://ml:{PASSWORD}@db.example/meta",  # C
    f"MariaDB+mysqldb://ml:{PASSWORD}@db.example/meta",
    f"mysql://ml@db.example/meta?password={PASSWORD}",
])
def test_password_in_a_metadata_url_is_refused_without_echoing_it(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["runs", "--metadata", url]) == 1
    printed = capsys.readouterr()
    assert PASSWORD not in printed.out + printed.err
    assert "carries a password" in printed.err and "TFXKIT_METADATA_PASSWORD" in printed.err
    assert ":***@" in printed.err or "password=***" in printed.err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(MetadataError) as caught:  # a Pipeline's metadata gets the same answer
        from tests.resources.tiny_pipelines import make_examples
        from tfxkit.runners import LocalDagRunner
        from tfxkit.runners.local import SilentReporter

        LocalDagRunner(workers=0, hooks=SilentReporter()).run(
            Pipeline("p", str(tmp_path / "root"), [make_examples(root=str(tmp_path))],
                     metadata=url))
    assert PASSWORD not in str(caught.value) and "carries a password" in str(caught.value)


def test_driver_suffixes_and_scheme_case_are_understood() -> None:
    info = parse("MySQL+PyMySQL://ml@db.example:3307/meta")
    assert (info.kind, info.host, info.port, info.database, info.user) == (
        "mysql", "db.example", 3307, "meta", "ml")
    assert parse("SQLITE:///rel.sqlite").kind == "sqlite"
    with pytest.raises(MetadataError, match=r"postgres://u:\*\*\*@h/db"):
        parse(f"postgres://u:{PASSWORD}@h/db")


# -- everything tfxkit prints or writes ----------------------------------------------------------
SECRETS = {"TFXKIT_METADATA_PASSWORD": "not-a-real-secret-pw",
           "TFXKIT_KFP_TOKEN": "not-a-real-kfp-token",
           "TEAM_SERVICE_API_KEY": "not-a-real-api-key",
           "TEAM_DB_PW_VALUE": "not-a-real-db-pw"}  # a name no rule knows: with_secret names it


@pytest.mark.integration
def test_no_output_of_a_run_a_failed_run_or_a_compile_holds_a_planted_secret(
        tmp_path: Path) -> None:
    tiny = write_tiny(tmp_path)
    env = tfxkit_env(**SECRETS)
    url = f"MYSQL://ml:{SECRETS['TFXKIT_METADATA_PASSWORD']}@db.example/meta"
    printed: list[str] = []

    def tfxkit(*args: str, expect: int) -> subprocess.CompletedProcess[str]:
        done = run_tfxkit(*args, cwd=tmp_path, env=env)
        printed.extend([done.stdout, done.stderr])
        assert done.returncode == expect, done.stderr
        return done

    # a full run: a parameter holds a URL with the password; user code prints the secrets
    tfxkit("run", str(tiny), "-p", "pipeline_root=out", "-p", f"note={url}", "-p", "talk=1",
           "-p", "secret_env=TEAM_DB_PW_VALUE", expect=0)
    logs = [p.read_text() for p in (tmp_path / "out" / "train" / ".logs").iterdir()]
    assert any("connecting to MYSQL://ml:***@db.example/meta with token ***" in log
               for log in logs)
    assert any("the with_secret value is ***" in log for log in logs)
    # a failed run: the user's error message carries all three
    failed = tfxkit("run", str(tiny), "-p", "pipeline_root=out", "-p", "talk=1", "-p",
                    f"fail_msg=cannot reach {url} (token {SECRETS['TFXKIT_KFP_TOKEN']}, key "
                    f"{SECRETS['TEAM_SERVICE_API_KEY']}, pw {SECRETS['TEAM_DB_PW_VALUE']})",
                    "-p", "secret_env=TEAM_DB_PW_VALUE", expect=1)
    assert "cannot reach MYSQL://ml:***@db.example/meta (token ***, key ***, pw ***)" in \
        failed.stderr
    # what the query commands show and write
    tfxkit("runs", "--metadata", "out/metadata.sqlite", expect=0)
    tfxkit("lineage", "2", "--metadata", "out/metadata.sqlite", expect=0)
    tfxkit("report", "latest", "--metadata", "out/metadata.sqlite", "-o", "report.html", expect=0)
    # metadata URLs with passwords, for a run and a query
    tfxkit("run", str(tiny), "-p", "pipeline_root=out2", "-p", f"metadata={url}", expect=1)
    tfxkit("runs", "--metadata", url.replace("MYSQL", "mysql+pymysql"), expect=1)
    # a compile (secrets only in the environment): the YAML holds none
    tfxkit("compile", str(tiny), "-o", "pipeline.yaml", "--image", "img:1", expect=0)
    assert (tmp_path / "pipeline.yaml").stat().st_size > 0
    # a compile whose parameter holds a secret is refused, and writes nothing
    refused = tfxkit("compile", str(tiny), "-o", "leaky.yaml", "--image", "img:1", "-p",
                     f"note={url}", expect=1)
    assert "Not writing leaky.yaml" in refused.stderr and ":***@" in refused.stderr
    assert not (tmp_path / "leaky.yaml").exists()
    # a deploy to an endpoint that is not there, with the KFP token set
    tfxkit("deploy", str(tiny), "--host", "http://127.0.0.1:9", "--image", "img:1", expect=1)

    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "tiny.py"]
    assert any(p.name == "metadata.sqlite" for p in written)
    assert any(p.suffix == ".log" for p in written)
    for name, secret in SECRETS.items():
        assert all(secret not in text for text in printed), f"${name} was printed"
        leaked = [str(p.relative_to(tmp_path)) for p in written
                  if secret.encode() in p.read_bytes()]
        assert not leaked, f"${name} was written to {leaked}"



@component
def leak_env(examples: Output[Examples], name: Parameter[str]) -> None:
    """User code whose error quotes a secret it read from the environment."""
    raise ValueError(f"the database refused password {os.environ.get(name)!r}")


def test_with_secret_variables_are_masked_in_a_run_and_its_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A secret under a name no rule knows (`DBPW`), declared by `with_secret`: masked in the
    node's error, its ML Metadata record and the run's ExecutionError, read after the run."""
    from tfxkit.errors import ExecutionError
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    monkeypatch.setenv("DBPW", "plain-db-pw-77")
    monkeypatch.delenv("TFXKIT_SECRET_ENV", raising=False)
    node = leak_env(name="DBPW").with_secret("db", {"password": "DBPW"})
    with pytest.raises(ExecutionError) as caught:
        LocalDagRunner(workers=0, hooks=SilentReporter()).run(
            Pipeline("withsecret", str(tmp_path / "root"), [node]))
    assert "the database refused password '***'" in str(caught.value)
    assert "plain-db-pw-77" not in str(caught.value)
    assert "TFXKIT_SECRET_ENV" not in os.environ  # restored after the run
    assert b"plain-db-pw-77" not in (tmp_path / "root" / "metadata.sqlite").read_bytes()
