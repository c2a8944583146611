from django import forms
from django.conf import settings
from markdownx.forms import ImageForm

from . import images
from .models import Article, Author


class MarkdownImageUploadForm(ImageForm):
    """The markdownx drag-and-drop upload, checked and cleaned by Pillow first.

    markdownx's own form trusts the browser's content type (a text file sent as
    image/png ends in a 500) and accepts SVG; this one accepts only what
    `images.clean_upload` accepts and stores the re-encoded file.
    """

    def clean_image(self):
        return images.clean_upload(self.cleaned_data["image"], max_edge=settings.IMAGE_UPLOAD_MAX_EDGE)

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

    class Meta:
        model = Article
        fields = "__all__"
        widgets = {"cover": forms.ClearableFileInput(attrs={"accept": images.ACCEPT_ATTRIBUTE})}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cover") and not (cleaned.get("cover_alt") or "").strip():
            self.add_error("cover_alt", "Describe the cover image: alt text is required with a cover.")
        return cleaned


class AuthorAdminForm(ImageFieldCleaningMixin, forms.ModelForm):
    image_fields = ("photo",)

    class Meta:
        model = Author
        fields = "__all__"
        widgets = {"photo": forms.ClearableFileInput(attrs={"accept": images.ACCEPT_ATTRIBUTE})}
