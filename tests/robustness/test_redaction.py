"""Credentials never leave the evidence boundary (issue 11).

A corpus of credential formats (taken from the public rule sets of gitleaks' config/gitleaks.toml
and detect-secrets' plugins; the values are made up) must not survive `redact`, and ordinary lines
that merely mention passwords or tokens must come through unchanged. Then every evidence source
(log lines, a PEM block across log lines, termination and waiting messages, event messages,
describe text, env values, annotations) carries credentials through `podmortem explain` in
every output format, and none may be printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podmortem.cli import cli
from podmortem.redact import redact, redact_lines
from podmortem.sources.boundary import guard_text
from podmortem.sources.logs import log_text

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8m2L4xvB"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"

# (line, the secret it holds)
CORPUS = [
    ("connecting to postgres://app:pg-s3cret-77@db:5432/shop", "pg-s3cret-77"),
    ("mongodb+srv://admin:Mongo%21pw9@cluster0.mongodb.net/db", "Mongo%21pw9"),
    ("amqps://guest:rabbit-pw-42@mq:5671/", "rabbit-pw-42"),
    ("Error 99 connecting to redis://:r3dis-pass@redis:6379", "r3dis-pass"),
    ("https://deploy:gh-basic-99@git.example.com/repo.git", "gh-basic-99"),
    ("DB_PASSWORD=hunter2hunter", "hunter2hunter"),
    ("password: Tr0ub4dor&3", "Tr0ub4dor&3"),
    ('{"user":"app","password":"js0n-pw-123"}', "js0n-pw-123"),
    ("login with password s3cr3t-Value", "s3cr3t-Value"),
    ("client_secret=abcDEF123456ghi", "abcDEF123456ghi"),
    ("api_key = 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a39281706"),
    ("X-Api-Key: ak_live_0123456789abcdef", "ak_live_0123456789abcdef"),
    ("token: tkn_ABCdef0123456789", "tkn_ABCdef0123456789"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("using access key AKIAZ7QW3RTY5UIO2PLK", "AKIAZ7QW3RTY5UIO2PLK"),
    ("session ASIAQWERTYUIOPASDFGH expired", "ASIAQWERTYUIOPASDFGH"),
    (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    (f"secret {AWS_SECRET}", AWS_SECRET),
    (f'"SecretAccessKey": "{AWS_SECRET}"', AWS_SECRET),
    ("maps key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
    ('"private_key_id": "0123456789abcdef0123456789abcdef01234567"', "0123456789abcdef0123456789abcdef01234567"),
    ("DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA+/abcd==;"
     "EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA+/abcd=="),
    ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0a2V5MTIzNDU2Nzg=",
     "c2VjcmV0a2V5MTIzNDU2Nzg="),
    ("https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=aBcD1234eFgH5678iJkL%3D", "aBcD1234eFgH5678iJkL%3D"),
    ("cloning with ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
    ("slack: xoxb-2345678901-3456789012-AbCdEfGhIjKlMnOp", "xoxb-2345678901-3456789012-AbCdEfGhIjKlMnOp"),
    ("posting to https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/abcdefghijklmnopqrstuvwx",
     "abcdefghijklmnopqrstuvwx"),
    ('{"name":"STRIPE_API_KEY","value":"sk_test_4eC39HqLyjWDarjtT1zdp7dc"}', "sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
    (f'"private_key": "-----BEGIN PRIVATE KEY-----\\n{PEM_BODY}\\n-----END PRIVATE KEY-----\\n"', PEM_BODY),
]

ORDINARY = [
    "Access denied for user 'root'@'localhost' (using password: YES)",
    "Access denied for user 'app'@'10.0.0.4' (using password: NO)",
    'FATAL:  password authentication failed for user "app"',
    "error: token expired, please log in again",
    "the password is required",
    "MYSQL_ROOT_PASSWORD is not set",
    "secret \"db-creds\" not found",
    "couldn't find key password in Secret shop/db-creds",
    "Error: secret \"app-secrets\" not found",
    "listen tcp 0.0.0.0:8080: bind: address already in use",
    "dial tcp 10.0.3.7:5432: connect: connection refused",
    "http://example.com:8080/health returned 503",
    "KeyError: 'DJANGO_SECRET_KEY'",
    "open /etc/ssl/private/tls.key: no such file or directory",
    "Caused by: java.lang.IllegalStateException: token store not configured",
    'E0712 18:16:20.314448 1 reflector.go:138] *v1.Secret: failed to list *v1.Secret: secrets is forbidden',
    "password: required",
]


@pytest.mark.parametrize(("line", "secret"), CORPUS, ids=[s[:24] for _, s in CORPUS])
def test_no_credential_survives(line: str, secret: str) -> None:
    out = redact(line)
    assert secret not in out, out
    assert "[REDACTED]" in out


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_lines_are_not_mangled(line: str) -> None:
    assert redact(line) == line


def test_pem_block_across_log_lines() -> None:
    lines = ["loading key", "-----BEGIN RSA PRIVATE KEY-----", PEM_BODY, "AAAA" + PEM_BODY[4:],
             "-----END RSA PRIVATE KEY-----", "key loaded"]
    out = redact_lines(lines)
    assert not any(PEM_BODY[8:30] in ln for ln in out)
    assert out[0] == "loading key" and out[-1] == "key loaded"


SECRETS = {
    "log": "log-pw-Zq81x", "pem": PEM_BODY, "termination": "term-pw-Hj27k", "waiting": "AKIAWAITINGKEY123456",
    "event": "ev3nt-Secret-99", "env": "env-pw-Kd93m", "annotation": "ann0-Token-55", "describe": "desc-pw-Lm44q",
    "args": "args-pw-Qx12v",
}


def _pod_objects() -> list[dict[str, object]]:
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "shop-7d9f8-x2x9p", "namespace": "shop",
                     "annotations": {"example.com/dsn": f"postgres://app:{SECRETS['annotation']}@db/shop"}},
        "spec": {"containers": [{
            "name": "app", "image": "shop/app:1", "args": [f"--db-password={SECRETS['args']}"],
            "env": [{"name": "DATABASE_PASSWORD", "value": SECRETS["env"]},
                    {"name": "DATABASE_URL", "value": f"postgres://app:{SECRETS['env']}@db:5432/shop"}]}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "app", "restartCount": 6, "ready": False,
            "state": {"waiting": {"reason": "CrashLoopBackOff",
                                  "message": f"back-off restarting; last error used key {SECRETS['waiting']}"}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "message":
                                         f"panic: connect postgres://app:{SECRETS['termination']}@db:5432/shop: "
                                         "connection refused"}}}]},
    }
    event = {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "Failed",
             "message": f"Error: failed to start: password={SECRETS['event']}",
             "involvedObject": {"kind": "Pod", "name": "shop-7d9f8-x2x9p", "namespace": "shop",
                                "fieldPath": "spec.containers{app}"}}
    return [pod, event]


DESCRIBE = f"""Name:             shop-7d9f8-x2x9p
Namespace:        shop
Status:           Running
Containers:
  app:
    Image:          shop/app:1
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       Error
      Message:      FATAL: could not connect to postgres://app:{SECRETS['describe']}@db:5432/shop
      Exit Code:    1
    Restart Count:  6
    Environment:
      DB_PASSWORD:  {SECRETS['describe']}
