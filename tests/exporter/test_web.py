"""The HTTP face with TLS and basic auth (exporter-toolkit format), and the log redaction."""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt
import pytest

from exporter import logs, webconfig
from exporter.config import ConfigError
from tests.exporter.servers import free_port, wait_until


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.mark.parametrize("raw", [
    pytest.param({"basic_auth_user": {}}, id="a misspelt key is refused, not ignored"),
    pytest.param({"basic_auth_users": {"a": "plain"}}, id="a password that is not bcrypt"),
    pytest.param({"tls_server_config": {"cert_file": "c.pem"}}, id="a cert without its key"),
    pytest.param({"tls_server_config": {"cert_file": "c", "key_file": "k",
                                        "min_version": "SSL3"}}, id="an unknown TLS version"),
])
def test_bad_web_configs(raw: dict, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        webconfig.parse(raw, tmp_path)


@pytest.mark.parametrize(("header", "ok"), [
    pytest.param("Basic " + base64.b64encode(b"prom:right").decode(), True, id="right password"),
    pytest.param("Basic " + base64.b64encode(b"prom:wrong").decode(), False, id="wrong password"),
    pytest.param("Basic " + base64.b64encode(b"eve:right").decode(), False, id="unknown user"),
    pytest.param("Basic !!!", False, id="garbage"),
    pytest.param(None, False, id="no header"),
])
def test_basic_auth(header: str | None, ok: bool) -> None:
    import asyncio

    auth = webconfig.BasicAuth((("prom", _hash("right").encode()),))
    assert asyncio.run(auth.check(header)) is ok


def test_logs_never_show_a_registered_secret() -> None:
    stream = io.StringIO()
    logs.setup("json", ["s3cr3t-token"], stream=stream)
    log = logging.getLogger("exporter.test")
    log.warning("failed with %s", "Authorization: token s3cr3t-token",
                extra={"server": "dev", "error": "url?token=s3cr3t-token"})
    try:
        raise RuntimeError("boom s3cr3t-token")
    except RuntimeError:
        log.exception("oops")
    out = stream.getvalue()
    assert "s3cr3t-token" not in out
    first = json.loads(out.splitlines()[0])
    assert first["server"] == "dev" and logs.MASK in first["msg"]


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    return cert, key


@pytest.mark.real
@pytest.mark.timeout(90)
def test_tls_and_basic_auth_on_a_running_exporter(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    config = tmp_path / "web.yml"
    config.write_text(f"tls_server_config:\n  cert_file: {cert.name}\n  key_file: {key.name}\n"
                      f"basic_auth_users:\n  prom: '{_hash('right')}'\n")
    context = ssl.create_default_context(cafile=str(cert))
    port = free_port()
    log_path = tmp_path / "exp.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "exporter", f"--web.listen-address=127.0.0.1:{port}",
         f"--web.config.file={config}", "--jupyter-url=http://127.0.0.1:1/",
         "--probe-interval=0"], stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
        cwd=str(Path(__file__).resolve().parents[2]))
    base = f"https://127.0.0.1:{port}/"
    try:
        def get(path: str, user: str | None = None) -> int:
            req = urllib.request.Request(base + path)
            if user:
                req.add_header("Authorization",
                               "Basic " + base64.b64encode(user.encode()).decode())
            try:
                with urllib.request.urlopen(req, context=context, timeout=5) as resp:
                    return resp.status
            except urllib.error.HTTPError as exc:
                return exc.code
        wait_until(lambda: get("healthz") == 200, 30, "the TLS listener")
        assert get("metrics") == 401
        assert get("metrics", "prom:wrong") == 401
        assert get("metrics", "prom:right") == 200
        assert get("", "prom:right") == 200
        with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
