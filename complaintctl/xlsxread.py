"""The rows of an .xlsx workbook's sheet, for `import`: the same (line, row) pairs
importer.read_csv() gives for a CSV file, streamed (openpyxl's read-only mode: the sheet is
never loaded whole).

A cell's value becomes the text the CSV twin of the sheet would hold: text as it is; a whole
number, even one stored as a float (a phone, an order number), without ".0", and with its
leading zeros where its format is all zeros ("00000000000"), as the spreadsheet shows it;
another number at most 15 significant digits (what the spreadsheet shows); TRUE/FALSE; a
date or date-time cell as an importer.CellTime, which the importer takes as that
office-local time without reading its text.  A formula cell gives the value the spreadsheet
last calculated and saved; a workbook holding a formula never calculated (written by a
program, never saved by a spreadsheet) is refused, naming the cell, rather than read as
empty.  The "line" of a row is its row number in the sheet.

openpyxl is the `excel` extra: imported only here, only when a workbook is read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Collection, Iterator
from typing import IO

from complaintctl.importer import CellTime, ImportError_, _Misshapen
from complaintctl.messages import _

SUFFIXES = (".xlsx", ".xlsm")
_ENCRYPTED = b"\xd0\xcf\x11\xe0"  # an OLE compound file: a password-protected .xlsx, or .xls
_ZIP = b"PK\x03\x04"
_ZEROS = re.compile(r"00+")  # a number format showing leading zeros ("00000")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a formula's element in a sheet's XML


def is_workbook(name: str) -> bool:
    """Whether a file name names an .xlsx workbook."""
    return name.lower().endswith(SUFFIXES)


def looks_like_workbook(raw: IO[bytes]) -> bool:
    """Whether a seekable file's bytes begin as an .xlsx workbook's (a zip archive) or a
    password-protected one's do; read from where it is, and left there."""
    at = raw.tell()
    start = raw.read(4)
    raw.seek(at)
    return start in (_ZIP, _ENCRYPTED)


def cell_text(value: object) -> str:
    """A cell's value as import reads it (see the module's docstring)."""
    if value is None:
        return ""
    cls = value.__class__
    if cls is str:
        return value
    if cls is int:
        return str(value)
    if cls is float:
        if value.is_integer():
            return str(int(value))
        text = format(value, ".15g")
        return f"{decimal.Decimal(text):f}" if "e" in text else text
    if cls is bool:
        return "TRUE" if value else "FALSE"
    if cls is dt.datetime:
        return CellTime(value)
    if cls is dt.date:
        return CellTime(dt.datetime.combine(value, dt.time()))
    if cls is dt.time:
        return value.isoformat()
    return str(value)


