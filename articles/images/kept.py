"""An image chosen in a form, kept across a form error.

A browser cannot put a file back into a file input: when an article form comes back with an
error (a slug taken, a missing standfirst), the cover the author chose would be gone. So the
form stores the already checked and cleaned image under kept-uploads/ in the media storage
and re-offers it with a signed token in a hidden field (`KeptImageInput` in articles.forms);
the next save uses it unless another file is chosen or the field is cleared.

Kept files are linked from nowhere (random names); those older than MAX_AGE (a form nobody
saved) are deleted whenever another file is kept.
"""

import mimetypes
import uuid
from datetime import timedelta

from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

KEPT_DIR = "kept-uploads"
MAX_AGE = timedelta(days=2)
SALT = "articles.images.kept"


def keep(uploaded):
    """Store a cleaned upload for the next submission; return the token that names it."""
    extension = (uploaded.name or "").rsplit(".", 1)[-1].lower() if "." in (uploaded.name or "") else "img"
    uploaded.seek(0)
    stored = default_storage.save(f"{KEPT_DIR}/{uuid.uuid4().hex}.{extension}", uploaded)
    prune()
    return signing.dumps({"name": stored, "filename": uploaded.name}, salt=SALT)


def restore(token):
    """The kept file for `token` as a new upload, or None (no token, tampered, expired, gone)."""
    if not token:
        return None
    try:
        kept = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        name, filename = kept["name"], kept["filename"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
    if not name.startswith(f"{KEPT_DIR}/") or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as stored:
        content = stored.read()
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    upload = SimpleUploadedFile(filename, content, content_type=content_type)
    # Checked and cleaned when it was first chosen: not re-encoded a second time.
    upload.kept_token = token
    return upload


def prune():
    """Delete kept files older than MAX_AGE: forms that were never saved again."""
    try:
        _, names = default_storage.listdir(KEPT_DIR)
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = timezone.now() - MAX_AGE
    for name in names:
        path = f"{KEPT_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError, OSError):
            continue
