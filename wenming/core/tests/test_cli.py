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
