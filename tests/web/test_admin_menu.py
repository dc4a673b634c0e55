"""One Admin menu links every admin page; only admins see it; Grade passback only once an
LMS is connected."""

import pytest
from flask import url_for

from ramp.lti.registrations import forget_origins
from tests.conftest import lms_platform


def register_platform(db) -> None:
    db.session.add(lms_platform("Moodle"))
    db.session.commit()


def test_admin_menu_links_every_admin_page(app, db, client, make_user, as_user):
    register_platform(db)
    page = as_user(make_user("admin")).get("/admin/people").get_data(as_text=True)
    menu = page[page.index('<details class="menu">') : page.index("</details>")]
    with app.test_request_context():
        pages = {
            url_for(rule.endpoint)
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("admin.") and "GET" in rule.methods and not rule.arguments
        }
        pages |= {url_for("lti.registrations_page"), url_for("lti.grades_page")}
    assert {
        "/admin/people",
        "/admin/teams",
        "/admin/curricula",
        "/admin/tokens",
        "/admin/audit",
        "/admin/targets",
        "/lti/registrations",
    } <= pages
    for path in pages:
        assert f'href="{path}"' in menu, path
    assert 'aria-current="page">People</a>' in menu


def test_managers_see_no_admin_menu(client, make_user, as_user):
    page = as_user(make_user("manager")).get("/board/").get_data(as_text=True)
    assert '<details class="menu">' not in page and "/admin/people" not in page


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_grade_passback_is_offered_only_with_a_platform(db, client, make_user, as_user, role):
    signed_in = as_user(make_user(role))
    page = signed_in.get("/board/").get_data(as_text=True)
    assert "Grade passback" not in page and "/lti/grades" not in page
    register_platform(db)
    forget_origins()  # as registering through the app does
    page = signed_in.get("/board/").get_data(as_text=True)
    assert 'href="/lti/grades"' in page and "Grade passback" in page
