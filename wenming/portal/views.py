from django.shortcuts import redirect, render

from wenming.plans.models import Plan


def home(request):
    """A logged-in unit user lands on their own list; the office on the board; everyone else on the plan."""
    user = request.user
    if user.is_authenticated:
        if user.is_office:
            return redirect("plans:board")
        units = user.units()
        if units:
            return redirect("plans:unit", pk=units[0].pk)
        leader = getattr(user, "leader", None)
        if leader is not None:
            return redirect("plans:leader", pk=leader.pk)
    plan = Plan.objects.filter(is_default=True).first() or Plan.objects.first()
    return render(request, "portal/home.html", {"plan": plan})
