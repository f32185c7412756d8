"""A safe preview of an attached image: its pixels decoded and re-encoded as a fresh PNG. Pure: bytes in, bytes out.

The customer's file never reaches a browser as it came: only pixels survive (no EXIF, GPS, ICC or comments,
no trailing data, no polyglot tricks), the image is scaled down to a preview, and anything larger than
MAX_SOURCE_PIXELS is refused before it is decoded, so a decompression bomb costs nothing.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

MAX_SOURCE_PIXELS = 40_000_000  # about a 48-megapixel photo; beyond this the preview is refused
PREVIEW_SIDE = 1200  # the longest side of the preview, in pixels


class NoPreview(Exception):
    """The file cannot be previewed safely (not an image Pillow reads, or too large); the reason says why."""


def preview_png(data: bytes, *, max_pixels: int = MAX_SOURCE_PIXELS, side: int = PREVIEW_SIDE) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                width, height = source.size
                if width * height > max_pixels:
                    raise NoPreview(f"the image is {width}x{height} pixels, more than a preview decodes")
                if source.format not in {"JPEG", "PNG", "GIF"}:
                    raise NoPreview(f"no preview for {source.format or 'unknown'} images")
                source.seek(0)  # the first frame of an animation
                image = ImageOps.exif_transpose(source)  # upright as the camera meant, before EXIF goes
                image.thumbnail((side, side))
                rgb = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    except NoPreview:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken or hostile files
        raise NoPreview(f"not a readable image ({type(exc).__name__})") from None
    # A new image from the pixels alone: nothing of the source's metadata can ride along.
    clean = Image.frombytes(rgb.mode, rgb.size, rgb.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()
