"""Default accountability rules (seed §41 强化工作约谈和问责机制) and publishing settings; editable in the admin."""

from django.db import migrations

RULES = [
    ("季通报连续两期排名末位约谈", "last_in_bulletin", {"positions": 1, "consecutive": 2, "escalate_on_repeat": False},
     "连续两个季度通报中综合指标值排名最后一位的单位，由市文明办约谈主要负责人。"),
    ("按期结案率低于60%约谈", "ontime_below", {"metric": "ontime_closure_rate", "threshold": 60, "min_cases": 10},
     "季度按期结案率低于 60%（应结案不少于 10 件）的单位予以约谈。"),
    ("目标任务逾期约谈", "target_overdue", {"min_targets": 1},
     "牵头的量化目标任务逾期未完成的单位予以约谈。"),
]


def forwards(apps, schema_editor):
    Rule = apps.get_model("assessments", "AccountabilityRule")
    for name, kind, params, note in RULES:
        Rule.objects.get_or_create(name=name, defaults={"kind": kind, "parameters": params, "note": note})
    Settings = apps.get_model("assessments", "PublishingSettings")
    if not Settings.objects.exists():
        Settings.objects.create()


def backwards(apps, schema_editor):
    apps.get_model("assessments", "AccountabilityRule").objects.filter(name__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0003_accountabilityrule_publishingsettings_product_and_more")]
    operations = [migrations.RunPython(forwards, backwards)]
