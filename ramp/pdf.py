"""PDF rendering with WeasyPrint, through a URL fetcher that reads only the app's static files."""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

BASE_URL = "http://ramp.invalid/"


class StaticOnlyFetcher(URLFetcher):
    """Serves /static/... from the app's static folder and refuses every other URL."""

    def __init__(self, static_folder: str, static_url_path: str = "/static"):
        super().__init__(allowed_protocols=("http", "data"), allow_redirects=False)
        self.root = Path(static_folder).resolve()
        self.prefix = static_url_path.rstrip("/") + "/"

    def fetch(self, url, headers=None):
        """The bytes of a static file; a ValueError for anything else (no network, no file://)."""
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "http" or parts.netloc != urlsplit(BASE_URL).netloc:
            raise ValueError(f"refused {url!r}: only the app's static files may be used")
        path = unquote(parts.path)
        if not path.startswith(self.prefix):
            raise ValueError(f"refused {url!r}: not under {self.prefix}")
        target = (self.root / path[len(self.prefix) :]).resolve()
        if self.root not in target.parents or not target.is_file():
            raise ValueError(f"refused {url!r}: not a static file")
        mime = mimetypes.guess_type(target.name)[0]
        return URLFetcherResponse(
            url, body=target.read_bytes(), headers={"Content-Type": mime} if mime else None
        )


_local = threading.local()


def _font_config() -> FontConfiguration:
    # Loading the shipped @font-face fonts is most of a render's cost; a configuration
    # keeps them loaded. One per thread, as WeasyPrint's is not made for concurrent use.
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def render_pdf(html: str, static_folder: str) -> bytes:
    """Render HTML to PDF bytes; /static/ URLs resolve to the app's static folder, nothing else."""
    return HTML(
        string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher(static_folder)
    ).write_pdf(font_config=_font_config())
