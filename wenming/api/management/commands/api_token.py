"""`wenming api-token create NAME --scope read_public --scope report [--client SYSTEM | --user USERNAME]`.

Issues a bearer token for the JSON API and prints it once (only a digest is kept). Also `list` and `revoke PREFIX`.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wenming.accounts.models import User
from wenming.api.models import ApiClient, ApiToken, Scope


class Command(BaseCommand):
    help = "管理 JSON API 令牌：create NAME 新建并打印令牌；list 列出；revoke PREFIX 停用"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("name", nargs="?", help="令牌名称（create）或前缀（revoke）")
        parser.add_argument("--scope", action="append", choices=Scope.values, default=[],
                            help="权限范围，可重复：" + "、".join(f"{v}（{label}）" for v, label in Scope.choices))
        parser.add_argument("--client", help="接入系统名称（不存在则新建）")
        parser.add_argument("--user", help="代表的用户名（按该用户的单位权限办理）")

    @transaction.atomic
    def handle(self, *args, action, name=None, scope=(), client=None, user=None, **options):
        if action == "list":
            for t in ApiToken.objects.select_related("client", "user").order_by("pk"):
                owner = t.client.name if t.client_id else (t.user.username if t.user_id else "—")
                state = "启用" if t.is_active else "停用"
                self.stdout.write(f"{t.prefix}…\t{state}\t{t.name}\t{owner}\t{','.join(t.scopes)}")
            return
        if action == "revoke":
            if not name:
                raise CommandError("请提供令牌前缀：api-token revoke PREFIX")
            count = ApiToken.objects.filter(prefix__startswith=name, is_active=True).update(is_active=False)
            if not count:
                raise CommandError(f"没有前缀为 {name} 的启用令牌")
            self.stdout.write(f"已停用 {count} 个令牌")
            return
        if not name or not name.strip():
            raise CommandError("请提供令牌名称：api-token create NAME --scope read_public")
        if not scope:
            raise CommandError("请至少指定一个 --scope（" + "、".join(Scope.values) + "）")
        if client and user:
            raise CommandError("--client 与 --user 只能选一个")
        owner_user = None
        if user:
            owner_user = User.objects.filter(username=user).first()
            if owner_user is None:
                raise CommandError(f"用户 {user} 不存在")
        owner_client = ApiClient.objects.get_or_create(name=client.strip()[:100])[0] if client else None
        token, raw = ApiToken.issue(name=name.strip()[:100], scopes=scope, client=owner_client, user=owner_user)
        self.stderr.write(f"已创建 API 令牌“{token.name}”（{','.join(token.scopes)}）。请妥善保存，令牌只显示这一次：")
        self.stdout.write(raw)
