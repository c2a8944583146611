from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from articles.accounts import set_password_url
from articles.models import Author
from articles.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = (
        "Create a newsroom staff user in one role (author, reviewer or editor) with a linked "
        "Author profile, and print a one-time link to set the password. Run again for an "
        "existing user to change the role."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_GROUPS))
        parser.add_argument("--name", help='Full name for the byline, e.g. "Daniel Andzhurov"')
        parser.add_argument("--email", default="", help="Where workflow notifications go")

    @transaction.atomic
    def handle(self, username, role, name=None, email="", **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        name = (name or "").strip()
        if name:
            first, _, last = name.partition(" ")
            user.first_name, user.last_name = first, last
        if email:
            user.email = email
        user.is_staff = True
        if created:
            user.set_unusable_password()
        user.save()
        user.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()))
        try:
            user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        except Group.DoesNotExist:
            raise CommandError("The newsroom groups are missing: run `manage.py migrate` first.") from None

        author = getattr(user, "author_profile", None)
        byline = name or user.get_full_name() or username
        if author is None:
            author = Author.objects.create(user=user, name=byline, slug=self._free_slug(byline))
        elif name and author.name != name:
            author.name = name
            author.save(update_fields=["name"])

        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {username}: {role}, byline “{author.name}”."))
        if created or not user.has_usable_password():
            link = set_password_url(user)
            days = settings.PASSWORD_RESET_TIMEOUT // 86400
            self.stdout.write(f"Set the password (one use, valid {days} days): {link}")
        if not user.email:
            # The workflow tells people by email: without an address, nobody can tell them.
            self.stderr.write(
                self.style.WARNING(
                    f"Warning: {username} has no email address, so the newsroom cannot tell them when an "
                    f"article needs them. Add one: manage.py add_staff {username} --role {role} --email ADDRESS"
                )
            )

    @staticmethod
    def _free_slug(name):
        base = slugify(name) or "author"
        slug, number = base, 2
        while Author.objects.filter(slug=slug).exists():
            slug, number = f"{base}-{number}", number + 1
        return slug
