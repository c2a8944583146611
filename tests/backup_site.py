"""A small site with everything a backup must carry, and what a reader and an editor see of it.

Used by tests/test_backup.py in its own process and in another one, on another database:

    python -m tests.backup_site build FOLDER     # migrate FOLDER/site.sqlite3, build the site,
                                                 # write FOLDER/snapshot.json and FOLDER/site.zip
    python -m tests.backup_site restore FOLDER   # migrate, restore FOLDER/site.zip, write
                                                 # FOLDER/restored.json

(with DATABASE_URL=sqlite:///FOLDER/site.sqlite3 and DJANGO_SETTINGS_MODULE=tests.settings;
media go to FOLDER/media).
"""

import hashlib
import io
import json
import re
import sys
from datetime import timedelta
from pathlib import Path

from PIL import Image

PAGE_NONCE = re.compile(r'\snonce="[^"]*"')


def picture(image_format, size, color):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, image_format)
    return buffer.getvalue()


def build_site():
    """Three newsroom members, topics, covers with renditions, an author photo, a body
    image, articles through the workflow (revisions, topics changed, an approval, a
    publication, a schedule), links between articles, a related article, a changed slug,
    a direct permission and an entry in the admin's log."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Permission
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from articles import workflow
    from articles.models import Article
    from articles.roles import AUTHORS, EDITORS, REVIEWERS
    from tests.factories import TopicFactory, newsroom_member

    editor = newsroom_member(EDITORS, username="eddie", byline="Eddie Editor")
    writer = newsroom_member(AUTHORS, username="wanda", byline="Wanda Writer")
    reviewer = newsroom_member(REVIEWERS, username="rita", byline="Rita Reviewer")
    writer.user_permissions.add(Permission.objects.get(codename="add_topic"))
    wanda = writer.author_profile
    wanda.bio = "Writes about batteries & <charging>."
    wanda.photo = SimpleUploadedFile("wanda.jpg", picture("JPEG", (1000, 1000), (40, 90, 160)))
    wanda.save()

    batteries = TopicFactory(name="Batteries", slug="batteries", description="Cells, packs & chemistry.")
    policy = TopicFactory(name="Policy", slug="policy", description="Tariffs and rules.")
    TopicFactory(name="Motorsport", slug="motorsport", description="Nothing yet.")
    default_storage.save("uploads/diagram.png", ContentFile(picture("PNG", (300, 200), (10, 200, 90))))

    def write(title, slug, body, *, cover=None, topics=()):
        article = Article(
            title=title,
            slug=slug,
            standfirst=f"What {title.lower()} means for drivers.",
            body=body,
            take="Worth watching.",
            author=wanda,
        )
        if cover:
            article.cover = SimpleUploadedFile(f"{slug}.jpg", picture("JPEG", (1200, 800), cover))
            article.cover_alt = f"A picture for {title}"
        workflow.save_edit(article, writer, changed_fields=[])
        article.topics.set(topics)
        article.body += "\n\nUpdated with the maker's figures."
        workflow.save_edit(article, writer, changed_fields=["body"], expected_version=article.version)
        return article

    def through_review(article, *, at=None):
        workflow.submit(article, writer)
        workflow.approve(article, reviewer, comment="Checked the figures.")
        workflow.publish(article, editor, at=at)

    cells = write(
        "Solid-state cells arrive",
        "solid-state-cells-arrive",
        "# Range\n\nSolid-state battery cells promise more range.",
        cover=(200, 40, 40),
        topics=[batteries],
    )
    through_review(cells)
    tariffs = write(
        "Tariffs on battery imports",
        "tariffs-on-battery-imports",
        "See [the cells](/articles/solid-state-cells-arrive/) first.\n\n![A diagram](/media/uploads/diagram.png)",
        cover=(30, 30, 160),
        topics=[batteries, policy],
    )
    tariffs.related.add(cells)
    through_review(tariffs)
    tariffs.slug = "battery-tariffs"
    workflow.save_edit(tariffs, editor, changed_fields=["slug"], expected_version=tariffs.version)
    through_review(
        write("Next year's racing", "next-years-racing", "Soon.", topics=[batteries]),
        at=timezone.now() + timedelta(days=30),
    )
    write("A draft about charging", "a-draft-about-charging", "Not ready.", topics=[policy])
    LogEntry.objects.log_actions(
        editor.pk, [cells], CHANGE, change_message=[{"changed": {"fields": ["Body"]}}], single_object=True
    )


def pages(client):
    """What readers get: every public page of the site, as HTML (nonces left out)."""
    from articles.models import Article, Author, Topic

    urls = ["/", "/archive/", "/feed/atom/", "/sitemap-articles.xml"]
    urls += [article.get_absolute_url() for article in Article.objects.published()]
    urls += [topic.get_absolute_url() for topic in Topic.objects.with_published_articles()]
    urls += [author.get_absolute_url() for author in Author.objects.with_published_articles()]
    urls += ["/articles/tariffs-on-battery-imports/"]  # the old slug: a redirect
    seen = {}
    for url in sorted(set(urls)):
        response = client.get(url)
        seen[url] = [
            response.status_code,
            response.get("Location"),
            PAGE_NONCE.sub("", response.content.decode()),
        ]
    # Each engine ranks and quotes matches its own way (README, "Search"): the same articles found.
    response = client.get("/search/?q=battery")
    seen["/search/?q=battery"] = sorted(
        set(re.findall(r'href="(/articles/[^"]+)"', response.content.decode()))
    )
    return seen


def rows():
    """Every row of every backed-up table, as comparable JSON: database ids of content
    types, permissions and groups (which differ between databases) as their natural keys,
    the ids of many-to-many rows (made anew on loading) left out. The page cache's edition
    token is not content and starts anew."""
    from articles import backup

    tables = {}
    for model in backup.tables():
        label = model._meta.label_lower
        if label == "articles.pageedition":
            continue
        table = []
        for obj in model._base_manager.order_by("pk"):
            row = {}
            for field in model._meta.concrete_fields:
                if field.primary_key and (
                    model._meta.auto_created or issubclass(model, backup.BY_NATURAL_KEY)
                ):
                    continue
                if field.is_relation and issubclass(field.related_model, backup.BY_NATURAL_KEY):
                    related = getattr(obj, field.name)
                    row[field.name] = related.natural_key() if related else None
                else:
                    row[field.attname] = field.value_from_object(obj)
            table.append(json.dumps(row, sort_keys=True, default=str))
        tables[label] = sorted(table)
    return tables


def media():
    """{name: SHA-256} of every file in the media storage."""
    from django.core.files.storage import default_storage

    from articles.backup import media_files

    found = {}
    for name in media_files(default_storage):
        with default_storage.open(name, "rb") as stored:
            found[name] = hashlib.sha256(stored.read()).hexdigest()
    return found


def snapshot(client):
    """Everything compared after a restore: rows per table, the rows themselves, pages, media."""
    from articles import backup

    return {"counts": backup.row_counts(), "rows": rows(), "pages": pages(client), "media": media()}


def main(action, folder):
    import django
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    django.setup()
    setup_test_environment()
    folder = Path(folder)
    with override_settings(MEDIA_ROOT=str(folder / "media"), ALLOWED_HOSTS=["testserver"]):
        call_command("migrate", verbosity=0)
        if action == "build":
            build_site()
            (folder / "snapshot.json").write_text(json.dumps(snapshot(Client()), default=str))
            call_command("backup", str(folder / "site.zip"))
        else:
            call_command("restore", str(folder / "site.zip"))
            (folder / "restored.json").write_text(json.dumps(snapshot(Client()), default=str))


if __name__ == "__main__":
    main(*sys.argv[1:])
