"""`wenming open311-key create NAME`: issue an Open311 api_key and print it (shown once; only a digest is kept).

Also: `open311-key list`, `open311-key revoke PREFIX`.
"""

from django.core.management.base import BaseCommand, CommandError

from wenming.api.models import Open311Key


class Command(BaseCommand):
    help = "管理 Open311 密钥：create NAME 新建并打印密钥；list 列出；revoke PREFIX 停用"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("name", nargs="?", help="密钥名称（create）或前缀（revoke）")

    def handle(self, *args, action, name=None, **options):
        if action == "create":
            if not name or not name.strip():
                raise CommandError("请提供密钥名称：open311-key create NAME")
            key, raw = Open311Key.issue(name.strip()[:100])
            self.stderr.write(f"已创建 Open311 密钥“{key.name}”。请妥善保存，密钥只显示这一次：")
            self.stdout.write(raw)
        elif action == "list":
            for key in Open311Key.objects.all():
                state = "启用" if key.is_active else "停用"
                self.stdout.write(f"{key.prefix}…\t{state}\t{key.name}\t{key.created_at:%Y-%m-%d %H:%M}")
        else:
            if not name:
                raise CommandError("请提供密钥前缀：open311-key revoke PREFIX")
            count = Open311Key.objects.filter(prefix__startswith=name, is_active=True).update(is_active=False)
            if not count:
                raise CommandError(f"没有前缀为 {name} 的启用密钥")
            self.stdout.write(f"已停用 {count} 个密钥")
