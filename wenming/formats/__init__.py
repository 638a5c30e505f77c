"""The project's date formats per language (settings.FORMAT_MODULE_PATH), where Django's own are not the ones used.

Only what differs or must not drift is set here; everything else falls through to django.conf.locale.<lang>.
"""
