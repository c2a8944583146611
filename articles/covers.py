"""Title cards: cover images the site draws itself, with Pillow, from an article's title.

A title card is a 1600 × 900 illustration (a gradient sky, a motif, the site's name and
the article's title) for an article that has no photograph. The launch articles use
them. They are stored under `covers/title-cards/`, where nothing an editor uploads can
land (uploads go to `covers/%Y/%m/`), so a missing file there can always be drawn again
from the article: `loaddata` (articles.signals) and `manage.py make_renditions` do so,
which is how a fresh checkout, with an empty media folder, shows the launch covers.
"""

import hashlib
import io

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

TITLE_CARD_DIR = "covers/title-cards/"
TITLE_CARD_SIZE = (1600, 900)
TITLE_CARD_FORMAT = "JPEG"

# Drawn at twice the size and scaled down: ImageDraw does not anti-alias shapes.
SCALE = 2

# Bold sans fonts, by file name (Pillow looks in the system's font folders) or path.
# DejaVu ships with most Linux systems; the others cover macOS and Windows. Without any
# of them Pillow's own default font is used, so the card is drawn on every machine.
BOLD_FONTS = (
    "DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "Arial Bold.ttf",
    "arialbd.ttf",
)

WHITE = (255, 255, 255)
ACCENT = (200, 16, 46)  # the site's racing red (--color-accent)
MUTED = (196, 201, 210)  # --color-night-muted

# Sky gradients, top to bottom, one picked per title so the cards differ.
PALETTES = (
    ((17, 19, 24), (31, 52, 92)),  # night to deep blue
    ((17, 19, 24), (22, 72, 82)),  # night to teal
    ((17, 19, 24), (70, 38, 88)),  # night to violet
)

BATTERY_WORDS = ("batter", "charging", "charger", "cell", "lithium", "kwh")


def title_card_name(slug):
    """Where an article's title card is stored (FileField names are at most 100 characters)."""
    stem = slug[: 100 - len(TITLE_CARD_DIR) - len(".jpg")]
    return f"{TITLE_CARD_DIR}{stem}.jpg"


def is_title_card(name):
    return bool(name) and name.startswith(TITLE_CARD_DIR)


def motif_for(title):
    """A battery for articles about batteries and charging, otherwise a car on the road."""
    lowered = title.lower()
    return "battery" if any(word in lowered for word in BATTERY_WORDS) else "road"


