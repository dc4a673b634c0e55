"""One Admin menu links every admin page; only admins see it."""

from flask import url_for


def test_admin_menu_links_every_admin_page(app, client, make_user, as_user):
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
