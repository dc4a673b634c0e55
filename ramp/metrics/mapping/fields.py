"""What a mapping can feed: the kinds of record, their fields and the types each may be read
as, the words that mean empty, yes and no, and the largest text and number a row may hold."""

KINDS = ("contacts", "qa")

CONTACT_FIELDS: dict[str, str] = {
    "external_id": "text",
    "channel": "text",
    "queue": "text",
    "created_at": "datetime",
    "first_response_at": "datetime",
    # For exports that give the wait for a first reply as a duration, not as a time.
    "first_response_seconds": "duration",
    "solved_at": "datetime",
    "handle_seconds": "duration",
    "reopens": "integer",
    "contacts_to_resolve": "integer",
    "csat_rating": "number",
    "sla_met": "boolean",
    "sla_target_seconds": "duration",
    "agent_email": "text",
    "agent_id": "text",
}

QA_FIELDS: dict[str, str] = {
    "external_id": "text",
    "interaction_id": "text",
    "interaction_at": "datetime",
    "evaluated_at": "datetime",
    "scorecard": "text",
    "score": "number",
    "max_score": "number",
    "critical_fail": "boolean",
    "agent_email": "text",
    "agent_id": "text",
}

FIELDS: dict[str, dict[str, str]] = {"contacts": CONTACT_FIELDS, "qa": QA_FIELDS}

# Besides these, every mapping maps at least one of AGENT_FIELDS.
REQUIRED: dict[str, tuple[str, ...]] = {
    "contacts": ("external_id", "created_at"),
    "qa": ("external_id", "evaluated_at"),
}
AGENT_FIELDS = ("agent_email", "agent_id")

TYPES = ("text", "integer", "number", "duration", "datetime", "boolean")
# How a field of each type may be read ("type:" in the mapping); the value is then
# converted to the field's own type (an id read as an integer "12345.0" is stored as "12345").
READ_AS: dict[str, tuple[str, ...]] = {
    "text": ("text", "integer", "number"),
    "integer": ("integer", "number"),
    "number": ("number", "integer"),
    "duration": ("duration", "number", "integer"),
    "datetime": ("datetime",),
    "boolean": ("boolean",),
}
DATETIME_FORMATS = ("iso", "epoch", "day_first", "month_first")
DURATION_FORMATS = ("seconds", "minutes", "hms")

NULL_VALUES = ("", "-", "n/a", "na", "null", "none")
TRUE_VALUES = ("yes", "y", "true", "t", "1")
FALSE_VALUES = ("no", "n", "false", "f", "0")

CSV_FIELD_LIMIT = 16 * 1024 * 1024  # one cell may hold a long ticket thread
EXTRA_CELLS = "(extra cells)"  # row key holding cells beyond the header, joined

# What the database can hold: the longest text of each stored text field, the largest integer.
TEXT_LIMITS = {
    "external_id": 200,
    "interaction_id": 200,
    "scorecard": 200,
    "channel": 32,
    "queue": 120,
}
INTEGER_MAX = 2**31 - 1


def category_key(name: str) -> str:
    """A scorecard category's name as categories are matched: case folded, every run of
    spacing (spaces, tabs, no-break spaces) one space, none at either end. "Tone & Empathy",
    "tone &  empathy" and " TONE & EMPATHY" are one category."""
    return " ".join(name.split()).casefold()
