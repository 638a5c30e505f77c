from django.conf import settings


def site(request):
    return {"CITY_NAME": settings.WENMING_CITY_NAME}
