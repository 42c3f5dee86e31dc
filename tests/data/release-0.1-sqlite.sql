-- The schema complaintctl 0.1 created in a new SQLite file (read back from sqlite_master),
-- before migrations existed: the starting point of tests/test_migrations.py.

CREATE TABLE attachments (
    id INTEGER NOT NULL, 
    case_id INTEGER NOT NULL, 
    name VARCHAR NOT NULL, 
    size INTEGER NOT NULL, 
    sha256 VARCHAR NOT NULL, 
    content BLOB NOT NULL, 
    added_at DATETIME NOT NULL, 
    added_by VARCHAR NOT NULL, 
    PRIMARY KEY (id), 
    FOREIGN KEY(case_id) REFERENCES cases (id)
);
CREATE TABLE cases (
    id INTEGER NOT NULL, 
    number VARCHAR(40) NOT NULL, 
    external_ref VARCHAR, 
    channel VARCHAR NOT NULL, 
    customer_name VARCHAR NOT NULL, 
    contact VARCHAR NOT NULL, 
    contact_key VARCHAR NOT NULL, 
    customer_type VARCHAR NOT NULL, 
    summary VARCHAR NOT NULL, 
    description VARCHAR, 
    demand VARCHAR, 
    order_no VARCHAR, 
    product VARCHAR, 
    amount_claimed_cents INTEGER, 
    received_at DATETIME NOT NULL, 
    logged_at DATETIME NOT NULL, 
    logged_by VARCHAR NOT NULL, 
    step VARCHAR NOT NULL, 
    step_started_at DATETIME NOT NULL, 
    step_due_at DATETIME, 
    due_at DATETIME, 
    on_hold BOOLEAN NOT NULL, 
    hold_started_at DATETIME, 
    hold_reason VARCHAR, 
    acknowledged_at DATETIME, 
    ack_due DATETIME, 
    category VARCHAR, 
    severity VARCHAR, 
    kind VARCHAR, 
    classified_at DATETIME, 
    reject_reason VARCHAR, 
    department VARCHAR, 
    owner VARCHAR, 
    assigned_at DATETIME, 
    escalate_due DATETIME, 
    escalated_at DATETIME, 
    escalated_to VARCHAR, 
    plan_due DATETIME, 
    plan_at DATETIME, 
    "plan" VARCHAR, 
    findings VARCHAR, 
    root_cause VARCHAR, 
    responsibility VARCHAR, 
    proposal VARCHAR, 
    investigated_at DATETIME, 
    investigate_due DATETIME, 
    remedy VARCHAR, 
    remedy_amount_cents INTEGER, 
    resolution_note VARCHAR, 
    resolved_at DATETIME, 
    customer_told_at DATETIME, 
    resolve_due DATETIME, 
    feedback_score INTEGER, 
    feedback_comment VARCHAR, 
    feedback_at DATETIME, 
    feedback_due DATETIME, 
    outcome VARCHAR, 
    closed_at DATETIME, 
    close_reason VARCHAR, 
    reopen_count INTEGER NOT NULL, 
    version INTEGER NOT NULL, 
    PRIMARY KEY (id), 
    UNIQUE (number)
);
CREATE TABLE counters (
    series VARCHAR NOT NULL, 
    value INTEGER NOT NULL, 
    PRIMARY KEY (series)
);
CREATE TABLE events (
    id INTEGER NOT NULL, 
    case_id INTEGER NOT NULL, 
    action VARCHAR NOT NULL, 
    at DATETIME NOT NULL, 
    recorded_at DATETIME NOT NULL, 
    actor VARCHAR NOT NULL, 
    step_from VARCHAR, 
    step_to VARCHAR, 
    changes VARCHAR, 
    note VARCHAR, 
    PRIMARY KEY (id), 
    FOREIGN KEY(case_id) REFERENCES cases (id)
);
CREATE TABLE meta (
    "key" VARCHAR NOT NULL, 
    value VARCHAR NOT NULL, 
    PRIMARY KEY ("key")
);
CREATE INDEX ix_attachments_case_id ON attachments (case_id);
CREATE INDEX ix_cases_category ON cases (category);
CREATE INDEX ix_cases_closed_at ON cases (closed_at);
CREATE INDEX ix_cases_contact_key ON cases (contact_key);
CREATE INDEX ix_cases_department ON cases (department);
CREATE INDEX ix_cases_due_at ON cases (due_at);
CREATE INDEX ix_cases_external_ref ON cases (external_ref);
CREATE INDEX ix_cases_owner ON cases (owner);
CREATE INDEX ix_cases_received_at ON cases (received_at);
CREATE INDEX ix_cases_resolved_at ON cases (resolved_at);
CREATE INDEX ix_cases_step ON cases (step);
CREATE INDEX ix_events_at ON events (at);
CREATE INDEX ix_events_case_id ON events (case_id);
INSERT INTO meta ("key", value) VALUES ('schema_version', '1');
