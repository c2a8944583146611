"""Images that editors upload: covers, author photos and body images.

- `uploads`: every upload is checked and cleaned (`clean_upload`, `check_upload_budget`, `ACCEPT_ATTRIBUTE`,
  re-exported here for the forms);
- `renditions`: smaller copies of covers and author photos for `srcset`, made once;
- `encoding`: the one encoder both write through, which drops the metadata.
"""

from .uploads import ACCEPT_ATTRIBUTE, check_upload_budget, clean_upload

__all__ = ["ACCEPT_ATTRIBUTE", "check_upload_budget", "clean_upload"]
