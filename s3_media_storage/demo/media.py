"""Sample media for the demo app: a PNG image, a WAV tone and an MP4 video.

The image and the sound are generated with the standard library only, so the demo
needs no imaging or audio packages. The video is a bundled file, because encoding
video needs ffmpeg. ``assets/README.md`` gives the command that made it.
"""

from __future__ import annotations

import array
import math
import struct
import sys
import wave
import zlib
from importlib import resources
from io import BytesIO
from typing import Final, NamedTuple

__all__ = ["mp4_video", "png_image", "wav_sound"]

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
# The PNG format limits width and height to 2**31 - 1 pixels.
_PNG_MAX_DIMENSION: Final = 2**31 - 1

# Sunset colours as 8-bit sRGB values.
_SKY_TOP: Final = (24, 32, 84)
_SKY_HORIZON: Final = (252, 158, 96)
_SUN: Final = (255, 226, 140)
_FAR_HILL: Final = (110, 62, 110)
_NEAR_HILL: Final = (46, 30, 66)

# Peak amplitude of the tone as a fraction of full scale (about -6 dBFS).
_TONE_AMPLITUDE: Final = 0.5
# Length of the fade in and the fade out, which keep the tone free of clicks.
_FADE_SECONDS: Final = 0.05

_Colour = tuple[int, int, int]


class _Circle(NamedTuple):
    centre_x: float
    centre_y: float
    radius: float
    colour: _Colour


def png_image(width: int = 480, height: int = 270) -> bytes:
    """Draw a sunset over hills and return it as an 8-bit RGB PNG.

    ``width`` and ``height`` are in pixels. Raises ``TypeError`` if either is not an
    int, and ``ValueError`` if either is below 1 or above 2**31 - 1.
    """
    _check_dimension("width", width)
    _check_dimension("height", height)

    # Shapes in pixels, drawn back to front.
    # Each hill is a circle wider than the image and centred below it, so only its
    # top shows. The hill tops are at 68% and 80% of the height.
    sun_radius = 0.16 * min(width, height)
    far_radius = 1.2 * width
    near_radius = 0.9 * width
    circles = [
        _Circle(0.68 * width, 0.70 * height, sun_radius, _SUN),
        _Circle(0.25 * width, 0.68 * height + far_radius, far_radius, _FAR_HILL),
        _Circle(0.85 * width, 0.80 * height + near_radius, near_radius, _NEAR_HILL),
    ]
    # The sky reaches its horizon colour at 75% of the height, behind the hills.
    horizon = max(0.75 * height, 1.0)

    rows = bytearray()
    for y in range(height):
        # Each PNG row starts with a filter type byte. Type 0 stores the pixels as is.
        rows.append(0)
        sky = _mix(_SKY_TOP, _SKY_HORIZON, min(y / horizon, 1.0))
        row = bytearray(bytes(sky) * width)
        for circle in circles:
            _fill_circle_span(row, y + 0.5, circle)
        rows += row

    # 8 bits per sample, colour type 2 (RGB), deflate, adaptive filters, no interlace.
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(bytes(rows))),
            _png_chunk(b"IEND", b""),
        ]
    )


def wav_sound(
    seconds: float = 2.0, frequency: float = 440.0, rate: int = 22050
) -> bytes:
    """Synthesise a sine tone and return it as a 16-bit mono PCM WAV file.

    ``frequency`` and ``rate`` are in Hz, and ``frequency`` must be below half of
    ``rate`` (the Nyquist frequency). The tone fades in and out over 50 ms each, and
    a sound shorter than 100 ms fades over each half. Raises ``TypeError`` if
    ``rate`` is not an int, and ``ValueError`` if a value is out of range or the
    sound would be shorter than one sample.
    """
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be positive and finite, got {seconds!r}")
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise TypeError(f"rate must be an int, got {type(rate).__name__}")
    if rate < 1:
        raise ValueError(f"rate must be a positive number of Hz, got {rate}")
    if not (0 < frequency < rate / 2):
        raise ValueError(
            f"frequency must be above 0 and below rate / 2 ({rate / 2} Hz), "
            f"got {frequency!r}"
        )
    frame_count = round(seconds * rate)
    if frame_count < 1:
        raise ValueError(
            f"seconds={seconds!r} at rate={rate} Hz is shorter than one sample"
        )

    fade_frames = max(1, min(round(_FADE_SECONDS * rate), frame_count // 2))
    peak = _TONE_AMPLITUDE * 32767
    step = 2 * math.pi * frequency / rate
    samples = array.array("h", bytes(2 * frame_count))
    for i in range(frame_count):
        # A raised-cosine fade starts and ends the tone without a click.
        edge = min(i, frame_count - 1 - i)
        gain = 1.0
        if edge < fade_frames:
            gain = 0.5 - 0.5 * math.cos(math.pi * edge / fade_frames)
        samples[i] = round(peak * gain * math.sin(step * i))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV samples are little-endian.

    buffer = BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


def mp4_video() -> bytes:
    """Read the bundled video: a 4-second H.264 test pattern, 320x180, no audio.

    Raises ``FileNotFoundError`` if the package was installed without
    ``assets/sample.mp4``.
    """
    assets = resources.files(__package__).joinpath("assets")
    return assets.joinpath("sample.mp4").read_bytes()


def _check_dimension(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 1 <= value <= _PNG_MAX_DIMENSION:
        raise ValueError(
            f"{name} must be from 1 to {_PNG_MAX_DIMENSION} pixels, got {value}"
        )


def _mix(start: _Colour, end: _Colour, fraction: float) -> _Colour:
    red, green, blue = (
        round(a + (b - a) * fraction) for a, b in zip(start, end, strict=True)
    )
    return red, green, blue


def _fill_circle_span(row: bytearray, y: float, circle: _Circle) -> None:
    """Paint the part of one RGB pixel row that lies inside a circle.

    ``y`` is the row's centre line. The pixels cut by the circle's left and right
    edge are blended by the share of the pixel they cover, which smooths the outline
    sideways. Top and bottom edges are not smoothed.
    """
    dy = y - circle.centre_y
    if abs(dy) >= circle.radius:
        return
    half_chord = math.sqrt(circle.radius**2 - dy**2)
    left = max(circle.centre_x - half_chord, 0.0)
    right = min(circle.centre_x + half_chord, len(row) / 3)
    if left >= right:
        return

    first_full = math.ceil(left)
    end_full = math.floor(right)
    if first_full < end_full:
        full_pixels = end_full - first_full
        row[3 * first_full : 3 * end_full] = bytes(circle.colour) * full_pixels

    if first_full > end_full:  # The span lies inside one pixel.
        _blend_pixel(row, end_full, circle.colour, right - left)
        return
    if first_full > left:
        _blend_pixel(row, first_full - 1, circle.colour, first_full - left)
    if right > end_full:
        _blend_pixel(row, end_full, circle.colour, right - end_full)


def _blend_pixel(row: bytearray, x: int, colour: _Colour, coverage: float) -> None:
    start = 3 * x
    old = (row[start], row[start + 1], row[start + 2])
    row[start : start + 3] = bytes(_mix(old, colour, coverage))


def _png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    # The CRC covers the chunk type and the data, not the length.
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)
