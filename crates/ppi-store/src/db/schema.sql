CREATE TABLE IF NOT EXISTS ppi_users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ppi_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ppi_lessons (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    ext TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    status TEXT NOT NULL,
    source_key TEXT NOT NULL,
    audio_key TEXT,
    probe_key TEXT,
    probe TEXT,
    error TEXT,
    job_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_id, sha256)
);
CREATE INDEX IF NOT EXISTS ppi_lessons_owner ON ppi_lessons (owner_id, created_at);
CREATE INDEX IF NOT EXISTS ppi_lessons_created ON ppi_lessons (created_at);
CREATE TABLE IF NOT EXISTS ppi_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    idem_key TEXT NOT NULL UNIQUE,
    lesson_id TEXT,
    owner_id TEXT,
    status TEXT NOT NULL,
    stage TEXT,
    percent DOUBLE PRECISION,
    eta_seconds DOUBLE PRECISION,
    attempts BIGINT NOT NULL DEFAULT 0,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ppi_jobs_lesson ON ppi_jobs (lesson_id);
CREATE INDEX IF NOT EXISTS ppi_jobs_status ON ppi_jobs (status)
;
CREATE TABLE IF NOT EXISTS ppi_uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    object_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    title TEXT,
    created_at BIGINT NOT NULL
)
;
CREATE TABLE IF NOT EXISTS ppi_ls_projects (
    id BIGINT PRIMARY KEY,
    role TEXT NOT NULL,
    label_config TEXT,
    sync_cursor TEXT,
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ppi_ls_events (
    dedupe_key TEXT PRIMARY KEY,
    action TEXT NOT NULL,
    project BIGINT NOT NULL,
    source TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ppi_media (
    media_key TEXT PRIMARY KEY,
    transcript TEXT NOT NULL,
    duration DOUBLE PRECISION NOT NULL,
    fps DOUBLE PRECISION NOT NULL,
    model TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ppi_ls_tasks (
    task_id BIGINT PRIMARY KEY,
    project BIGINT NOT NULL,
    media_key TEXT,
    data TEXT NOT NULL,
    lesson_id TEXT,
    result TEXT,
    model_version TEXT,
    prediction_id BIGINT,
    pushed_at BIGINT,
    error TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ppi_ls_tasks_media ON ppi_ls_tasks (media_key);
CREATE TABLE IF NOT EXISTS ppi_ls_annotations (
    annotation_id BIGINT PRIMARY KEY,
    task_id BIGINT NOT NULL,
    project BIGINT NOT NULL,
    ls_updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    intervals TEXT,
    errors TEXT,
    result TEXT NOT NULL,
    updated_at BIGINT NOT NULL
)
;
CREATE TABLE IF NOT EXISTS ppi_review_items (
    item_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    source_task BIGINT NOT NULL,
    annotation_id BIGINT NOT NULL,
    lesson_id TEXT,
    review_task BIGINT,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    crop TEXT,
    decided_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (stage, item_id)
);
CREATE INDEX IF NOT EXISTS ppi_review_items_task ON ppi_review_items (review_task);
CREATE TABLE IF NOT EXISTS ppi_agreements (
    task_id BIGINT PRIMARY KEY,
    project BIGINT NOT NULL,
    report TEXT NOT NULL,
    consensus TEXT NOT NULL,
    passed BIGINT NOT NULL,
    annotators BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ppi_agreements_project ON ppi_agreements (project)
