from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from markdownx.forms import ImageForm
from markdownx.widgets import AdminMarkdownxWidget

from . import images, passages, workflow
from .images import kept
from .models import Article, Author, BodyImage


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
        # as cleaned_data (and save() would fail with a 500): keep the dict. When the image
        # was refused already, its own reason is the one message (markdownx would add "No
        # files have been uploaded", which tells the author nothing).
        if not self.has_error("image"):
            super().clean()
        return self.cleaned_data

    def save(self, commit=True):
        """Store the image as a BodyImage (its renditions follow, articles.signals); its URL."""
        image = self.cleaned_data["image"]
        if not commit:
            return self._save(image, image.name, commit)
        body_image = BodyImage()
        body_image.image.save(self.get_unique_file_name(image.name), image, save=True)
        return body_image.image.url


class ArticleMarkdownWidget(AdminMarkdownxWidget):
    """markdownx's editor with the newsroom's behaviour (static/js/editor.js).

    editor.js replaces markdownx's image upload (progress, the server's reason for a refusal,
    nothing written into the text on failure, an alt text prompt) and shows the live preview
    beside the text in the readers' own stylesheet. The stylesheet URLs travel in a data
    attribute so that hashed static names (ManifestStaticFilesStorage) work.
    """

    class Media:
        css = {"all": ["css/editor.css"]}
        js = ["js/editor.js"]

    def __init__(self, *, preview_class="article__body prose", attrs=None):
        self.preview_class = preview_class
        super().__init__(attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-preview-stylesheets": " ".join(static(path) for path in PREVIEW_STYLESHEETS),
                "data-preview-class": self.preview_class,
            }
        )
        return context


# The readers' stylesheet, then the few rules that make it work inside the preview pane.
PREVIEW_STYLESHEETS = ["css/site.css", "css/editor-preview.css"]


def single_line(value):
    """A headline or standfirst typed into a growing text box: line breaks become spaces."""
    return " ".join((value or "").split())


class KeptImageInput(AdminFileWidget):
    """A file input that re-offers the image chosen before a form error (articles.images.kept).

    The token travels in a hidden input beside the file input, with a note saying the image
    is kept; a newly chosen file or "Clear" wins over it.
    """

    class Media:
        css = {"all": ["css/editor.css"]}

    def __init__(self, attrs=None, *, noun="image"):
        super().__init__({"accept": images.ACCEPT_ATTRIBUTE, **(attrs or {})})
        self.noun = noun
        self.kept = None  # (token, file name), set by the form after an error

    @staticmethod
    def kept_name(name):
        return f"{name}__kept"

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        if value is None:  # nothing chosen, not cleared: the kept file, if any
            value = kept.restore(data.get(self.kept_name(name)))
        return value

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.kept:
            return html
        token, filename = self.kept
        return html + format_html(
            '<input type="hidden" name="{}" value="{}"><p class="kept-upload" role="status">'
            "Your {} “{}” is kept: it is saved when you save this form. Choose another file to "
            "replace it.</p>",
            self.kept_name(name),
            token,
            self.noun,
            filename,
        )


class BoundedImageField(forms.ImageField):
    """A cover or photo upload: its byte limit and pixel budget checked from its header first.

    Django's ImageField opens the file with Pillow before anything else, and Pillow's own
    decompression-bomb check would call a huge image "not a valid image": the limits are
    checked before that, so the editor learns why (then ImageFieldCleaningMixin cleans it).
    """

    def to_python(self, data):
        if data and hasattr(data, "size"):
            images.check_upload_budget(data)
        return super().to_python(data)


class ImageFieldCleaningMixin:
    """Run the named image fields through Pillow's checks and re-encoding.

    A new image that passed its checks survives an error elsewhere in the form: it is kept
    (articles.images.kept) and re-offered by its KeptImageInput.
    """

    image_fields = ()

    def _clean_image_field(self, name):
        value = self.cleaned_data.get(name)
        # An unchanged field holds the stored FieldFile, not a new upload; a kept file was
        # cleaned when it was chosen.
        if value and hasattr(value, "content_type") and not hasattr(value, "kept_token"):
            return images.clean_upload(value)
        return value

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not self._errors:
            return
        for name in self.image_fields:
            value = self.cleaned_data.get(name)
            widget = self.fields[name].widget
            if name in self._errors or not hasattr(value, "content_type") or not hasattr(widget, "kept"):
                continue
            token = getattr(value, "kept_token", None) or kept.keep(value)
            widget.kept = (token, value.name)

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
            "cover_caption",
            "cover_credit",
            "cover_licence",
            "author",
            "topics",
            "related",
        ]
        widgets = {
            "cover": KeptImageInput(noun="cover"),
            # Wide boxes that grow with the text (editor.css): the whole headline stays in view.
            "title": forms.Textarea(attrs={"rows": 1, "class": "editor-headline"}),
            "standfirst": forms.Textarea(attrs={"rows": 2, "class": "editor-standfirst"}),
            "body": ArticleMarkdownWidget(),
            "take": ArticleMarkdownWidget(preview_class="take__body prose"),
        }
        field_classes = {"cover": BoundedImageField}

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

    def clean_title(self):
        return single_line(self.cleaned_data.get("title"))

    def clean_standfirst(self):
        return single_line(self.cleaned_data.get("standfirst"))

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
        widgets = {"photo": KeptImageInput(noun="photo")}
        field_classes = {"photo": BoundedImageField}


class ReviewCommentForm(forms.Form):
    """A comment on a passage (the review screen, articles/review.py).

    `quote` is the passage, typed or pasted (or filled in by review.js from a selection);
    `before` and `after` (the text around the selection), filled in by review.js, say which
    occurrence of it was meant.
    """

    quote = forms.CharField(
        label="Passage",
        max_length=passages.MAX_QUOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Select it in the article or paste it here, exactly as it is written.",
    )
    body = forms.CharField(label="Comment", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    before = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def clean_quote(self):
        quote = passages.normalise(self.cleaned_data["quote"])
        if not quote:
            raise forms.ValidationError("Quote the passage you are commenting on.")
        return quote

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write your comment.")
        return body


class ReviewDecisionForm(forms.Form):
    """Approve or Request changes from the review screen, with the content the reviewer saw."""

    # The decisions: steps of workflow.TRANSITIONS (the screen offers those open to the user).
    APPROVING = ("approve", "approve_correction")
    SENDING_BACK = ("request_changes", "request_correction_changes")

    action = forms.ChoiceField(
        choices=[(name, workflow.TRANSITIONS[name].label) for name in (*APPROVING, *SENDING_BACK)]
    )
    comment = forms.CharField(required=False, max_length=4000)
    content_hash = forms.CharField(max_length=64)
