#!/usr/bin/env python3
"""Renders a tmux `capture-pane -e -p` dump (text with SGR colour codes) to a
PNG, so the README's screenshot comes from the real program.

    tmux capture-pane -e -p -t SESSION > screen.ans
    python3 scripts/screenshot.py screen.ans assets/screenshot.png

Needs Pillow and the DejaVu Sans Mono font.
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BG = (24, 26, 33)
FG = (214, 219, 229)
PALETTE = [
    (40, 42, 54), (232, 96, 96), (112, 200, 120), (230, 190, 80),
    (98, 150, 235), (190, 130, 220), (90, 200, 210), (214, 219, 229),
    (110, 115, 130), (255, 120, 120), (140, 230, 150), (250, 215, 110),
    (130, 175, 255), (215, 160, 240), (120, 225, 235), (255, 255, 255),
]
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def xterm(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def parse(line):
    """Yields (char, fg, bg, bold, dim, reverse) for each character."""
    fg, bg, bold, dim, rev = None, None, False, False, False
    pos = 0
    for m in SGR.finditer(line):
        for ch in line[pos:m.start()]:
            yield ch, fg, bg, bold, dim, rev
        pos = m.end()
        codes = [int(c) if c else 0 for c in m.group(1).split(";")] or [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                fg, bg, bold, dim, rev = None, None, False, False, False
            elif c == 1:
                bold = True
            elif c == 2:
                dim = True
            elif c == 7:
                rev = True
            elif c == 22:
                bold = dim = False
            elif c == 27:
                rev = False
            elif 30 <= c <= 37:
                fg = PALETTE[c - 30]
            elif 90 <= c <= 97:
                fg = PALETTE[c - 90 + 8]
            elif 40 <= c <= 47:
                bg = PALETTE[c - 40]
            elif 100 <= c <= 107:
                bg = PALETTE[c - 100 + 8]
            elif c == 39:
                fg = None
            elif c == 49:
                bg = None
            elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                col = xterm(codes[i + 2])
                if c == 38:
                    fg = col
                else:
                    bg = col
                i += 2
            i += 1
    for ch in line[pos:]:
        yield ch, fg, bg, bold, dim, rev


def main(src, dst):
    lines = open(src, encoding="utf-8").read().rstrip("\n").split("\n")
    font = ImageFont.truetype(FONT, SIZE)
    bold_font = ImageFont.truetype(BOLD, SIZE)
    cw = font.getbbox("M")[2]
    ch = int(SIZE * 1.3)
    cols = max(sum(1 for _ in parse(line)) for line in lines)
    img = Image.new("RGB", (cols * cw + 16, len(lines) * ch + 16), BG)
    draw = ImageDraw.Draw(img)
    for y, line in enumerate(lines):
        for x, (c, fg, bg, bold, dim, rev) in enumerate(parse(line)):
            f = fg or FG
            b = bg
            if rev:
                f, b = (b or BG), (fg or FG)
            if dim:
                f = tuple(int(v * 0.6 + BG[i] * 0.4) for i, v in enumerate(f))
            px, py = 8 + x * cw, 8 + y * ch
            if b:
                draw.rectangle([px, py, px + cw, py + ch], fill=b)
            if c != " ":
                draw.text((px, py + 2), c, font=bold_font if bold else font, fill=f)
    img.save(dst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
