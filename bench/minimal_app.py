"""The smallest Flask page: what bench/load.py serves as the ceiling beside ramp."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    """A constant page of about the size of a small ramp page's head."""
    return "<!doctype html><title>ok</title><p>ok</p>"
