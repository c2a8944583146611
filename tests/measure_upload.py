"""One upload in a fresh process, as a worker would handle it: its peak memory and time.

    python -m tests.measure_upload FILE     (DJANGO_SETTINGS_MODULE=tests.settings)

Runs what a cover upload does (the heaviest path): the form's checks, `clean_upload`, and
the renditions made from the stored result; prints one JSON line with the outcome (the
error messages, or "stored"), the peak resident memory of the whole process (the
kernel's high-water mark, VmHWM: Python, Django and the upload together; not ru_maxrss,
which a child inherits from the process that forked it), and the CPU and wall-clock seconds the upload took.
"""

import json
import resource
import sys
import tempfile
import time
from types import SimpleNamespace


def main(path):
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from articles.forms import BoundedImageField
    from articles.images import clean_upload, renditions

    with open(path, "rb") as source:
        uploaded = SimpleUploadedFile("upload.png", source.read(), content_type="image/png")
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    try:
        # What a cover goes through: the form field (limits from the header, then Django's
        # check that Pillow can open it), then the form's cleaning (ImageFieldCleaningMixin).
        cleaned = clean_upload(BoundedImageField().clean(uploaded))
    except ValidationError as error:
        outcome = error.messages
    else:
        storage = FileSystemStorage(tempfile.mkdtemp(prefix="measure-upload-"))
        stored = SimpleNamespace(storage=storage, name=storage.save(cleaned.name, cleaned))
        made = renditions.make_renditions(stored)
        outcome = f"stored, {len(renditions.rendition_files(made))} renditions"
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "outcome": outcome,
                "peak_mb": peak_memory_mb(),
                "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                "wall_s": wall,
            }
        )
    )


def peak_memory_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("No VmHWM in /proc/self/status: this measurement needs Linux.")


if __name__ == "__main__":
    main(*sys.argv[1:])
