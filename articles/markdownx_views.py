"""markdownx's preview and upload endpoints, for logged-in staff only.

markdownx's own URLs answer anyone (an anonymous POST stores a file) and 500 on bad
input, so they are routed here instead of `include("markdownx.urls")`.
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.decorators import method_decorator
from markdownx.views import ImageUploadView, MarkdownifyView

from .forms import MarkdownImageUploadForm


class WritersOnlyMixin:
    """Logged-in staff who may write articles: others are sent to log in, or refused."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not (user.has_perm("articles.add_article") or user.has_perm("articles.change_article")):
            raise PermissionDenied("Only people who write articles can preview or upload.")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(staff_member_required, name="dispatch")
class StaffMarkdownifyView(WritersOnlyMixin, MarkdownifyView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if "content" not in request.POST:
            return HttpResponseBadRequest("Send the Markdown to preview as 'content'.")
        return super().post(request, *args, **kwargs)


@method_decorator(staff_member_required, name="dispatch")
class StaffImageUploadView(WritersOnlyMixin, ImageUploadView):
    http_method_names = ["post"]
    form_class = MarkdownImageUploadForm

    def form_invalid(self, form):
        # markdownx renders a template that does not exist for non-AJAX requests. The
        # messages are the editor's to read (static/js/editor.js shows them by the text).
        return JsonResponse(form.errors, status=400)

    def form_valid(self, form):
        url = form.save(commit=True)
        # image_url for editor.js, which asks the author for the alt text; image_code for
        # markdownx's own script (its alt text is empty, so editor.js replaces that path).
        return JsonResponse({"image_url": url, "image_code": f"![]({url})"})