def draw_title_card(title, *, kicker=None, motif=None):
    """The title card for `title`, as JPEG bytes, TITLE_CARD_SIZE pixels.

    `kicker` is the small line above the title (the site's name by default); `motif` is
    "road" or "battery" (chosen from the title by default). The same arguments give the
    same picture.
    """
    kicker = settings.SITE_NAME if kicker is None else kicker
    motif = motif or motif_for(title)
    width, height = TITLE_CARD_SIZE[0] * SCALE, TITLE_CARD_SIZE[1] * SCALE
    digest = hashlib.sha256(title.encode()).digest()
    top, bottom = PALETTES[sum(digest) % len(PALETTES)]

    image = _gradient((width, height), top, bottom)
    draw = ImageDraw.Draw(image)
    s = SCALE  # card pixels to drawing pixels

    if motif == "battery":
        _draw_battery(draw, box=(930 * s, 250 * s, 1480 * s, 560 * s), s=s)
    else:
        _draw_road(draw, width=width, height=height, bottom=bottom, s=s)

    # The words on the left, clear of the motif on the right.
    left = 96 * s
    draw.rectangle((left, 112 * s, left + 72 * s, 120 * s), fill=ACCENT)
    kicker_font = _bold_font(34 * s)
    draw.text((left, 140 * s), kicker.upper(), font=kicker_font, fill=MUTED)
    _draw_title(draw, title, left=left, top=230 * s, max_width=840 * s, max_height=560 * s)
    draw.rectangle((0, height - 16 * s, width, height), fill=ACCENT)

    card = image.resize(TITLE_CARD_SIZE, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    card.save(buffer, TITLE_CARD_FORMAT, quality=88, optimize=True, progressive=True)
    return buffer.getvalue()


def redraw_missing(article):
    """Draw `article`'s title card again if its file is missing. True if it was drawn."""
    cover = article.cover
    if not is_title_card(cover.name) or cover.storage.exists(cover.name):
        return False
    # The name is free (checked above), so the storage keeps it.
    cover.storage.save(cover.name, ContentFile(draw_title_card(article.title)))
    return True


# Drawing


def _gradient(size, top, bottom):
    _, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / (height - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return column.resize(size)


def _draw_road(draw, *, width, height, bottom, s):
    """A low sun behind hills, and a car on the road in front of them, all seen from the side."""
    horizon = 640 * s
    sun_x = 1260 * s
    rings = ((250, (62, 42, 60)), (185, (110, 50, 56)), (128, (196, 84, 58)), (84, (246, 170, 84)))
    for radius, colour in rings:
        r = radius * s
        draw.ellipse((sun_x - r, horizon - r, sun_x + r, horizon + r), fill=colour)
    hills = tuple(max(0, c - 6) for c in bottom)
    draw.polygon(
        [
            (880 * s, horizon),
            (1010 * s, 560 * s),
            (1130 * s, 610 * s),
            (1250 * s, 530 * s),
            (1420 * s, 600 * s),
            (1600 * s, 540 * s),
            (1600 * s, horizon),
        ],
        fill=hills,
    )
    draw.rectangle((0, horizon, width, height), fill=tuple(max(0, c - 12) for c in bottom))
    # The road: a band with a dashed centre line.
    road_top, road_bottom = 720 * s, 860 * s
    draw.rectangle((0, road_top, width, road_bottom), fill=(44, 47, 56))
    draw.rectangle((0, road_top, width, road_top + 6 * s), fill=(90, 94, 104))
    middle = (road_top + road_bottom) // 2
    for x in range(40, 1600, 150):
        draw.rectangle((x * s, middle - 5 * s, (x + 80) * s, middle + 5 * s), fill=(236, 200, 90))
    # Speed lines behind the car.
    for offset, length in ((0, 150), (44, 210), (88, 120)):
        y = (735 + offset) * s - 110 * s
        draw.rounded_rectangle((960 * s - length * s, y, 950 * s, y + 8 * s), radius=4 * s, fill=MUTED)
    _draw_car(draw, left=1000 * s, ground=800 * s, length=500 * s)


def _draw_car(draw, *, left, ground, length):
    """A side view of a hatchback: body, glasshouse, wheels, lights."""
    u = length / 100  # the car is drawn on a 100-unit grid

    def at(x, y):
        return left + x * u, ground - y * u

    outline = (
        (0, 10),
        (2, 22),
        (10, 26),
        (30, 29),
        (44, 42),
        (70, 42),
        (86, 29),
        (98, 26),
        (100, 12),
        (97, 8),
        (3, 8),
    )
    draw.polygon([at(x, y) for x, y in outline], fill=ACCENT)
    draw.polygon([at(34, 29), at(46, 39), at(66, 39), at(80, 29)], fill=(30, 36, 48))
    draw.line([at(57, 39), at(57, 29)], fill=ACCENT, width=round(2 * u))
    draw.line([at(4, 17), at(96, 17)], fill=(150, 10, 32), width=round(u))
    for centre in (22, 80):
        cx, cy = at(centre, 9)
        for radius, colour in ((9.5, (16, 17, 20)), (5.5, (120, 126, 138)), (2, (40, 42, 48))):
            r = radius * u
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    draw.polygon([at(96, 22), at(100, 20), at(100, 16), at(97, 17)], fill=(255, 236, 170))
    draw.polygon([at(0, 20), at(3, 21), at(3, 15), at(0.5, 14)], fill=(255, 90, 90))


def _draw_battery(draw, *, box, s):
    """A battery cell, four bars charged, with a lightning bolt across it."""
    x0, y0, x1, y1 = box
    line = 14 * s
    terminal_height = (y1 - y0) * 0.36
    middle = (y0 + y1) / 2
    terminal = (x1, middle - terminal_height / 2, x1 + 44 * s, middle + terminal_height / 2)
    draw.rounded_rectangle(terminal, radius=10 * s, fill=WHITE)
    draw.rounded_rectangle(box, radius=36 * s, outline=WHITE, width=line)
    inner = 34 * s
    bars, gap = 4, 22 * s
    bar_width = (x1 - x0 - 2 * inner - (bars - 1) * gap) / bars
    greens = ((52, 168, 83), (70, 190, 100), (96, 210, 120), (140, 228, 150))
    for index, colour in enumerate(greens):
        bx = x0 + inner + index * (bar_width + gap)
        draw.rounded_rectangle((bx, y0 + inner, bx + bar_width, y1 - inner), radius=10 * s, fill=colour)
    # The bolt, drawn over the bars with a dark outline so it reads on green.
    cx, cy = (x0 + x1) / 2, middle
    bolt = [
        (cx + 40 * s, cy - 190 * s),
        (cx - 90 * s, cy + 20 * s),
        (cx - 5 * s, cy + 20 * s),
        (cx - 50 * s, cy + 190 * s),
        (cx + 95 * s, cy - 35 * s),
        (cx + 8 * s, cy - 35 * s),
    ]
    draw.polygon(bolt, fill=(255, 208, 64), outline=(17, 19, 24), width=10 * s)
    # Solid layers in a cut-away strip under the cell: the "solid-state" inside.
    strip_top = y1 + 70 * s
    for index, colour in enumerate(((246, 170, 84), (196, 201, 210), (120, 126, 138), (246, 170, 84))):
        top = strip_top + index * 30 * s
        draw.rectangle((x0 + 60 * s, top, x1 - 60 * s, top + 22 * s), fill=colour)


def _draw_title(draw, title, *, left, top, max_width, max_height):
    """The title in the largest size at which it fits in four lines."""
    for size in range(92, 40, -4):
        font = _bold_font(size * SCALE)
        lines = _wrap(title, font, max_width)
        line_height = round(size * SCALE * 1.18)
        fits = all(font.getlength(line) <= max_width for line in lines)
        if fits and len(lines) <= 4 and len(lines) * line_height <= max_height:
            break
    for index, text in enumerate(lines[:5]):
        draw.text((left, top + index * line_height), text, font=font, fill=WHITE)


def _wrap(text, font, max_width):
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _bold_font(size):
    for name in BOLD_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)