class Sheet:
    """One sheet of a workbook opened for import, its header read and checked."""

    def __init__(self, raw: IO[bytes], file: str, sheet: str | None, header_row: int) -> None:
        self.file, self.header_row = file, header_row
        at = raw.tell()
        start = raw.read(4)
        raw.seek(at)
        if start == _ENCRYPTED:
            raise ImportError_(
                _(
                    "FILE: {file} is password-protected (or an old .xls workbook); allowed: "
                    "an .xlsx workbook without a password (save it so from the spreadsheet "
                    "program)"
                ).format(file=file)
            )
        if start != _ZIP:
            raise ImportError_(
                _(
                    "FILE: {file} is not an .xlsx workbook (not a zip archive); allowed: an "
                    ".xlsx workbook, or a CSV or JSON Lines file with --format"
                ).format(file=file)
            )
        try:
            import openpyxl
        except ImportError:
            raise ImportError_(
                _("FILE: reading .xlsx needs openpyxl: pip install 'complaintctl[excel]'")
            ) from None
        try:
            self.book = openpyxl.load_workbook(raw, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 (openpyxl raises many kinds for a bad file)
            raise ImportError_(
                _("FILE: {file} is not an .xlsx workbook ({error})").format(
                    file=file, error=_one_line(exc)
                )
            ) from None
        try:
            self.sheet = self._choose(sheet)
            self.sheet.reset_dimensions()  # some programs record a wrong size: read every row
            self.header = self._read_header()
            self._check_formulas()
        except BaseException:
            self.close()
            raise

    def _choose(self, name: str | None):
        sheets = self.book.worksheets
        names = [s.title for s in sheets]
        if name is None:
            if not sheets:
                raise ImportError_(
                    _("FILE: {file} has no worksheet").format(file=self.file)
                )  # pragma: no cover (a workbook always has one)
            self.name = names[0]
            return sheets[0]
        if name not in names:
            raise ImportError_(
                _("--sheet: {file} has no sheet {sheet}; allowed: {allowed}").format(
                    file=self.file, sheet=repr(name), allowed=", ".join(map(repr, names))
                )
            )
        self.name = name
        return sheets[names.index(name)]

    def _read_header(self) -> list[str]:
        """The names in row --header-row, refused when the row is past the end, empty, or
        missing a name (a merged cell, a title above the header)."""
        n = self.header_row
        rows = self._values(1)
        count, header, below = 0, None, None
        for count, values in enumerate(rows, start=1):  # noqa: B007 (count is the rows read)
            if count == n:
                header = [cell_text(v).strip() for v in values]
            elif count > n and any(cell_text(v).strip() for v in values):
                below = [cell_text(v).strip() for v in values]
                break
        rows.close()
        if count == 0:
            raise ImportError_(
                _("--sheet: sheet {sheet} of {file} is empty; allowed: {allowed}").format(
                    sheet=repr(self.name),
                    file=self.file,
                    allowed=", ".join(repr(s.title) for s in self.book.worksheets),
                )
            )
        if header is None:
            raise ImportError_(
                _(
                    "--header-row: {row} is past the end of sheet {sheet} of {file}, which "
                    "has {count} row(s); allowed: 1..{count}"
                ).format(row=n, sheet=repr(self.name), file=self.file, count=count)
            )
        while header and not header[-1]:
            header.pop()
        if not header:
            raise ImportError_(
                _(
                    "--header-row: row {row} of sheet {sheet} is empty; allowed: the row "
                    "that names the columns"
                ).format(row=n, sheet=repr(self.name))
            )
        if "" in header:
            from openpyxl.utils import get_column_letter

            column = header.index("")
            raise ImportError_(
                _(
                    "--header-row: row {row} of sheet {sheet} has no name in column {column} "
                    "(a merged or empty cell); allowed: a row with a name in every column "
                    "(the real header, e.g. --header-row {next})"
                ).format(
                    row=n, sheet=repr(self.name), column=get_column_letter(column + 1), next=n + 1
                )
            )
        if len(header) == 1 and below is not None and len([v for v in below if v]) > 1:
            raise ImportError_(
                _(
                    "--header-row: row {row} of sheet {sheet} holds one name ({name}) above "
                    "rows of several columns: a title, not the header; allowed: the row that "
                    "names the columns (e.g. --header-row {next})"
                ).format(row=n, sheet=repr(self.name), name=repr(header[0]), next=n + 1)
            )
        return header

    def _check_formulas(self) -> None:
        """Refuse a sheet with a formula whose value was never calculated (openpyxl would
        read it as an empty cell).  A sheet without formulas costs one pass of a regular
        expression over its XML; one with formulas, a parse of it."""
        archive = getattr(self.book, "_archive", None)
        path = getattr(self.sheet, "_worksheet_path", None)
        if archive is None or path is None:  # pragma: no cover (another openpyxl)
            return
        try:
            self._find_uncalculated(archive, path)
        except ImportError_:
            raise
        except Exception as exc:  # noqa: BLE001 (zip, XML and value errors alike)
            raise ImportError_(
                _("FILE: cannot read sheet {sheet} of {file}: {error}").format(
                    sheet=repr(self.name), file=self.file, error=_one_line(exc)
                )
            ) from None

    def _find_uncalculated(self, archive, path: str) -> None:
        with archive.open(path) as src:
            tail = b""
            while chunk := src.read(1 << 20):
                if _FORMULA.search(tail + chunk):
                    break
                tail = chunk[-8:]
            else:
                return
        with archive.open(path) as src:
            for row, ns in _xml_rows(src):
                for cell in row:
                    if cell.find(f"{ns}f") is None:
                        continue
                    v = cell.find(f"{ns}v")
                    # An empty saved value is a formula's only when it gives text ("").
                    if v is None or (not v.text and cell.get("t") != "str"):
                        raise ImportError_(
                            _(
                                "FILE: cell {cell} of sheet {sheet} of {file} is a formula "
                                "whose value was never calculated (the workbook was not "
                                "saved by a spreadsheet program); allowed: formulas with "
                                "their values saved (open and save the workbook in the "
                                "spreadsheet program) or plain values"
                            ).format(cell=cell.get("r", "?"), sheet=repr(self.name), file=self.file)
                        )

    def date_texts(self, columns: Collection[str]) -> Iterator[tuple[int, dict]]:
        """(row number, {column: text}) for the text cells of these columns below the
        header: all the importer's day/month pass looks at (a date cell has no order to
        guess), read from the sheet's XML without openpyxl's work on every cell (several
        times faster than rows())."""
        archive = getattr(self.book, "_archive", None)
        path = getattr(self.sheet, "_worksheet_path", None)
        strings = getattr(self.sheet, "_shared_strings", None)
        if archive is None or path is None or strings is None:  # pragma: no cover
            yield from self.rows()
            return
        wanted = {i: name for i, name in enumerate(self.header) if name in columns}
        if not wanted:
            return
        from openpyxl.utils.cell import column_index_from_string

        first, number = self.header_row, 0
        try:
            with archive.open(path) as src:
                for row, ns in _xml_rows(src):
                    r = row.get("r")
                    number = int(r) if r else number + 1
                    if number <= first:
                        continue
                    found, column = {}, -1
                    for cell in row:
                        ref = cell.get("r")
                        column = (
                            column_index_from_string(ref.rstrip("0123456789")) - 1
                            if ref
                            else column + 1
                        )
                        name = wanted.get(column)
                        kind = cell.get("t")
                        if name is None or kind not in ("s", "str", "inlineStr"):
                            continue
                        if kind == "inlineStr":
                            text = "".join(t.text or "" for t in cell.iter(f"{ns}t"))
                        else:
                            text = cell.findtext(f"{ns}v") or ""
                            if kind == "s" and text:
                                text = str(strings[int(text)])
                        if text:
                            found[name] = text
                    if found:
                        yield number, found
        except ImportError_:
            raise
        except Exception as exc:  # noqa: BLE001 (zip, XML and value errors alike)
            raise ImportError_(
                _("FILE: cannot read sheet {sheet} of {file}: {error}").format(
                    sheet=repr(self.name), file=self.file, error=_one_line(exc)
                )
            ) from None

    def _values(self, first: int, cells: bool = False) -> Iterator[tuple]:
        """The sheet's rows from row `first`, as openpyxl reads their values (or, with
        `cells`, their cells); a file that breaks off or is damaged part-way ends the
        import with one line."""
        try:
            yield from self.sheet.iter_rows(min_row=first, values_only=not cells)
        except Exception as exc:  # noqa: BLE001 (zip, XML and value errors alike)
            raise ImportError_(
                _("FILE: cannot read sheet {sheet} of {file}: {error}").format(
                    sheet=repr(self.name), file=self.file, error=_one_line(exc)
                )
            ) from None

    def rows(self) -> Iterator[tuple[int, dict]]:
        """(row number, row) for each non-empty row below the header, the row's cells
        under the header's names (as read_csv() gives them): a row with values past the
        header's columns is a misshapen record, rejected like a CSV one."""
        header = self.header
        width = len(header)
        number = self.header_row
        text, numbers = cell_text, (int, float)
        for row in self._values(self.header_row + 1, cells=True):
            number += 1
            cells = [
                self._number(c) if c.value.__class__ in numbers else text(c.value) for c in row
            ]
            while cells and not cells[-1].strip():
                cells.pop()
            if not cells:
                continue
            if len(cells) > width:
                yield number, _Misshapen.of(header, cells)
                continue
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield number, dict(zip(header, cells, strict=True))

    _pads: dict[str, int] | None = None

    def _number(self, cell) -> str:
        """A number cell's text; a whole number whose format is all zeros ("00000000000":
        how a spreadsheet keeps a landline's or a post code's leading zeros in sight)
        padded to the format's width, as the spreadsheet shows it."""
        value = cell.value
        text = cell_text(value)
        if self._pads is None:
            self._pads = {}
        form = cell.number_format
        pad = self._pads.get(form)
        if pad is None:
            pad = self._pads[form] = len(form) if _ZEROS.fullmatch(form) else 0
        if pad and text.isdigit():
            text = text.zfill(pad)
        return text

    def close(self) -> None:
        self.book.close()


def _xml_rows(src: IO[bytes]) -> Iterator[tuple[object, str]]:
    """(row element, its namespace as "{...}") for each row of a sheet's XML, each dropped
    once looked at (memory stays flat however many rows)."""
    from xml.etree.ElementTree import iterparse

    data = None
    for event, element in iterparse(src, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag.endswith("}sheetData"):
                data = element
            continue
        if tag.endswith("}row"):
            yield element, tag[: tag.index("}") + 1]
            if data is not None:
                data.clear()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 200 else text[:197] + "..."
