from django.shortcuts import render


def grid_map(request):
    return render(request, "base.html", {})
