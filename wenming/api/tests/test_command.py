"""`open311_key` (console: `wenming open311-key create NAME`): prints a key that then works for POST."""

import io

import pytest
from django.core.management import CommandError, call_command

from wenming.api.models import Open311Key, hash_secret

pytestmark = pytest.mark.django_db


def test_create_list_revoke(client, world):
    out = io.StringIO()
    call_command("open311_key", "create", "区级平台", stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    key = Open311Key.objects.get(name="区级平台")
    assert key.key_hash == hash_secret(raw) and raw not in key.key_hash  # only the digest is stored
    r = client.post("/open311/v2/requests.json", {"api_key": raw, "service_code": "SJ0401",
                                                  "address_string": "建设路", "description": "人行道上有流动摊贩"})
    assert r.status_code == 200
    listing = io.StringIO()
    call_command("open311_key", "list", stdout=listing)
    assert "区级平台" in listing.getvalue() and raw not in listing.getvalue()
    call_command("open311_key", "revoke", key.prefix, stdout=io.StringIO())
    r = client.post("/open311/v2/requests.json", {"api_key": raw, "service_code": "SJ0401",
                                                  "address_string": "建设路", "description": "人行道上有流动摊贩"})
    assert r.status_code == 403
    with pytest.raises(CommandError):
        call_command("open311_key", "create", " ")


def test_console_name_maps_to_command(world, capsys):
    from wenming.cli import main

    assert main(["open311-key", "create", "热线"]) == 0
    assert capsys.readouterr().out.strip().startswith("o311_")
