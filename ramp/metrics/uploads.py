"""Uploaded exports waiting to be imported: kept in the instance folder, never served back raw."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext

from ramp.accounts.models import User
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.metrics.imports import PRESETS_DIR, ImportRefused, import_and_update, preset_names
from ramp.metrics.mapping import MappingSpec, load_mapping_file

TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Upload:
    token: str
    folder: Path
    filename: str

    @property
    def data(self) -> Path:
        return self.folder / "export"

    @property
    def mapping_path(self) -> Path:
        return self.folder / "mapping.yaml"

    @property
    def rejects(self) -> Path:
        return self.folder / "rejects.csv"

    def mapping(self) -> MappingSpec:
        return load_mapping_file(str(self.mapping_path))

    def size(self) -> int:
        return self.data.stat().st_size


def save_upload(
    root: Path, stream, filename: str, preset: str | None, mapping_text: str | None
) -> Upload:
    """Store an uploaded export with its mapping (a preset's copy or the uploaded one)."""
    if not filename:
        raise ValidationError(gettext("Choose the export file to import."))
    if not preset and not mapping_text:
        raise ValidationError(gettext("Choose a preset, or upload your own mapping file."))
    if preset and preset not in preset_names():
        raise ValidationError(gettext("Unknown preset '%(preset)s'.", preset=preset))
    token = secrets.token_hex(16)
    folder = root / token
    folder.mkdir(parents=True)
    upload = Upload(token, folder, Path(filename).name[:200])
    with open(upload.data, "wb") as out:
        shutil.copyfileobj(stream, out, length=1024 * 1024)
    if preset:
        shutil.copyfile(PRESETS_DIR / f"{preset}.yaml", upload.mapping_path)
    else:
        upload.mapping_path.write_text(mapping_text, encoding="utf-8")
    (folder / "meta.json").write_text(json.dumps({"filename": upload.filename}))
    return upload


def find_upload(root: Path, token: str) -> Upload:
    """A stored upload by its token, or NotFound."""
    folder = root / token
    if not TOKEN.match(token) or not (folder / "meta.json").is_file():
        raise NotFound(
            gettext("This upload is gone (it was imported or discarded). Upload the file again.")
        )
    meta = json.loads((folder / "meta.json").read_text())
    return Upload(token, folder, meta["filename"])


def discard(upload: Upload) -> None:
    """Delete an upload once imported (the rejects file, if any, goes with it)."""
    shutil.rmtree(upload.folder, ignore_errors=True)


def run_upload(
    root: str, token: str, accept_good: bool, actor_id: int | None, progress=None
) -> dict:
    """Import a stored upload (a background job): {"report": ImportReport, "changed": int}."""
    upload = find_upload(Path(root), token)
    actor = db.session.get(User, actor_id) if actor_id else None
    try:
        report, changed = import_and_update(
            upload.data,
            upload.mapping(),
            accept_good=accept_good,
            rejects_path=upload.rejects,
            actor=actor,
            progress=progress,
            filename=upload.filename,
        )
    except ImportRefused as exc:
        db.session.rollback()
        return {"report": exc.report, "changed": 0}
    db.session.commit()
    if not report.rejects_path:
        discard(upload)
    return {"report": report, "changed": changed}
