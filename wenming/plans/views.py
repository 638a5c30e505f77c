from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from wenming.accounts.models import Leader, OrgUnit

from .models import Plan


def overview(request):
    plan = Plan.objects.filter(is_default=True).first() or Plan.objects.first()
    if plan is None:
        return render(request, "portal/home.html", {"plan": None})
    return redirect("plans:detail", pk=plan.pk)


def plan_detail(request, pk):
    plan = get_object_or_404(Plan, pk=pk)
    return render(request, "plans/plan_detail.html", {"plan": plan})


@login_required
def unit_list(request, pk):
    unit = get_object_or_404(OrgUnit, pk=pk)
    return render(request, "plans/unit_list.html", {"unit": unit})


@login_required
def leader_list(request, pk):
    leader = get_object_or_404(Leader, pk=pk)
    return render(request, "plans/leader_list.html", {"leader": leader})


@login_required
def board(request):
    return render(request, "plans/board.html", {})
