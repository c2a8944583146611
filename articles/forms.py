from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from markdownx.forms import ImageForm

from . import images, workflow
from .models import Article, Author


class MarkdownImageUploadForm(ImageForm):
    """The markdownx drag-and-drop upload, checked and cleaned by Pillow first.

    markdownx's own form trusts the browser's content type (a text file sent as
    image/png ends in a 500) and accepts SVG; this one accepts only what
    `images.clean_upload` accepts and stores the re-encoded file.
    """

    def clean_image(self):
        return images.clean_upload(self.cleaned_data["image"])

    def clean(self):
        # markdownx's clean() returns the upload itself, which Django would then keep
        # as cleaned_data (and save() would fail with a 500): keep the dict.
        super().clean()
        return self.cleaned_data

    def save(self, commit=True):
        image = self.cleaned_data["image"]
        return self._save(image, image.name, commit)


class BoundedImageField(forms.ImageField):
    """A cover or photo upload, checked and cleaned by `images.clean_upload`.

    Django's ImageField opens the file with Pillow before anything else, and Pillow's own
    decompression-bomb check would call a huge image "not a valid image": the byte limit
    and the pixel budget are checked first, from the header, so the editor learns why.
    An unchanged field keeps its stored file (Django calls no to_python for it).
    """

    def to_python(self, data):
        if data and hasattr(data, "size"):
            images.check_upload_budget(data)
        upload = super().to_python(data)
        return images.clean_upload(upload) if upload else upload


class ArticleAdminForm(forms.ModelForm):
    # The version this form was opened at (optimistic locking, see clean()).
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = [
            "title",
            "slug",
            "standfirst",
            "body",
            "take",
            "cover",
            "cover_alt",
            "author",
            "topics",
            "related",
        ]
        widgets = {"cover": forms.ClearableFileInput(attrs={"accept": images.ACCEPT_ATTRIBUTE})}
        field_classes = {"cover": BoundedImageField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cover") and not (cleaned.get("cover_alt") or "").strip():
            self.add_error("cover_alt", "Describe the cover image: alt text is required with a cover.")
        reviewer = self.instance.reviewer if self.instance.pk else None
        if reviewer and cleaned.get("author") == reviewer:
            self.add_error("author", f"{reviewer} reviewed this article, so cannot be its author.")
        if self.instance.pk:
            self._refuse_stale_edit(cleaned.get("expected_version"))
        return cleaned

    def _refuse_stale_edit(self, expected):
        # The admin validates and saves in one transaction: check_version's row lock is
        # held until this save commits, so two saves cannot both pass.
        try:
            workflow.check_version(self.instance, expected)
        except workflow.EditConflict as conflict:
            compare_url = reverse("admin:articles_article_compare", args=[self.instance.pk])
            query = urlencode({"from_version": conflict.expected or "", "to_version": conflict.stored})
            # Re-rendered with the stored version: saving again, having seen the other
            # change, replaces it (and both stay in the history).
            data = self.data.copy()
            data[self.add_prefix("expected_version")] = conflict.stored
            self.data = data
            raise forms.ValidationError(
                format_html(
                    "Somebody else saved this article while you were editing it, so your changes were "
                    'not saved. Your text is still in the form below. <a href="{}">See what they '
                    "changed</a>; if you save again, your version replaces theirs (both stay in the "
                    "history).",
                    f"{compare_url}?{query}",
                ),
                code="edit_conflict",
            ) from None


class AuthorAdminForm(forms.ModelForm):
    class Meta:
        model = Author
        fields = ["name", "slug", "bio", "photo", "user"]
        widgets = {"photo": forms.ClearableFileInput(attrs={"accept": images.ACCEPT_ATTRIBUTE})}
        field_classes = {"photo": BoundedImageField}
