"""“My profile”: every newsroom member edits their own byline (bio and photo) from the admin.

Only the Author row linked to the logged-in user: there is no id in the URL to change.
The byline's name and slug stay with the editors (AuthorAdmin), as they are part of
published pages' URLs and credits.
"""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import UpdateView

from .forms import ImageFieldCleaningMixin, KeptImageInput
from .models import Author


class MyProfileForm(ImageFieldCleaningMixin, forms.ModelForm):
    image_fields = ("photo",)

    class Meta:
        model = Author
        fields = ["bio", "photo"]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"}),
            "photo": KeptImageInput(noun="photo"),
        }
        help_texts = {
            "bio": "A sentence or two readers see on your author page and under your articles.",
            "photo": "A portrait, JPEG, PNG, WebP or GIF; it is resized for every screen.",
        }


class MyProfileView(UpdateView):
    """The logged-in user's Author row (form MyProfileForm, template
    admin/articles/author/my_profile.html, context: the admin's, `author`, `form`)."""

    form_class = MyProfileForm
    template_name = "admin/articles/author/my_profile.html"

    def get_object(self, queryset=None):
        return getattr(self.request.user, "author_profile", None)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object is None:
            return self.render_to_response({**self.admin_context(), "author": None})
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        if self.get_object() is None:
            messages.error(request, "You have no byline yet: ask an editor to create one for you.")
            return redirect(reverse("admin:articles_author_mine"))
        return super().post(request, *args, **kwargs)

    def admin_context(self):
        return {**admin.site.each_context(self.request), "title": "My profile", "opts": Author._meta}

    def get_context_data(self, **kwargs):
        return {**self.admin_context(), **super().get_context_data(**kwargs), "author": self.object}

    def form_valid(self, form):
        form.save()
        messages.success(self.request, "Your profile is saved: readers see it on your author page.")
        return redirect(reverse("admin:articles_author_mine"))
