"""factory_boy factories for the test suite.

`ArticleFactory()` is a draft. Its traits give the states readers care about:
`published=True` (published an hour or more ago), `future=True` (published, but
scheduled for later) and `draft=True` (explicit).
"""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article, Author, Topic
from articles.workflow import content_hash

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)
    is_active = True


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class SuperuserFactory(StaffUserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_superuser = True


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Faker("name")
    slug = factory.LazyAttributeSequence(lambda author, n: f"{slugify(author.name)}-{n}")
    bio = factory.Faker("sentence")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda topic: slugify(topic.name))
    description = factory.Faker("sentence")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Article.Status.DRAFT, published_at=None)
        published = factory.Trait(
            status=Article.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
        )
        future = factory.Trait(
            status=Article.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=3)),
        )

    title = factory.Sequence(lambda n: f"Article number {n} about cars")
    slug = factory.LazyAttributeSequence(lambda article, n: f"{slugify(article.title)[:180]}-{n}")
    # Fixed wording, not Faker's random English words: a search test must never match a
    # word that chance put into another article.
    standfirst = factory.Sequence(lambda n: f"Standfirst of article {n}.")
    body = factory.Sequence(lambda n: f"Body text of article {n}, written for the tests.")
    take = ""
    author = factory.SubFactory(AuthorFactory)
    status = Article.Status.DRAFT
    published_at = None
    # An approved or published article's words are the approved ones (workflow.approve).
    approved_hash = factory.LazyAttribute(
        lambda article: (
            content_hash(article)
            if article.status in {Article.Status.APPROVED, Article.Status.PUBLISHED}
            else ""
        )
    )

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.add(*extracted)

    @factory.post_generation
    def related(self, create, extracted, **kwargs):
        if create and extracted:
            self.related.add(*extracted)


def newsroom_member(group_name, **kwargs):
    """A staff user in one newsroom group (Authors, Reviewers, Editors), with a byline."""
    from django.contrib.auth.models import Group

    byline = kwargs.pop("byline", None)
    user = StaffUserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    AuthorFactory(user=user, name=byline or user.username.title())
    return user
