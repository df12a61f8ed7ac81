"""Masking secrets in every text tfxkit prints, logs, records or writes.

`mask_secrets(text)` is the one function every output path goes through: error messages (every
`TfxkitError` masks its own text), the local runner's progress and node logs, ML Metadata
records (`tfxkit.metadata.record.set_value`), reports and compiled pipelines. It replaces with
`***`:

- the password in a URL's userinfo, whatever the scheme's spelling (`MYSQL://u:pw@h/db`,
  `mysql+pymysql://u:pw@h/db`, `https://u:pw@host/...`), so `MYSQL://ml:***@db.example/meta`;
- `password=...`, `token=...`, `secret=...`, `api_key=...` pairs (query strings, DSNs), the
  quoted value of `password: "..."` (protobuf text, ml-metadata's connection log) and of JSON
  `"password": "..."`, and `Bearer <token>`;
- the value of every environment variable that holds a secret: `TFXKIT_METADATA_PASSWORD`,
  `TFXKIT_KFP_TOKEN`, and any variable whose name ends saying it is one (`*_PASSWORD`,
  `*_TOKEN`, `*_SECRET`, `*_API_KEY`, `*_ACCESS_KEY`, `*_CREDENTIALS`, `*_PWD`, ...; not
  `*_TOKEN_PATH`, `*_PASSWORD_FILE`, `SECRETS_MANAGER_REGION`), and every variable listed in
  `TFXKIT_SECRET_ENV` (the local runner lists those of `with_secret`), wherever it appears. Values
  shorter than 4 characters and booleans are left alone: masking them would garble every
  message without protecting anything.

Only the standard library is imported, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

__all__ = ["MASK", "SECRET_ENV_LIST", "declared_secret_env", "has_url_password", "mask_file",
           "mask_secrets", "mask_url", "secret_values", "secrets_in"]

MASK = "***"

# Environment variables tfxkit itself reads secrets from (kept in sync with
# tfxkit.metadata.store.PASSWORD_ENV and tfxkit.runners.kubeflow.deploy.TOKEN_ENV).
KNOWN_SECRET_ENV = ("TFXKIT_METADATA_PASSWORD", "TFXKIT_KFP_TOKEN")
# Comma-separated names of further variables holding secrets, whatever they are called: the local
# runner lists the variables of every node's `with_secret` here while it runs.
SECRET_ENV_LIST = "TFXKIT_SECRET_ENV"

# The name must END with the word: DB_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, MYSQL_PWD,
# but not TOKENIZERS_PARALLELISM, SECRETS_MANAGER_REGION, PASSWORD_MIN_LENGTH or PWD itself.
_SECRET_ENV_NAME = re.compile(
    r"(?:^|_)(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|CREDENTIALS|APIKEY|API_KEY|"
    r"ACCESS_KEY|SECRET_KEY|PRIVATE_KEY|AUTH_KEY)$|_PWD$", re.IGNORECASE)
_HARMLESS_VALUES = {"true", "false", "none", "null", "yes", "no", "on", "off"}
MIN_SECRET_CHARS = 4
_PLAIN_WORD = re.compile(r"[a-z]{1,12}")

# scheme://user:PASSWORD@host — the password may hold '/' or '@' when a user forgot to
# percent-encode it, so it runs to the last '@' before the host (over-masking is the safe side).
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"<>]*:)(?P<secret>[^\s'\"<>]+)"
    r"(?P<tail>@[^\s@/'\"<>]*)")
_PAIR = re.compile(
    r"(?P<head>\b(?:password|passwd|passphrase|token|access_token|refresh_token|id_token|"
    r"secret|client_secret|api_key|apikey|access_key|secret_key)=)(?P<secret>[^&\s'\"<>;,]+)",
    re.IGNORECASE)
_QUOTED = re.compile(
    r"(?P<head>\b(?:password|passwd|token|secret|api_key|apikey)\"?\s*:\s*\")"
    r"(?P<secret>(?:[^\"\\]|\\.)*)(?P<tail>\")", re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>\b(?:Bearer|Basic)\s+)(?P<secret>[A-Za-z0-9._~+/=\-]{8,})")


def _is_secret_name(name: str, listed: set[str]) -> bool:
    if name in KNOWN_SECRET_ENV or name in listed:
        return True
    return bool(_SECRET_ENV_NAME.search(name))


def _secret_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Secret-holding environment variables: name -> value (see module docstring)."""
    env = os.environ if environ is None else environ
    listed = {n.strip() for n in env.get(SECRET_ENV_LIST, "").split(",") if n.strip()}
    return {name: value for name, value in env.items()
            if _is_secret_name(name, listed) and len(value) >= MIN_SECRET_CHARS
            and value.strip().lower() not in _HARMLESS_VALUES}


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of secret-holding environment variables (see module docstring), longest
    first, so that a secret containing another is masked whole."""
    return sorted(set(_secret_env(environ).values()), key=len, reverse=True)


def mask_secrets(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with every secret replaced by `***` (see module docstring for what counts).

    Args:
        text: any text tfxkit is about to print, log, record or write.
        environ: where secret environment variables are read (default `os.environ`).

    Returns:
        The masked text (the same object when nothing was masked).
    """
    if not text:
        return text
    masked = text
    for value in secret_values(environ):
        if value in masked:
            masked = masked.replace(value, MASK)
    if "://" in masked and "@" in masked:
        masked = _URL_PASSWORD.sub(
            lambda m: m.group("head") + (m.group("secret") if m.group("secret") == MASK
                                         else MASK) + m.group("tail"), masked)
    if "=" in masked:
        masked = _PAIR.sub(lambda m: m.group("head") + MASK, masked)
    if ":" in masked:
        masked = _QUOTED.sub(lambda m: m.group("head") + MASK + m.group("tail"), masked)
    if "Bearer" in masked or "Basic" in masked:
        masked = _BEARER.sub(lambda m: m.group("head") + MASK, masked)
    return text if masked == text else masked


