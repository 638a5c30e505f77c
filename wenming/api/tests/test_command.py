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


def test_api_token_create_works_for_the_api_and_revoke_stops_it(client, world):
    from wenming.api.models import ApiToken

    out = io.StringIO()
    call_command("api_token", "create", "热线系统", "--scope", "read_public", "--scope", "report",
                 "--client", "12345热线", stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(name="热线系统")
    assert token.client.name == "12345热线" and sorted(token.scopes) == ["read_public", "report"]
    assert raw not in token.key_hash
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/categories", **auth).status_code == 200
    call_command("api_token", "revoke", token.prefix, stdout=io.StringIO())
    assert client.get("/api/v1/cases", **auth).status_code == 401
    with pytest.raises(CommandError, match="scope"):
        call_command("api_token", "create", "无权限", stdout=io.StringIO(), stderr=io.StringIO())
