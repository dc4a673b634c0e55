"""Lesson Markdown is rendered and sanitized."""

from ramp.curricula.markdown import render_markdown, sanitize_html


def test_formatting_survives():
    html = render_markdown("**bold** and [a link](https://example.com)\n\n| a |\n|---|\n| 1 |")
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert "<table>" in html


def test_scripts_handlers_and_javascript_links_are_removed():
    html = render_markdown(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"
    )
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html  # raw HTML is escaped, never passed through


def test_sanitizer_strips_dangerous_html():
    dirty = (
        '<p onclick="x()">hi</p><a href="javascript:alert(1)">x</a>'
        '<iframe src="https://evil.example"></iframe><style>p{}</style>'
    )
    clean = sanitize_html(dirty)
    assert "onclick" not in clean
    assert "javascript:" not in clean
    assert "<iframe" not in clean
    assert "<style" not in clean
    assert "<p>hi</p>" in clean
