"""Telegram media objects (PhotoSize, Document, Voice, Video, Sticker) over stored files."""

from __future__ import annotations

import io
from typing import Any

from bot.sandbox.store import JSON, Store, StoredFile
from bot.sandbox.validation import ApiError

# Telegram keeps a photo in several sizes; these are the longest sides of the smaller ones.
THUMBNAIL_SIDES = (90, 320, 800)


def _size(stored: StoredFile, width: int, height: int) -> JSON:
    """One PhotoSize."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": len(stored.content),
    }


def photo_sizes(store: Store, original: StoredFile) -> list[JSON]:
    """The PhotoSize list of a photo, smallest first; the largest is the file as sent.

    Smaller sizes are real JPEG thumbnails, so a bot that picks `photo[0]` gets an image.
    A file that is not an image is refused as Telegram refuses it.
    """
    from PIL import Image, UnidentifiedImageError  # imported here: only photos need Pillow

    try:
        with Image.open(io.BytesIO(original.content)) as image:
            width, height = image.size
            sizes = []
            for side in THUMBNAIL_SIDES:
                if side >= max(width, height):
                    break
                thumb = image.convert("RGB")
                thumb.thumbnail((side, side))
                buffer = io.BytesIO()
                thumb.save(buffer, "JPEG", quality=80)
                stored = store.new_file(buffer.getvalue(), f"photo_{side}.jpg", "image/jpeg")
                sizes.append(_size(stored, *thumb.size))
    except (UnidentifiedImageError, OSError, ValueError):
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
    return [*sizes, _size(original, width, height)]


def document_object(stored: StoredFile) -> JSON:
    """A Document."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_size": len(stored.content),
    }


def voice_object(stored: StoredFile, duration: int) -> JSON:
    """A Voice note (Telegram's are OGG/Opus)."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": duration,
        "mime_type": stored.mime_type or "audio/ogg",
        "file_size": len(stored.content),
    }


def video_object(stored: StoredFile, duration: int, width: int, height: int) -> JSON:
    """A Video."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "duration": duration,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type or "video/mp4",
        "file_size": len(stored.content),
    }


def sticker_object(store: Store, spec: Any) -> JSON:
    """A regular static sticker; `spec` may name an uploaded file_id and an emoji."""
    options = spec if isinstance(spec, dict) else {}
    file_id = options.get("file_id")
    stored = store.files.get(str(file_id)) if file_id else None
    if stored is None:
        stored = store.new_file(b"RIFF\x00\x00\x00\x00WEBP", "sticker.webp", "image/webp")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": str(options.get("emoji") or "👍"),
        "file_size": len(stored.content),
    }
