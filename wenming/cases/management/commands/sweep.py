"""`wenming sweep`: the overdue sweep now, or `--enqueue` it for `wenming worker` (see cases/tasks.py)."""

from django.core.management.base import BaseCommand

from wenming.cases.tasks import sweep_overdue_task


class Command(BaseCommand):
    help = "超期督办：对超过处置时限且未督办的案件自动督办并通知责任单位（--enqueue 仅加入任务队列）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="加入后台任务队列，由 `wenming worker` 执行 / queue it for the worker"
        )

    def handle(self, *args, **options):
        if options["enqueue"]:
            result = sweep_overdue_task.enqueue()
            self.stdout.write(f"已加入任务队列（任务编号 {result.id}），由 `wenming worker` 执行")
            return
        counts = sweep_overdue_task.call()
        self.stdout.write(f"超期督办完成：新督办案件 {counts['supervised']} 件，发送通知 {counts['notified']} 条")
