"""Serving safely: loopback by default, the network only with credentials; uploads checked."""

import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import gradio as gr
import pytest

from qa.errors import SettingsError
from tests.conftest import DEMO
from tests.serving import QA, served
from ui.index_panel import IndexPanel
from ui.security import auth_from_env, check_exposure, is_loopback, parse_auth


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_password(host):
    assert is_loopback(host)
    check_exposure(host, share=False, auth=[])


@pytest.mark.parametrize("host, share", [("0.0.0.0", False), ("192.168.1.5", False), ("127.0.0.1", True)])
def test_network_or_share_without_auth_is_refused(host, share):
    with pytest.raises(SettingsError, match="QA_AUTH=user:password"):
        check_exposure(host, share=share, auth=[])
    check_exposure(host, share=share, auth=[("ana", "s3cret")])


def test_auth_from_a_value_or_a_file(tmp_path):
    assert parse_auth("ana:s3cret:with-colon") == [("ana", "s3cret:with-colon")]
    creds = tmp_path / "users"
    creds.write_text("# team\nana:one\nbo:two\n")
    assert parse_auth(str(creds)) == [("ana", "one"), ("bo", "two")]
    assert auth_from_env({}) == []
    with pytest.raises(SettingsError, match="neither user:password nor the path of a readable file"):
        parse_auth(str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="user:password"):
        parse_auth("ana:")


@pytest.mark.parametrize("value", ["hunter2-no-colon", ":hunter2", "hunter2:"])
def test_a_bad_auth_value_is_never_echoed(value):
    with pytest.raises(SettingsError) as err:
        parse_auth(value)
    assert "hunter2" not in str(err.value), str(err.value)


def test_serve_on_the_network_without_auth_exits_with_one_line(tmp_path):
    done = subprocess.run([QA, "serve", "--host", "0.0.0.0", "--index-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "refusing to serve on 0.0.0.0" in done.stderr


class _NoIndex:
    """Enough of an Index for the upload checks, which run before anything is ingested."""
    path = Path("/nonexistent")


@pytest.mark.parametrize("files, message", [
    (None, "choose one or more files"),
    ([], "choose one or more files"),
    (["/tmp/report.docx", "/tmp/notes.md"], "not an article file: report.docx"),
])
def test_upload_refuses_nothing_and_wrong_types(files, message):
    with pytest.raises(gr.Error, match=message):
        IndexPanel(_NoIndex()).upload(files)


@pytest.mark.model
def test_served_on_the_network_with_auth_the_page_needs_a_login(tmp_path):
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index"), "QA_AUTH": "ana:s3cret"}
    subprocess.run([QA, "ingest", "--quiet", str(DEMO / "2024-12-02-tal-rifaat.md")], env=env, check=True)

    def status(base, path, form=None):
        data = urllib.parse.urlencode(form).encode() if form else None
        try:
            return urllib.request.urlopen(base + path, data=data, timeout=5).status
        except urllib.error.HTTPError as exc:
            return exc.code

    with served(env, tmp_path / "serve.log", "--host", "0.0.0.0") as base:
        assert status(base, "config") == 401  # nothing without a login
        assert status(base, "login", {"username": "ana", "password": "wrong"}) == 400
        assert status(base, "login", {"username": "ana", "password": "s3cret"}) == 200


def _status(url: str, host: str, data: bytes | None = None, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers={"Host": host, **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.model  # qa serve over an index of the real model
def test_a_foreign_host_is_refused_by_the_app_the_api_and_mcp(tmp_path):
    """DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends Host:
    evil.example. The page, /search and MCP answer 400 and nothing is removed; loopback names
    and the names the user lists (QA_ALLOWED_HOSTS) are served."""
    pytest.importorskip("mcp")
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index"), "QA_ALLOWED_HOSTS": "news.lan"}
    subprocess.run([QA, "ingest", "--quiet", str(DEMO / "2024-12-02-tal-rifaat.md")], env=env, check=True)
    with served(env, tmp_path / "serve.log", "--mcp") as base:
        port = base.rstrip("/").rsplit(":", 1)[1]
        search = (base + "gradio_api/call/search", b'{"data": ["who holds Tal Rifaat?", 3, "", "", [], "relevance"]}',
                  {"Content-Type": "application/json"})
        mcp = (base + "gradio_api/mcp/", b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}',
               {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
            assert _status(base, host) == 400
            assert _status(search[0], host, search[1], search[2]) == 400
            assert _status(mcp[0], host, mcp[1], mcp[2]) == 400
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"news.lan:{port}"):
            assert _status(base, host) == 200
            assert _status(search[0], host, search[1], search[2]) == 200
        listed = subprocess.run([QA, "list"], env=env, capture_output=True, text=True, check=True).stdout
    assert "Tal Rifaat" in listed


def test_host_names_without_their_port():
    from ui.security import allowed_hosts, host_name

    assert host_name("[::1]:7860") == "::1" and host_name("LOCALHOST:80") == "localhost" and host_name("::1") == "::1"
    assert allowed_hosts("0.0.0.0", "a.lan, B.lan") == {"127.0.0.1", "localhost", "::1", "a.lan", "b.lan"}
    assert "10.0.0.5" in allowed_hosts("10.0.0.5")


@pytest.mark.model  # qa serve over an index of the real model
def test_serve_on_the_ipv6_loopback(tmp_path):
    """`qa serve --host ::1` serves on [::1] (it crashed building its own url before)."""
    import time

    from tests.serving import free_port

    if not socket_has_ipv6():
        pytest.skip("this machine has no IPv6 loopback")
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index")}
    subprocess.run([QA, "ingest", "--quiet", str(DEMO / "2024-12-02-tal-rifaat.md")], env=env, check=True)
    port = free_port()
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen([QA, "serve", "--host", "::1", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and status is None:
            try:
                status = urllib.request.urlopen(f"http://[::1]:{port}/", timeout=2).status
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.5)
        assert status == 200
        assert f"on http://[::1]:{port}" in (tmp_path / "serve.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=20)


def socket_has_ipv6() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False
