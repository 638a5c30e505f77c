"""`wenming` — the console command. Readable sub-commands over Django's manage.py, help in Chinese and English.

    wenming demo                 migrate, import the default plan, load demo data (safe to run twice)
    wenming serve --port 8000    production server (gunicorn) on 127.0.0.1
    wenming import-plan PATH     import a plan document (--dry-run, --json)
    wenming <django command>     anything manage.py knows (migrate, createsuperuser, shell, ...)
"""

from __future__ import annotations

import os
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (中文说明, English)
    "demo": ("初始化数据库、导入默认实施方案并加载演示数据（可重复运行）", "migrate, import the default plan, load demo data"),
    "serve": ("以生产级服务器（gunicorn）运行平台", "run the platform with a production server (gunicorn)"),
    "worker": ("运行后台任务处理进程（报表生成、通知、超期督办）", "run the background task worker"),
    "import-plan": ("导入实施方案文档（.txt/.docx），支持 --dry-run 与 --json", "import a plan document (--dry-run, --json)"),
    "import-grid": ("从 GeoJSON 导入单元网格", "import grid cells from GeoJSON"),
    "import-points": ("从 Excel 导入测评点位", "import inspection points from Excel"),
    "load-categories": ("载入问题类别（事件、部件与方案所列不文明现象）", "load the case category taxonomy"),
    "sweep": ("超期督办：对超过处置时限的案件自动督办并通知", "supervise overdue cases and notify units"),
    "report": ("生成周观察、月分析、季通报、年考核（report generate …）", "generate weekly/monthly/quarterly/annual products"),
    "open311-key": ("管理 Open311 密钥（create NAME / list / revoke）", "manage Open311 api keys"),
    "api-token": ("管理 JSON API 令牌（create NAME --scope …）", "manage JSON API tokens"),
    "migrate": ("更新数据库结构", "apply database migrations"),
    "createsuperuser": ("创建系统管理员账号", "create an administrator account"),
}


def _lang() -> str:
    lang = os.environ.get("WENMING_LANG") or os.environ.get("LANG", "")
    return "en" if lang.startswith("en") else "zh"


def print_help() -> None:
    zh = _lang() == "zh"
    print("用法: wenming <命令> [参数]" if zh else "usage: wenming <command> [options]")
    print()
    print("常用命令:" if zh else "commands:")
    for name, (cn, en) in COMMANDS.items():
        print(f"  {name:<16} {cn if zh else en}")
    print()
    print(
        "其余 Django 管理命令（如 shell、check）同样可用；`wenming <命令> --help` 查看参数。"
        if zh
        else "Any other Django management command (shell, check, ...) works too; `wenming <command> --help` for options."
    )
    print("数据目录由环境变量 WENMING_DATA_DIR 指定；数据库由 DATABASE_URL 指定（默认 SQLite）。" if zh else
          "Data directory: WENMING_DATA_DIR; database: DATABASE_URL (default SQLite).")


def serve(argv: list[str]) -> int:
    import argparse

    zh = _lang() == "zh"
    parser = argparse.ArgumentParser(prog="wenming serve", description=COMMANDS["serve"][0 if zh else 1])
    parser.add_argument("--port", type=int, default=8000, help="端口 / port (8000)")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址 / bind address (127.0.0.1)")
    # One sync worker per core measured best for intake on 2 cores (bench/intake.py, issue #3 note).
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WENMING_WORKERS", os.cpu_count() or 2)),
                        help="工作进程数 / worker processes")
    args = parser.parse_args(argv)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn", "wenming.wsgi:application", "--bind", f"{args.host}:{args.port}",
        "--workers", str(args.workers), "--access-logfile", "-", "--timeout", "120",
    ]
    print(("平台已启动: " if zh else "Serving on ") + f"http://{args.host}:{args.port}/", flush=True)
    return run() or 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenming.settings.prod")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print_help()
        return 0
    if argv[0] == "serve":
        return serve(argv[1:])
    if argv[0] == "worker":
        argv = ["db_worker", *argv[1:]]
    # Readable names with hyphens (import-plan) map onto Django command modules (import_plan).
    argv[0] = argv[0].replace("-", "_") if not argv[0].startswith("-") else argv[0]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wenming", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
