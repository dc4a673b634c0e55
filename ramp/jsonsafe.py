"""JSON bodies read without surprises: too deep a nesting is a bad body, not a crash.

Python's json module decodes nested arrays and objects recursively, so a body of 100,000
'[' raises RecursionError rather than the ValueError that Flask turns into a 400 (or that
get_json(silent=True) turns into None). Integers past Python's 4,300-digit limit already
raise ValueError. Every JSON body ramp reads (the API, LTI services' answers through Flask)
goes through this provider.
"""

from __future__ import annotations

from flask.json.provider import DefaultJSONProvider


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with nesting too deep to decode reported as invalid JSON."""

    def loads(self, s: str | bytes, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply to be read") from None
