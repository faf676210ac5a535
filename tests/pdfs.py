"""Minimal PDF files written by the tests themselves (no PDF is downloaded)."""

from __future__ import annotations


def make_pdf(pages: list[list[str]], title: str | None = None, created: str | None = None,
             producer: str | None = None) -> bytes:
    """A PDF with one text line per entry of each page (Helvetica 11); ``pages`` of empty
    lists give pages with no text layer at all, as a scan has."""
    objects: list[bytes] = []
    kids = []
    font = 3 + 2 * len(pages)
    for number, lines in enumerate(pages):
        page_id, content_id = 3 + 2 * number, 4 + 2 * number
        kids.append(f"{page_id} 0 R")
        body = "".join(f"BT /F1 11 Tf 50 {780 - 16 * i} Td ({_escape(line)}) Tj ET\n" for i, line in enumerate(lines))
        if not lines:  # a drawn rectangle only, like an image with no text
            body = "0.5 g 50 50 500 700 re f\n"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
        data = body.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"endstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    info = []
    if title:
        info.append(f"/Title ({_escape(title)})")
    if created:
        info.append(f"/CreationDate (D:{created.replace('-', '')}090000Z)")
    if producer:
        info.append(f"/Producer ({_escape(producer)})")
    return assemble([b"<< /Type /Catalog /Pages 2 0 R >>",
                     f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode(), *objects,
                     f"<< {' '.join(info)} >>".encode()], info=True)


def assemble(everything: list[bytes], info: bool = False) -> bytes:
    """A PDF of these objects, numbered from 1 (1: the catalog; the last: the info
    dictionary when ``info``), with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(everything, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(everything) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010} 00000 n \n" for o in offsets).encode()
    trailer = f"/Size {len(everything) + 1} /Root 1 0 R" + (f" /Info {len(everything)} 0 R" if info else "")
    out += f"trailer\n<< {trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
