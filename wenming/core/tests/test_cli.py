import subprocess
import sys


def run_cli(*args, env_lang="zh_CN.UTF-8"):
    import os

    env = {**os.environ, "LANG": env_lang, "WENMING_LANG": ""}
    return subprocess.run(
        [sys.executable, "-m", "wenming.cli", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_help_in_chinese_lists_readable_commands():
    out = run_cli("--help").stdout
    assert "用法: wenming" in out
    for name in ("demo", "serve", "import-plan"):
        assert name in out


def test_help_in_english():
    out = run_cli("--help", env_lang="en_US.UTF-8").stdout
    assert "usage: wenming" in out
    assert "import a plan document" in out


def test_serve_help_names_port():
    out = run_cli("serve", "--help").stdout
    assert "--port" in out


def test_serve_runs_a_real_server(tmp_path):
    """`wenming serve` migrates an empty data directory and answers HTTP through gunicorn."""
    import os
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WENMING_DATA_DIR": str(tmp_path), "WENMING_WORKERS": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "wenming.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        body = ""
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.25)
        assert "登录" in body
        assert (tmp_path / "wenming.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_every_listed_command_exists():
    """`wenming --help` only advertises commands that run."""
    import django
    from django.core.management import get_commands

    from wenming.cli import COMMANDS

    django.setup()
    available = set(get_commands())
    for name in COMMANDS:
        if name == "serve":
            continue
        target = "db_worker" if name == "worker" else name.replace("-", "_")
        assert target in available, name
