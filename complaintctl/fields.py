"""Every data field of a case, once: its name, type, length limit, whether a case needs
it, the names people read for it and the command-line option that sets it.

`services` and `parse` check a text against its limit here, the importer takes its text
limits, time, amount and code fields and required fields from here, the guided `log` asks
with the prompts and limits here, and `show` prints the labels here.  A length limit is
written nowhere else (tests/test_fields.py checks it).

The labels are English msgids, marked with `N_` for the catalog and translated where they
are printed (`_(field.label)`).  This module imports nothing from the package (nor
SQLAlchemy): the CLI reads it before any database is opened.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it (see complaintctl.i18n)."""
    return message


# Types of field.
TEXT = "text"
CODE = "code"  # one of a list of codes (the config's or the enums')
TIME = "time"
AMOUNT = "amount"  # money, kept in cents
SCORE = "score"  # the customer's satisfaction score

LONG_TEXT = 100_000  # characters of a free-text field
SHORT_TEXT = 500  # characters of a one-line text (a summary, a reason for a hold)
NAME = 200  # characters of a name, contact, product or reference
ID = 100  # characters of an order number or an owner


@dataclass(frozen=True)
class Field:
    """One data field of a case."""

    name: str  # the column, the importer's field and the export's header
    kind: str  # TEXT, CODE, TIME, AMOUNT or SCORE
    limit: int | None = None  # most characters of a TEXT
    required: bool = False  # every case has it (log refuses to go without, import too)
    label: str = ""  # its name in `show` (msgid)
    prompt: str = ""  # the guided log's question (msgid)
    option: str = ""  # the option (or argument) that sets it, as errors name it
    imported: bool = True  # a column `import` reads

    @property
    def column(self) -> str:
        """The column that stores it (amounts are kept in cents)."""
        return f"{self.name}_cents" if self.kind == AMOUNT else self.name

    @property
    def key(self) -> str:
        """The option's parameter name: --order → order."""
        return self.option.lstrip("-").replace("-", "_")


# In the order of a case's life; each kind's fields keep the order the importer reads them.
FIELDS: tuple[Field, ...] = (
    Field(
        "received_at",
        TIME,
        required=True,
        label=N_("Received"),
        prompt=N_("Received (e.g. 2025-09-30 09:15)"),
        option="--received-at",
    ),
    Field("channel", CODE, required=True, label=N_("Channel"), option="--channel"),
    Field("external_ref", TEXT, NAME, label=N_("External ref"), option="--external-ref"),
    Field(
        "customer_name",
        TEXT,
        NAME,
        required=True,
        label=N_("Customer"),
        prompt=N_("Customer name"),
        option="--customer",
    ),
    Field("customer_type", CODE, label=N_("Customer type"), option="--customer-type"),
    Field(
        "contact",
        TEXT,
        NAME,
        required=True,
        label=N_("Contact"),
        prompt=N_("Contact (phone or e-mail)"),
        option="--contact",
    ),
    Field(
        "summary",
        TEXT,
        SHORT_TEXT,
        required=True,
        label=N_("Summary"),
        prompt=N_("Summary, one line"),
        option="--summary",
    ),
    Field(
        "description",
        TEXT,
        LONG_TEXT,
        label=N_("Description"),
        prompt=N_("What happened (Enter to skip)"),
        option="--description",
    ),
    Field(
        "demand",
        TEXT,
        LONG_TEXT,
        label=N_("Demand"),
        prompt=N_("What the customer asks for (Enter to skip)"),
        option="--demand",
    ),
    Field(
        "order_no",
        TEXT,
        ID,
        label=N_("Order"),
        prompt=N_("Order number (Enter to skip)"),
        option="--order",
    ),
    Field(
        "product",
        TEXT,
        NAME,
        label=N_("Product"),
        prompt=N_("Product or service (Enter to skip)"),
        option="--product",
    ),
    Field(
        "amount_claimed",
        AMOUNT,
        label=N_("Amount claimed"),
        prompt=N_("Amount claimed, e.g. 120.50 (Enter to skip)"),
        option="--amount",
    ),
    Field("category", CODE, label=N_("Category"), option="--category"),
    Field("severity", CODE, label=N_("Severity"), option="--severity"),
    Field("kind", CODE, label=N_("Kind"), option="--kind"),
    Field("reject_reason", TEXT, LONG_TEXT, label=N_("Reject reason"), option="--reject"),
    Field("acknowledged_at", TIME),
    Field("classified_at", TIME),
    Field("department", CODE, label=N_("Department"), option="--department"),
    Field("owner", TEXT, ID, label=N_("Owner"), option="--owner"),
    Field("assigned_at", TIME),
    Field("escalated_to", TEXT, NAME, label=N_("Escalated to"), option="--to", imported=False),
    Field("hold_reason", TEXT, SHORT_TEXT, option="--reason", imported=False),
    Field("plan", TEXT, LONG_TEXT, label=N_("Plan"), option="PLAN", imported=False),
    Field("findings", TEXT, LONG_TEXT, label=N_("Findings"), option="--findings"),
    Field("root_cause", TEXT, LONG_TEXT, label=N_("Root cause"), option="--cause"),
    Field("responsibility", CODE, label=N_("Responsibility"), option="--responsibility"),
    Field("proposal", TEXT, LONG_TEXT, label=N_("Proposal"), option="--proposal"),
    Field("investigated_at", TIME),
    Field("remedy", CODE, label=N_("Remedy"), option="--remedy"),
    Field("remedy_amount", AMOUNT, label=N_("Remedy amount"), option="--amount"),
    Field("resolution_note", TEXT, LONG_TEXT, label=N_("Resolution note"), option="--note"),
    Field("resolved_at", TIME),
    Field("feedback_score", SCORE, label=N_("Feedback score"), option="--score"),
    Field("feedback_comment", TEXT, LONG_TEXT, label=N_("Feedback comment"), option="--comment"),
    Field("feedback_at", TIME, label=N_("Feedback at")),
    Field("close_reason", TEXT, LONG_TEXT, label=N_("Close reason"), option="--reason"),
    Field("closed_at", TIME, label=N_("Closed at")),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
IMPORTED: tuple[Field, ...] = tuple(f for f in FIELDS if f.imported)
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)


def limit(name: str) -> int:
    """The most characters the text field `name` holds."""
    found = BY_NAME[name].limit
    assert found is not None, name
    return found


def of_kind(kind: str, fields: tuple[Field, ...] = IMPORTED) -> tuple[str, ...]:
    """The names of `fields` of one kind, in the table's order."""
    return tuple(f.name for f in fields if f.kind == kind)