Events:
  Type     Reason   Age   From     Message
  ----     ------   ----  ----     -------
  Warning  BackOff  1m    kubelet  Back-off restarting failed container app, token: {SECRETS['describe']}
"""


@pytest.mark.parametrize("fmt", ["text", "wide", "json", "yaml", "markdown", "html"])
def test_explain_prints_no_credential_from_any_source(tmp_path: Path, fmt: str) -> None:
    objects = tmp_path / "pod.json"
    objects.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _pod_objects()}))
    logs = tmp_path / "app.log"
    logs.write_text("\n".join([
        "starting",
        f"connecting with password={SECRETS['log']}",
        "-----BEGIN PRIVATE KEY-----", PEM_BODY, "-----END PRIVATE KEY-----",
        f"panic: dial postgres://app:{SECRETS['log']}@db:5432: connection refused",
    ]) + "\n")
    describe = tmp_path / "describe.txt"
    describe.write_text(DESCRIBE)
    runner = CliRunner()
    for argv in (["explain", str(objects), "--logs", str(logs), "-c", "app", "-o", fmt],
                 ["explain", "--describe", str(describe), "-o", fmt]):
        result = runner.invoke(cli, argv)
        assert result.exit_code in (0, 1), result.output
        assert result.output.strip()
        leaked = [k for k, v in SECRETS.items() if v in result.output]
        assert not leaked, f"{leaked} printed by {' '.join(argv)}:\n{result.output}"


@pytest.mark.parametrize("q", ['"', "\u201c"])
def test_boundary_folds_quotes_before_redacting(q: str) -> None:
    """A paste's curly quotes neither hide an object's name from the rules nor a credential from redaction."""
    close = '"' if q == '"' else "\u201d"
    named = guard_text(f"MountVolume.SetUp failed for volume {q}tls{close} : secret {q}gateway-tls{close} not found")
    assert named == 'MountVolume.SetUp failed for volume "tls" : secret "gateway-tls" not found'
    leaked = guard_text(f"connecting with password={q}hunter2-s3cr3t{close}")
    assert leaked is not None and "hunter2-s3cr3t" not in leaked


def test_hard_wrapped_log_is_rejoined_before_redaction() -> None:
    """Redacting the cut pieces would change their lengths (so the wrap goes unseen) and miss a split credential."""
    line = ("E0611 08:00:01.412399       1 reflector.go:147] failed to list *v1.Secret: secrets is forbidden: "
            'User "system:serviceaccount:ns:sa" cannot list resource "secrets" in API group ""')
    cred = "connecting to db with password=hunter2-s3cr3t-value-that-is-long-enough-to-be-split-by-the-terminal"
    wrapped = [chunk for ln in (line, cred) for chunk in (ln[i:i + 80] for i in range(0, len(ln), 80))]
    assert any(len(c) == 80 and "hunter2" in c for c in wrapped) and "hunter2-s3cr3t" not in wrapped[-1]
    log = log_text("\n".join(wrapped))
    assert len(log.lines) == 2
    assert "cannot list resource" in log.lines[0] and log.lines[0].endswith('in API group ""')
    assert all("s3cr3t" not in t for t in log.lines) and all("s3cr3t" not in r.raw for r in log.records)
