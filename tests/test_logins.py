"""Logging in to the newsroom: a lockout after repeated failures, optional two-factor codes.

Someone guessing passwords gets five tries for an account, or from an address, then waits
15 minutes from the last of them, even with the right password.
The page says how long and who can help; an editor or `manage.py axes_reset_username` lifts
it. Staff who turn on two-factor codes are asked for one after their password.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.roles import EDITORS
from logins.client_ip import client_ip
from tests.factories import PASSWORD, StaffUserFactory, newsroom_member

LOGIN = "/admin/login/"
LOCKED = "Too many failed attempts: try again in {} minutes or ask an editor to unlock you."


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    for _ in range(times):
        response = log_in(client, username, "wrong password", **extra)
    return response


def is_logged_in(client):
    return client.get("/admin/").status_code == 200


@pytest.fixture
def staff(db):
    return StaffUserFactory(username="dana")


# Lockout ------------------------------------------------------------------------------------


def test_four_wrong_passwords_still_let_the_right_one_in(client, staff):
    response = fail(client, "dana", 4)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()

    assert log_in(client, "dana", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_after_five_wrong_passwords_even_the_right_one_is_refused_with_a_clear_message(client, staff):
    response = fail(client, "dana", 5)

    assert response.status_code == 429
    assert LOCKED.format(15) in response.content.decode()

    response = log_in(client, "dana", PASSWORD)
    assert response.status_code == 429
    assert LOCKED.format(15) in response.content.decode()
    assert not is_logged_in(client)


def test_the_wait_counts_down_and_then_the_right_password_works(client, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, "dana", 5)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        # Trying during the wait changes nothing: the page tells the truth.
        assert LOCKED.format(9) in log_in(client, "dana", PASSWORD).content.decode()
        assert LOCKED.format(9) in log_in(client, "dana", "another guess").content.decode()
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert (
            LOCKED.format(1).replace("minutes", "minute") in log_in(client, "dana", PASSWORD).content.decode()
        )
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(client, "dana", PASSWORD).status_code == 302
        assert is_logged_in(client)


def test_one_address_trying_many_accounts_is_locked_out_for_all_of_them(client, db):
    for name in ["ana", "ben", "cy", "dee", "eve", "fay"]:
        StaffUserFactory(username=name)
    for name in ["ana", "ben", "cy", "dee", "eve"]:
        log_in(client, name, "Summer2026!")

    # fay never failed, but the address did.
    assert log_in(client, "fay", PASSWORD).status_code == 429
    # From another address fay logs in as usual.
    assert log_in(client, "fay", PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 302


def test_one_account_tried_from_many_addresses_is_locked_out_everywhere(client, staff):
    for number in range(5):
        log_in(client, "dana", "wrong", REMOTE_ADDR=f"203.0.113.{number}")

    response = log_in(client, "dana", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    # Other people at those addresses are not affected by dana's lockout: only by their own.
    StaffUserFactory(username="erin")
    assert log_in(client, "erin", PASSWORD, REMOTE_ADDR="198.51.100.8").status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, staff):
    fail(client, "dana", 4)
    assert log_in(client, "dana", PASSWORD).status_code == 302
    client.post("/admin/logout/")

    assert fail(client, "dana", 4).status_code == 200  # four more, not the fifth of nine


def test_the_lockout_is_kept_in_the_database_for_every_worker_and_node(client, staff):
    fail(client, "dana", 5)
    attempt = AccessAttempt.objects.get(username="dana")
    assert attempt.failures_since_start == 5
    assert "wrong password" not in attempt.post_data  # passwords are never stored


def test_an_admin_unlocks_someone_from_the_command_line(client, staff):
    fail(client, "dana", 5)
    assert log_in(client, "dana", PASSWORD).status_code == 429

    call_command("axes_reset_username", "dana")

    assert log_in(client, "dana", PASSWORD).status_code == 302


def test_an_editor_unlocks_someone_in_the_admin(client, staff):
    editor = newsroom_member(EDITORS, username="erin")
    fail(client, "dana", 5)
    attempt = AccessAttempt.objects.get(username="dana")

    client.force_login(editor)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "dana" in listing.content.decode()
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    client.post("/admin/logout/")

    assert log_in(client, "dana", PASSWORD).status_code == 302


def test_editors_may_lift_lockouts_and_turn_off_codes_but_not_read_secrets(db):
    editors = Group.objects.get(name=EDITORS)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in editors.permissions.all()}
    assert {
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    } <= granted
    assert "otp_totp.change_totpdevice" not in granted


def test_an_editor_sees_no_ones_two_factor_secret(client, staff):
    editor = newsroom_member(EDITORS, username="erin")
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(editor)

    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")

    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403


def test_the_login_page_and_the_lockout_are_never_cached(client, staff, settings):
    settings.PAGE_CACHE_ENABLED = True
    for _ in range(2):
        page = client.get(LOGIN)
        assert page.status_code == 200
        assert "X-Page-Cache" not in page
    locked = fail(client, "dana", 5)
    assert "X-Page-Cache" not in locked
    assert "no-cache" in locked.get("Cache-Control", "") or "private" in locked.get("Cache-Control", "")


def test_a_login_without_next_lands_on_the_newsroom(client, staff):
    response = log_in(client, "dana")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_login_goes_where_it_was_asked_to_but_never_off_site(client, staff):
    response = client.post(
        LOGIN + "?next=/admin/articles/article/", {"username": "dana", "password": PASSWORD}
    )
    assert response["Location"] == "/admin/articles/article/"

    client.post("/admin/logout/")
    response = client.post(
        LOGIN, {"username": "dana", "password": PASSWORD, "next": "https://evil.example/phish"}
    )
    assert response["Location"] == "/admin/"


# The client's address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        # No proxy configured: the header is the client's own claim, ignored.
        (0, "203.0.113.9", "198.51.100.1", "198.51.100.1"),
        # nginx in front: it replaced the header with the address it saw.
        (1, "203.0.113.9", "", "203.0.113.9"),
        # A client that sends its own header through a proxy that appends: the proxy's entry counts.
        (1, "10.6.6.6, 203.0.113.9", "", "203.0.113.9"),
        # A CDN, then nginx: the CDN's entry about the client.
        (2, "10.6.6.6, 203.0.113.9, 192.0.2.50", "", "203.0.113.9"),
        # Fewer entries than proxies: not to be trusted, the socket's peer.
        (2, "203.0.113.9", "198.51.100.1", "198.51.100.1"),
        # A unix socket with no header: one shared bucket, no address.
        (1, "", "", None),
        # A proxy that writes something else than an address: not an address.
        (1, "unknown", "", None),
        # Addresses are normalised, so one client is one count.
        (1, "2001:DB8::0:1", "", "2001:db8::1"),
    ],
)
def test_the_client_address_comes_only_from_what_trusted_proxies_wrote(
    settings, proxies, forwarded, remote, expected
):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)

    assert client_ip(request) == expected


def test_clients_without_an_address_share_one_count(client, db, settings):
    settings.TRUSTED_PROXIES = 1
    StaffUserFactory(username="fay")
    for name in ["ana", "ben", "cy", "dee", "eve"]:
        log_in(client, name, "guess", REMOTE_ADDR="")

    assert log_in(client, "fay", PASSWORD, REMOTE_ADDR="").status_code == 429
    assert (
        log_in(client, "fay", PASSWORD, REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="198.51.100.3").status_code
        == 302
    )


def test_behind_nginx_each_reader_address_is_counted_on_its_own(client, db, settings):
    settings.TRUSTED_PROXIES = 1
    StaffUserFactory(username="fay")
    for name in ["ana", "ben", "cy", "dee", "eve"]:
        log_in(client, name, "guess", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.66")

    assert (
        log_in(client, "fay", PASSWORD, REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.66").status_code
        == 429
    )
    assert (
        log_in(client, "fay", PASSWORD, REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="198.51.100.3").status_code
        == 302
    )


def test_a_forged_forwarded_header_does_not_dodge_the_address_lockout(client, staff):
    # Without trusted proxies, rotating X-Forwarded-For changes nothing: the socket counts.
    for number in range(5):
        log_in(client, f"nobody{number}", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")

    assert log_in(client, "dana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


# Two-factor codes -----------------------------------------------------------------------------


def code(device, *, steps_ahead=0):
    """The code the authenticator app shows now (or `steps_ahead` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def turn_on_two_factor(client):
    page = client.get("/admin/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user__username="dana", confirmed=False)
    response = client.post("/admin/two-factor/", {"otp_token": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_staff_member_turns_on_two_factor_with_a_qr_code_and_a_first_code(client, staff):
    client.force_login(staff)

    page = client.get("/admin/two-factor/").content.decode()
    assert "Two-factor login is <strong>off</strong>" in page
    assert re.search(r"<svg[^>]*class=\"segno\"", page)
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed
    # The key, to type in by hand, in groups of four.
    assert re.search(r'<code class="two-factor__secret">([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>', page)

    wrong = client.post(
        "/admin/two-factor/", {"otp_token": "000000" if code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    # django-otp makes the next try wait a second after a wrong code.
    assert "wait a moment" in client.post("/admin/two-factor/", {"otp_token": code(device)}).content.decode()
    device.throttle_reset()

    response = client.post("/admin/two-factor/", {"otp_token": code(device)}, follow=True)
    assert "Two-factor login is on" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed


def test_the_two_factor_page_is_for_staff_only(client, reader_user):
    assert client.get("/admin/two-factor/").status_code == 302
    client.force_login(reader_user)
    assert client.get("/admin/two-factor/")["Location"].startswith("/admin/login/")


def test_with_two_factor_on_the_password_alone_does_not_log_in(client, staff):
    client.force_login(staff)
    device = turn_on_two_factor(client)
    client.post("/admin/logout/")

    response = client.post(
        LOGIN + "?next=/admin/articles/article/", {"username": "dana", "password": PASSWORD}
    )

    assert response["Location"] == "/admin/login/code/"
    assert not is_logged_in(client)
    page = client.get("/admin/login/code/")
    assert "Password accepted for <strong>dana</strong>" in page.content.decode()

    response = client.post("/admin/login/code/", {"otp_token": code(device, steps_ahead=1)})

    assert response["Location"] == "/admin/articles/article/"
    assert is_logged_in(client)


def test_without_two_factor_nobody_is_asked_for_a_code(client, staff):
    TOTPDevice.objects.create(user=staff, name="never confirmed", confirmed=False)

    assert log_in(client, "dana")["Location"] == "/admin/"
    assert is_logged_in(client)


def test_wrong_codes_count_towards_the_lockout(client, staff):
    client.force_login(staff)
    device = turn_on_two_factor(client)
    client.post("/admin/logout/")
    right = code(device, steps_ahead=1)
    wrong = "123456" if right != "123456" else "654321"

    log_in(client, "dana")
    for _ in range(4):
        response = client.post("/admin/login/code/", {"otp_token": wrong})
        assert response.status_code == 200
        # django-otp also slows down wrong codes for the device itself: wait it out.
        device.refresh_from_db()
        device.throttling_failure_timestamp = timezone.now() - timedelta(hours=1)
        device.save()
    response = client.post("/admin/login/code/", {"otp_token": wrong})

    assert response.status_code == 429
    assert LOCKED.format(15) in response.content.decode()
    assert client.post("/admin/login/code/", {"otp_token": right}).status_code == 429
    assert not is_logged_in(client)


def test_the_code_step_expires_after_five_minutes(client, staff):
    client.force_login(staff)
    device = turn_on_two_factor(client)
    client.post("/admin/logout/")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        log_in(client, "dana")
    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        response = client.post("/admin/login/code/", {"otp_token": code(device)})
        assert response["Location"] == "/admin/login/"
        assert not is_logged_in(client)


def test_the_code_page_without_a_password_first_sends_back_to_the_login(client, staff):
    assert client.get("/admin/login/code/")["Location"] == "/admin/login/"


def test_turning_two_factor_off_takes_a_current_code(client, staff):
    client.force_login(staff)
    device = turn_on_two_factor(client)

    page = client.get("/admin/two-factor/").content.decode()
    assert "Two-factor login is <strong>on</strong>" in page
    assert 'class="segno"' not in page and "two-factor__secret" not in page  # the key is never shown again

    response = client.post("/admin/two-factor/", {"otp_token": code(device, steps_ahead=1)})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    client.post("/admin/logout/")
    assert log_in(client, "dana")["Location"] == "/admin/"
