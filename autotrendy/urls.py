from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from articles import accounts
from articles.markdownx_views import StaffImageUploadView, StaffMarkdownifyView
from articles.pagecache import public_page
from articles.sitemaps import index as sitemap_index
from articles.sitemaps import section as sitemap_section
from articles.sitemaps import sitemaps
from articles.views import robots_txt
from autotrendy.csp_reports import csp_report
from logins.views import LoginView

urlpatterns = [
    # Before the admin's own URLs, which would otherwise answer these paths with a 404.
    path(
        settings.MARKDOWNX_URLS_PATH.lstrip("/"), StaffMarkdownifyView.as_view(), name="markdownx_markdownify"
    ),
    path(
        settings.MARKDOWNX_UPLOAD_URLS_PATH.lstrip("/"),
        StaffImageUploadView.as_view(),
        name="markdownx_upload",
    ),
    # "Forgotten your password?" on the admin login (the admin shows the link once it exists).
    path("admin/password_reset/", accounts.PasswordResetView.as_view(), name="admin_password_reset"),
    path("admin/password_reset/done/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    # The newsroom's login (two steps when someone turned on two-factor codes) and the
    # two-factor setting, in place of and before the admin's own login.
    path("admin/login/", LoginView.as_view(), name="login"),
    path("admin/", include("logins.urls")),
    path("admin/", admin.site.urls),
    # The one-time password-setting links that `add_staff` prints and the reset emails carry,
    # on pages under the newsroom's name (articles.accounts).
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # An index of sections; the articles' section in pages of ids (articles.sitemaps).
    path("sitemap.xml", public_page(sitemap_index), {"sitemaps": sitemaps}, name="sitemap"),
    path(
        "sitemap-<slug:section>.xml",
        public_page(sitemap_section),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("robots.txt", robots_txt, name="robots-txt"),
    path("csp-report/", csp_report, name="csp-report"),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

admin.site.site_header = f"{settings.SITE_NAME} newsroom"
admin.site.site_title = f"{settings.SITE_NAME} admin"
admin.site.index_title = "Articles, authors and topics"
admin.site.site_url = "/"

handler500 = "autotrendy.errors.server_error"