def secrets_in(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """What kinds of secret `text` holds, described without their values (e.g. "the value of
    $TFXKIT_KFP_TOKEN", "a password in a URL"), for errors that refuse to write it.

    A secret environment value that is a plain word (up to 12 lowercase letters, such as
    "metadata") is not counted: it is more likely the text's own vocabulary than a leak, and
    refusing would block every compile on that machine (`mask_secrets` still masks it)."""
    found = []
    for name, value in sorted(_secret_env(environ).items()):
        if _PLAIN_WORD.fullmatch(value):
            continue
        if value in text:
            found.append(f"the value of ${name}")
            text = text.replace(value, MASK)
    if _URL_PASSWORD.search(text.replace(f":{MASK}@", "@")):
        found.append("a password in a URL")
    if any(m.group("secret") != MASK for m in _PAIR.finditer(text)):
        found.append("a password, token or key parameter")
    if any(m.group("secret") != MASK for m in _QUOTED.finditer(text)):
        found.append("a quoted password or token")
    if _BEARER.search(text):
        found.append("a bearer token")
    return found


@contextlib.contextmanager
def declared_secret_env(names: Iterable[str]) -> Iterator[None]:
    """While active, the environment variables `names` count as secrets (listed in
    `TFXKIT_SECRET_ENV`, so worker processes started meanwhile know them too); the previous
    list is restored afterwards."""
    names = sorted(set(names))
    if not names:
        yield
        return
    before = os.environ.get(SECRET_ENV_LIST)
    listed = [n for n in (before or "").split(",") if n]
    os.environ[SECRET_ENV_LIST] = ",".join(sorted(set(listed) | set(names)))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SECRET_ENV_LIST, None)
        else:
            os.environ[SECRET_ENV_LIST] = before


def has_url_password(url: str) -> bool:
    """Whether `url` carries a password in its userinfo (`scheme://user:password@host`) or a
    `password=` query parameter."""
    return bool(_URL_PASSWORD.search(url) or _PAIR.search(url))


def mask_url(url: str) -> str:
    """`url` as it may be quoted back: its userinfo password (and any secret parameter)
    replaced by `***`, e.g. `MYSQL://ml:***@db.example/meta`."""
    return mask_secrets(url)


def mask_file(path: str | os.PathLike[str]) -> bool:
    """Mask secrets in the text file at `path` in place (line by line, so logs of any size
    stream through); return whether anything was masked. A missing file is left alone."""
    file = Path(path)
    try:
        with open(file, encoding="utf-8", errors="surrogateescape") as reader:
            if not any(mask_secrets(line) != line for line in reader):
                return False
    except FileNotFoundError:
        return False
    handle, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".masking")
    try:
        with open(file, encoding="utf-8", errors="surrogateescape") as reader, \
                os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as writer:
            for line in reader:
                writer.write(mask_secrets(line))
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True
