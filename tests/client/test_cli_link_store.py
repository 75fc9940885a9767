"""A link store the command cannot open: one line naming it and the ways to name another,
exit status 2, before anything is sent (``links list`` does not connect to the partner)."""

from __future__ import annotations

import json

from ..support.cli_process import captured


def test_a_link_store_that_cannot_be_opened_is_one_error_naming_it_and_the_ways_to_name_another(tmp_path):
    sheet = tmp_path / "sheet.toml"
    sheet.write_text('client_id = 1\nclub_ids = [1]\nurl = "http://127.0.0.1:9/soap"\nscheme = "http"\n'
                     'username = "u"\npassword = "p"\n\n[options]\nlinks = "no-such-folder/[b]links.sqlite3"\n')
    done = captured("links", "list", "--sheet", str(sheet))
    assert done.code == 2 and done.stdout == "", done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: Cannot open the link store sqlite:///{tmp_path}/no-such-folder/[b]links.sqlite3")
    assert "--links, PARTNER_CLIENT_LINKS or [options] links" in line

    missing = f"sqlite:///{tmp_path}/missing/l.sqlite3"
    done = captured("--links", missing, "links", "list", "--sheet", str(sheet), "--json")
    document = json.loads(done.stdout)
    assert done.code == 2 and document["status"] == "stopped" and "missing/l.sqlite3" in document["error"]
