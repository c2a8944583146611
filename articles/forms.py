from urllib.parse import urlencode

from django import forms
from django.conf import settings
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
        return images.clean_upload(self.cleaned_data["image"], max_edge=settings.IMAGE_UPLOAD_MAX_EDGE)

    def clean(self):
        # markdownx's clean() returns the upload itself, which Django would then keep
        # as cleaned_data (and save() would fail with a 500): keep the dict.
        super().clean()
        return self.cleaned_data

    def save(self, commit=True):
        image = self.cleaned_data["image"]
        return self._save(image, image.name, commit)


class ImageFieldCleaningMixin:
    """Run the named image fields through Pillow's checks and re-encoding."""

    image_fields = ()

    def _clean_image_field(self, name):
        value = self.cleaned_data.get(name)
        # An unchanged field holds the stored FieldFile, not a new upload.
        if value and hasattr(value, "content_type"):
            return images.clean_upload(value)
        return value

    def clean(self):
        cleaned = super().clean()
        for name in self.image_fields:
            if name in cleaned and name not in self.errors:
                try:
                    cleaned[name] = self._clean_image_field(name)
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return cleaned


class ArticleAdminForm(ImageFieldCleaningMixin, forms.ModelForm):
    image_fields = ("cover",)

    # The version this form was opened at (optimistic locking, see clean()).
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # A live article's words go into a correction (workflow.save_edit); its public note.
    correction_note = forms.CharField(
        label="Correction note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional, public: tells readers what was corrected, in the article's corrections log.",
    )

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        # A live article's form shows and edits the words on their way (its open correction);
        # readers keep the published ones (the instance's own) until the correction is published.
        self.correction = workflow.open_correction(self.instance) if self.instance.is_live else None
        if self.correction is not None:
            self.initial.update(self.correction.content())
            self.initial["correction_note"] = self.correction.note

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


class AuthorAdminForm(ImageFieldCleaningMixin, forms.ModelForm):
    image_fields = ("photo",)

    class Meta:
        model = Author
        fields = ["name", "slug", "bio", "photo", "user"]
        widgets = {"photo": forms.ClearableFileInput(attrs={"accept": images.ACCEPT_ATTRIBUTE})}
