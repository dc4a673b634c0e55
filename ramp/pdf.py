"""PDF rendering with WeasyPrint, through a URL fetcher that reads only the app's static files."""

from __future__ import annotations

import mimetypes
import threading
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

BASE_URL = "http://ramp.invalid/"


def static_file(url: str, root: Path, prefix: str) -> tuple[bytes, str | None]:
    """The bytes and MIME type of the static file `url` names under `root`; a ValueError for
    anything else (another host, no network, no file://, nothing outside the folder)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.netloc != urlsplit(BASE_URL).netloc:
        raise ValueError(f"refused {url!r}: only the app's static files may be used")
    path = unquote(parts.path)
    if not path.startswith(prefix):
        raise ValueError(f"refused {url!r}: not under {prefix}")
    target = (root / path[len(prefix) :]).resolve()
    if root not in target.parents or not target.is_file():
        raise ValueError(f"refused {url!r}: not a static file")
    return target.read_bytes(), mimetypes.guess_type(target.name)[0]


@cache
def _weasyprint() -> SimpleNamespace:
    """WeasyPrint's HTML and FontConfiguration, and the static-only fetcher built on it."""
    # The one lazy import in ramp: loading WeasyPrint (Pango through cffi, fontTools, Pillow)
    # costs about as much as loading Flask and SQLAlchemy together, which every start of the
    # web app and of each CLI command would pay, while only rendering a certificate needs it.
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves /static/... from the app's static folder and refuses every other URL."""

        def __init__(self, static_folder: str, static_url_path: str = "/static"):
            super().__init__(allowed_protocols=("http", "data"), allow_redirects=False)
            self.root = Path(static_folder).resolve()
            self.prefix = static_url_path.rstrip("/") + "/"

        def fetch(self, url, headers=None):
            """The bytes of a static file (or a data: URL); a ValueError for anything else."""
            if urlsplit(url).scheme == "data":
                return super().fetch(url, headers)
            body, mime = static_file(url, self.root, self.prefix)
            return URLFetcherResponse(
                url, body=body, headers={"Content-Type": mime} if mime else None
            )

    return SimpleNamespace(
        HTML=weasyprint.HTML,
        FontConfiguration=FontConfiguration,
        StaticOnlyFetcher=StaticOnlyFetcher,
    )


_local = threading.local()


def _font_config():
    # Loading the shipped @font-face fonts is most of a render's cost; a configuration
    # keeps them loaded. One per thread, as WeasyPrint's is not made for concurrent use.
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = _weasyprint().FontConfiguration()
    return config


def render_pdf(html: str, static_folder: str) -> bytes:
    """Render HTML to PDF bytes; /static/ URLs resolve to the app's static folder, nothing else."""
    engine = _weasyprint()
    return engine.HTML(
        string=html, base_url=BASE_URL, url_fetcher=engine.StaticOnlyFetcher(static_folder)
    ).write_pdf(font_config=_font_config())
