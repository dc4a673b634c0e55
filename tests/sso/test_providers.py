"""Provider settings as admins write them: the group mapping and its problems."""

from __future__ import annotations

import pytest

from ramp.errors import ValidationError
from ramp.sso.providers import format_group_mapping, parse_group_mapping


def test_group_mapping_lines_read_groups_with_colons_roles_and_teams(db, make_team):
    make_team("Tier 1")
    text = "urn:acme:groups:leads: Manager, Tier 1\n\nagents: agent\n"
    mapping = parse_group_mapping(text)
    assert mapping == [
        {"group": "urn:acme:groups:leads", "role": "manager", "team": "Tier 1"},
        {"group": "agents", "role": "agent", "team": None},
    ]
    assert parse_group_mapping(format_group_mapping(mapping)) == mapping


def test_group_mapping_names_each_bad_line(db):
    with pytest.raises(ValidationError) as refused:
        parse_group_mapping("leads: boss\nagents: agent\nleads: manager, Nowhere")
    assert [p.split(":")[0] for p in refused.value.problems] == [
        "group mapping, line 1",
        "group mapping, line 3",
    ]
