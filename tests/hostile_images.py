"""Image files made to exhaust a worker, and the largest ones the upload limits allow.

Made in memory, quickly: most are written byte by byte (a PNG's rows streamed through zlib,
a GIF's one frame repeated, headers announcing sizes their data never fill), so that the
test process itself never holds the pixels it describes.
"""

import io
import struct
import zlib

from PIL import Image


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, *, mode="RGBA", rows=None):
    """A PNG of `width` × `height` in 8-bit `mode` (RGBA, RGB or L), every pixel the same,
    written row by row through zlib: a valid file of a few hundred kilobytes at most.
    `rows` stops the data early (a header announcing more than the file holds)."""
    colour_type, channels = {"L": (0, 1), "RGB": (2, 3), "RGBA": (6, 4)}[mode]
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" + bytes([90, 140, 200, 255][:channels]) * width
    parts = [compressor.compress(row) for _ in range(height if rows is None else rows)]
    data = b"".join(parts) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def gif(width, height, frames):
    """An animated GIF: one `width` × `height` frame (two colours) repeated `frames` times."""
    buffer = io.BytesIO()
    picture = Image.new("P", (width, height), 0)
    picture.putpalette([200, 30, 30, 30, 30, 200] + [0] * 762)
    picture.paste(1, (0, 0, width // 2, height))
    picture.save(buffer, "GIF")
    data = buffer.getvalue()
    start = data.index(b"\x2c", 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0))
    frame = b"\x21\xf9\x04\x00\x05\x00\x00\x00" + data[start:-1]  # 50 ms each
    netscape = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return data[:start] + netscape + frame * frames + b";"


def tiny_frames_gif(frames):
    """A GIF of `frames` frames of 1 × 1 pixel: 15 bytes a frame."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return head + frame * frames + b";"


def animation(image_format, width, height, frames):
    """An animated WebP or PNG (APNG) of `frames` frames, alternating two colours."""
    colours = [Image.new("RGB", (width, height), colour) for colour in ((200, 30, 30), (30, 30, 200))]
    buffer = io.BytesIO()
    sequence = [colours[index % 2] for index in range(frames)]
    options = (
        {"lossless": True, "quality": 0, "method": 0} if image_format == "WEBP" else {"compress_level": 1}
    )
    sequence[0].save(buffer, image_format, save_all=True, append_images=sequence[1:], duration=50, **options)
    return buffer.getvalue()


def jpeg(width, height, *, progressive=False, subsampling=0, mode="RGB"):
    """A JPEG of `width` × `height`, smooth (a gradient), baseline or progressive, in
    full colour resolution (4:4:4, the most a decoder holds) unless `subsampling` says."""
    picture = Image.linear_gradient("L").resize((width, height)).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80, progressive=progressive, subsampling=subsampling)
    return buffer.getvalue()


def jpeg_header(width, height):
    """A small JPEG whose frame header (SOF) announces `width` × `height`."""
    data = bytearray(jpeg(16, 16))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp(width, height):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 60)).save(buffer, "WEBP", lossless=True, quality=0, method=0)
    return buffer.getvalue()


def tiff_header(width, height):
    """A TIFF announcing `width` × `height` 8-bit grey pixels it does not hold."""
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample, SHORT
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 8 + 2 + 12 * 8 + 4),  # StripOffsets: just after the directory
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, min(width * height, 2**32 - 1)),  # StripByteCounts
    ]
    directory = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<H", value) + b"\x00\x00" if kind == 3 else struct.pack("<I", value)
        directory += struct.pack("<HHI", tag, kind, count) + packed
    return b"II*\x00" + struct.pack("<I", 8) + directory + b"\x00\x00\x00\x00" + b"\x00" * 64


def bmp_header(width, height):
    """A 24-bit BMP announcing `width` × `height` pixels it does not hold."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 64, 0, 0, 14 + 40) + info + b"\x00" * 64


def ppm_header(width, height):
    return f"P6 {width} {height} 255\n".encode() + b"\x00" * 64
