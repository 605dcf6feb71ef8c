"""A small ESC/POS reader for tests: enough of the command set to read our jobs back."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageOps


@dataclass
class TextLine:
    """Bytes of one printed line, split where ESC t changed the code page."""

    segments: list[tuple[int | None, bytes]]
    bold: bool
    double_height: bool


@dataclass
class Job:
    commands: list[tuple] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)

    def names(self) -> list[str]:
        return [command[0] for command in self.commands]


def parse(data: bytes) -> Job:
    """Walk the stream; unknown commands fail loudly rather than being read as text."""
    job = Job()
    page: int | None = None
    bold = double = False
    segments: list[tuple[int | None, bytes]] = []
    current = bytearray()

    def flush_segment() -> None:
        if current:
            segments.append((page, bytes(current)))
            current.clear()

    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B:
            command = data[i + 1]
            if command == ord("@"):
                job.commands.append(("init",))
                i += 2
            elif command == ord("t"):
                flush_segment()
                page = data[i + 2]
                job.commands.append(("codepage", page))
                i += 3
            elif command == ord("E"):
                bold = bool(data[i + 2])
                i += 3
            elif command == ord("d"):
                job.commands.append(("feed", data[i + 2]))
                i += 3
            elif command == ord("p"):
                job.commands.append(("drawer", data[i + 2], data[i + 3], data[i + 4]))
                i += 5
            else:
                raise ValueError(f"unknown ESC {command:#x} at {i}")
        elif byte == 0x1D:
            command = data[i + 1]
            if command == ord("!"):
                double = bool(data[i + 2] & 0x0F)
                i += 3
            elif command == ord("v") and data[i + 2] == ord("0"):
                width_bytes = data[i + 4] + 256 * data[i + 5]
                height = data[i + 6] + 256 * data[i + 7]
                start = i + 8
                raw = data[start : start + width_bytes * height]
                # ESC/POS: bit 1 = black dot; PIL mode "1": 1 = white, hence the invert.
                image = Image.frombytes("1", (width_bytes * 8, height), raw)
                job.images.append(ImageOps.invert(image.convert("L")).convert("1"))
                job.commands.append(("image", width_bytes, height))
                i = start + width_bytes * height
            elif command == ord("V"):
                mode = data[i + 2]
                job.commands.append(("cut", mode))
                i += 4 if mode in (65, 66) else 3
            else:
                raise ValueError(f"unknown GS {command:#x} at {i}")
        elif byte == 0x0A:
            flush_segment()
            job.lines.append(TextLine(list(segments), bold, double))
            segments.clear()
            i += 1
        else:
            current.append(byte)
            i += 1
    return job


def stack(images: list[Image.Image]) -> Image.Image:
    """Fragments of one tall image, rejoined top to bottom."""
    width = images[0].width
    out = Image.new("1", (width, sum(image.height for image in images)), 1)
    top = 0
    for image in images:
        out.paste(image, (0, top))
        top += image.height
    return out


def black_fraction(image: Image.Image) -> float:
    """Share of black dots (0 = blank paper)."""
    histogram = image.convert("L").histogram()
    return histogram[0] / (image.width * image.height)
