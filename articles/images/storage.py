"""The media storage as a whole: every stored file, where its URLs point, putting a file back.

Each image is read and written through a storage (a FieldFile's `.storage`, or Django's
`default_storage`), never through MEDIA_ROOT: on one machine that is the disk, on several
nodes an S3-compatible bucket (settings.STORAGES["default"], from AWS_STORAGE_BUCKET_NAME).
These helpers are for what looks at the storage as a whole (backups, body images in Markdown,
the Content-Security-Policy), so that none of it assumes a disk or a "/media/" prefix.
"""

from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils.encoding import filepath_to_uri

_PROBE = "__probe__"


def stored_names(storage=None, directory=""):
    """Every file name in the storage (as FieldFiles name them), directories walked in order."""
    storage = storage or default_storage
    directories, files = storage.listdir(directory)
    prefix = f"{directory.rstrip('/')}/" if directory else ""
    for name in sorted(files):
        yield prefix + name
    for sub in sorted(directories):
        yield from stored_names(storage, prefix + sub)


def put(name, content, storage=None):
    """Store `content` (a File or file object) under exactly `name`, replacing a file of that name.

    For restoring: storages never overwrite by themselves (a taken name gets a suffix), and a
    restored file must keep the name the database refers to.
    """
    storage = storage or default_storage
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, content if isinstance(content, File) else File(content, name=name))
    if saved != name:
        raise RuntimeError(f"The storage stored {name!r} as {saved!r}.")
    return saved


def file_url(storage, name):
    """`storage.url(name)`, for the many image URLs of a page (a cover has up to ten).

    On disk, what FileSystemStorage.url gives, without its `urljoin` (most of the call, with
    nothing to resolve: a stored name has no "..", and the quoted name no scheme, query or
    fragment; the base URL ends in "/"). Any other storage is asked.
    """
    if storage.__class__ is FileSystemStorage:  # default_storage is a proxy: not type()
        return storage.base_url + filepath_to_uri(name).lstrip("/")
    return storage.url(name)


def url_prefix(storage=None):
    """What every stored file's URL starts with: "/media/" on disk, the bucket's base URL on S3."""
    storage = storage or default_storage
    return storage.url(_PROBE).removesuffix(_PROBE)


def name_from_url(url, storage=None):
    """The storage name of a media URL (as in a Markdown body), or None if it is not one of ours."""
    prefix = url_prefix(storage)
    path = url.split("#", 1)[0].split("?", 1)[0]
    if not urlsplit(prefix).netloc and path.startswith(settings.SITE_ORIGIN + "/"):
        # Local media are root-relative; an absolute URL on the site's own origin may name one.
        path = path.removeprefix(settings.SITE_ORIGIN)
    if path.startswith(prefix) and len(path) > len(prefix):
        return unquote(path[len(prefix) :])
    return None


def media_origin(storage=None):
    """The origin media are served from ("https://media.example"), or None when it is the site's own."""
    parts = urlsplit(url_prefix(storage))
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None
