//! The OpenAPI 3.1 document served at `/openapi.json`.

use axum::Json;
use serde_json::{json, Value};

fn error_responses(codes: &[(&str, &str)]) -> Value {
    let mut m = serde_json::Map::new();
    for (status, desc) in codes {
        m.insert((*status).into(), json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
    }
    Value::Object(m)
}

fn op(
    summary: &str,
    secured: bool,
    ok: (&str, &str),
    errors: &[(&str, &str)],
    body: Option<Value>,
    params: &[&str],
) -> Value {
    let mut responses = error_responses(errors);
    if let Value::Object(m) = &mut responses {
        m.insert(
            ok.0.into(),
            json!({"description": ok.1, "content": {"application/json": {}}}),
        );
        if secured {
            m.insert("401".into(), json!({"description": "missing, invalid or expired access token (auth-missing, auth-invalid, auth-expired)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
        }
    }
    let mut o = json!({"summary": summary, "responses": responses});
    if secured {
        o["security"] = json!([{"bearer": []}]);
    }
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    if !params.is_empty() {
        o["parameters"] = Value::Array(
            params
                .iter()
                .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
                .collect(),
        );
    }
    o
}

fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

/// Builds the document.
pub fn spec() -> Value {
    let login = json_body(
        json!({"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}),
    );
    let refresh = json_body(
        json!({"type": "object", "required": ["refresh_token"], "properties": {"refresh_token": {"type": "string"}}}),
    );
    let user = json_body(
        json!({"type": "object", "required": ["username", "password", "role"], "properties": {"username": {"type": "string"}, "password": {"type": "string", "minLength": 8}, "role": {"type": "string", "enum": ["admin", "DL-user"]}}}),
    );
    let password = json_body(
        json!({"type": "object", "required": ["password"], "properties": {"password": {"type": "string", "minLength": 8}}}),
    );
    let token = json_body(
        json!({"type": "object", "properties": {"label": {"type": "string"}, "days": {"type": "integer", "minimum": 1}}}),
    );
    let upload = json!({"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}, "title": {"type": "string"}}}}}});
    let start_upload = json_body(
        json!({"type": "object", "properties": {"file_name": {"type": "string"}, "title": {"type": "string"}}}),
    );
    let board = json!({"get": {"summary": "The pipeline board: one row per lesson (all for admins, one's own for DL-users) with its furthest stage, filtered by stage and owner, paged", "security": [{"bearer": []}], "parameters": [{"name": "stage", "in": "query", "schema": {"type": "string", "enum": ["uploaded", "transcribed", "in-ls", "annotated", "agreed", "reviewed", "in-dataset", "published"]}}, {"name": "owner", "in": "query", "schema": {"type": "string"}}, {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}], "responses": {"200": {"description": "{total, offset, limit, stages: [{stage, count}], owners, dataset, rows}"}, "400": {"description": "{code, message}: an unknown stage or parameter"}, "401": {"description": "not logged in"}}}});
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "PPI", "version": env!("CARGO_PKG_VERSION"), "description": "Pedagogical Pattern Infrastructure: lessons, jobs, media URLs. Errors are JSON {code, message} with stable codes."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}
        },
        "paths": {
            "/health": {"get": op("Liveness", false, ("200", "up"), &[], None, &[])},
            "/ready": {"get": op("Readiness: database and storage", false, ("200", "ready"), &[("503", "not ready")], None, &[])},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition format", "content": {"text/plain": {}}}}}},
            "/api/auth/login": {"post": op("Log in: access JWT and refresh token", false, ("200", "session"), &[("401", "wrong user name or password (auth-failed)"), ("422", "invalid input"), ("429", "too many wrong attempts from this client for this user (auth-throttled; Retry-After)")], Some(login), &[])},
            "/api/auth/refresh": {"post": op("Trade a refresh token (single use) for a new session", false, ("200", "session"), &[("401", "invalid, expired or used refresh token"), ("429", "too many wrong tokens from this client (auth-throttled; Retry-After)")], Some(refresh), &[])},
            "/api/me": {"get": op("The caller", true, ("200", "user"), &[], None, &[])},
            "/api/users": {
                "get": op("List users (admin)", true, ("200", "users"), &[("403", "not an admin")], None, &[]),
                "post": op("Add a user (admin)", true, ("201", "user"), &[("403", "not an admin"), ("409", "name taken"), ("422", "invalid name, role or password")], Some(user), &[])
            },
            "/api/users/{name}": {"delete": op("Remove a user (admin)", true, ("204", "removed"), &[("403", "not an admin"), ("404", "no such user")], None, &["name"])},
            "/api/users/{name}/password": {"put": op("Set a password (admin, or oneself)", true, ("204", "changed"), &[("403", "not allowed"), ("404", "no such user")], Some(password), &["name"])},
            "/api/users/{name}/tokens": {"post": op("Issue an API token for a user (admin); the token is in the answer once, only its hash is kept", true, ("201", "id and token"), &[("403", "not an admin"), ("404", "no such user")], Some(token), &["name"])},
            "/api/tokens": {"get": op("API tokens without their secrets (admin)", true, ("200", "tokens"), &[("403", "not an admin")], None, &[])},
            "/api/tokens/{id}": {"delete": op("Revoke an API token (admin)", true, ("204", "revoked"), &[("403", "not an admin"), ("404", "no such token")], None, &["id"])},
            "/api/audit": {"get": {"summary": "The audit log, newest first (admin): logins, users, tokens, wiring, publications; append-only", "security": [{"bearer": []}], "parameters": [{"name": "action", "in": "query", "schema": {"type": "string"}}, {"name": "actor", "in": "query", "schema": {"type": "string"}}, {"name": "since", "in": "query", "schema": {"type": "integer"}, "description": "ms since the Unix epoch"}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}], "responses": {"200": {"description": "events"}, "401": {"description": "not logged in"}, "403": {"description": "not an admin"}}}},
            "/api/lessons": {
                "get": op("Lessons with job progress (own; all for admins)", true, ("200", "lessons"), &[], None, &[]),
                "post": op("Upload a lesson video (streamed; deduplicated by SHA-256)", true, ("201", "lesson and its extract-audio job (200 when a duplicate)"), &[("400", "malformed body"), ("413", "larger than the limit (upload-too-large)"), ("415", "not a video (upload-not-a-video)")], Some(upload), &[])
            },
            "/api/lessons/{id}": {"get": op("A lesson with job, probe and signed or presigned media URLs", true, ("200", "lesson"), &[("404", "no such lesson, or not yours")], None, &["id"])},
            "/api/uploads": {"post": op("Start a direct upload: a presigned PUT URL", true, ("201", "upload id and URL"), &[], Some(start_upload), &[])},
            "/api/uploads/{id}/complete": {"post": op("Finish a direct upload", true, ("201", "lesson and job"), &[("404", "no such upload"), ("409", "nothing uploaded yet"), ("413", "too large"), ("415", "not a video")], None, &["id"])},
            "/api/lessons/{id}/analytics": {"get": op("The lesson's analytics: per-pattern figures, 2-minute coverage, talk time, and the timeline and heatmap as SVG", true, ("200", "analytics"), &[("404", "no such lesson, or no accepted annotation yet")], None, &["id"])},
            "/api/lessons/{id}/speakers": {"get": op("Who speaks in the lesson: talk per speaker and per role (teacher, student, several, silence), how the teacher was chosen, and the turns {start, end, speaker, role, overlap}", true, ("200", "speakers"), &[("404", "no such lesson, not transcribed yet, or transcribed before speakers were found")], None, &["id"])},
            "/api/lessons/{id}/teacher": {"put": op("Names the lesson's teacher ({\"speaker\": \"S2\"}): the others become students, the shares follow, and the voice is enrolled for the Label Studio projects showing the lesson, whose next lessons name their teacher by it", true, ("200", "speakers, with enrolled_projects"), &[("404", "no such lesson or no speakers"), ("422", "no such speaker")], None, &["id"])},
            "/api/ls/agreement": {"get": {"summary": "Agreement between a task's annotators (?task=ID: the whole report with its annotator matrix) or a project's tasks in brief with the annotator matrix over them (?project=ID); admins", "security": [{"bearer": []}], "parameters": [{"name": "project", "in": "query", "schema": {"type": "integer"}}, {"name": "task", "in": "query", "schema": {"type": "integer"}}], "responses": {"200": {"description": "figures"}, "403": {"description": "not an admin"}, "404": {"description": "no agreement for the task"}}}},
            "/api/jobs": {"get": {"summary": "The newest jobs (all for admins, one's own for DL-users), filtered by kind and status", "security": [{"bearer": []}], "parameters": [{"name": "kind", "in": "query", "schema": {"type": "string"}}, {"name": "status", "in": "query", "schema": {"type": "string"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}], "responses": {"200": {"description": "{jobs: [job]}"}, "401": {"description": "not logged in"}}}},
            "/api/jobs/{id}": {"get": op("Job status, stage, percent, ETA", true, ("200", "job"), &[("404", "no such job, or not yours")], None, &["id"])},
            "/api/jobs/{id}/cancel": {"post": op("Cancel a queued or running job", true, ("200", "job"), &[("404", "no such job, or not yours")], None, &["id"])},
            "/files/{key}": {"get": {"summary": "An object of local storage by signed URL (Range supported)", "parameters": [{"name": "key", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "exp", "in": "query", "required": true, "schema": {"type": "integer"}}, {"name": "sig", "in": "query", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "the object"}, "206": {"description": "a byte range"}, "403": {"description": "invalid or expired signature"}, "404": {"description": "no such object"}, "416": {"description": "range not satisfiable"}}}}
        }
    });
    // Beside the main literal, which is at serde_json's macro recursion limit.
    doc["paths"]["/api/board"] = board;
    for (path, entry) in issue_29_paths() {
        doc["paths"][path] = entry;
    }
    doc
}

/// Corpus analytics, the wiring page and job retries (issue 29).
fn issue_29_paths() -> Vec<(&'static str, Value)> {
    let lessons = json!({"name": "lessons", "in": "query", "schema": {"type": "string"}, "description": "lesson ids, comma-separated (at most 1000); absent: the whole corpus"});
    let bad = |extra: &str| json!({"description": format!("{{code, message}}: {extra}")});
    vec![
        (
            "/api/analytics",
            json!({"get": {"summary": "Corpus analytics over the caller's lessons (all for admins) or the chosen ones: pattern counts and durations of the agreed intervals, κ per task against the gate, the annotator matrix, talk shares and questions per lesson, the machine against the humans per model version; each chart's table; links to each chart's SVG and CSV", "security": [{"bearer": []}], "parameters": [lessons], "responses": {"200": {"description": "{figures, tables, charts: [{name, svg, csv}]}"}, "400": bad("bad-lessons: an id that is not one"), "401": {"description": "not logged in"}, "404": bad("lesson-not-found: a chosen lesson that does not exist or is not the caller's")}}}),
        ),
        (
            "/api/analytics/{file}",
            json!({"get": {"summary": "One chart as SVG (<name>.svg) or its table as CSV (<name>.csv); name: patterns, kappa, matrix, talk, questions, machine", "security": [{"bearer": []}], "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}, lessons], "responses": {"200": {"description": "image/svg+xml or text/csv", "content": {"image/svg+xml": {}, "text/csv": {}}}, "404": bad("chart-not-found, lesson-not-found")}}}),
        ),
        (
            "/api/wiring",
            json!({"get": {"summary": "The wiring checks (admins): Label Studio's URL, version and answer, the projects and whether PPI is their ML backend, each webhook with its last delivery and health (healthy, silent, failing, waiting, missing, off), the storage and its CORS check, the Hub repository and last publication, job counts, failures and the queued or running jobs", "security": [{"bearer": []}], "responses": {"200": {"description": "the checks"}, "403": {"description": "not an admin"}}}}),
        ),
        (
            "/api/wiring/check",
            json!({"post": {"summary": "Runs serve's Label Studio wiring pass again (projects, ML backend, webhooks, storage CORS; not when PPI_LS_AUTO_WIRE is off), then the checks (admins); a failing pass is reported in label_studio.wiring", "security": [{"bearer": []}], "responses": {"200": {"description": "the checks"}, "403": {"description": "not an admin"}}}}),
        ),
        (
            "/api/jobs/{id}/retry",
            json!({"post": {"summary": "Queues a failed or canceled job again as a new job (once per failed job)", "security": [{"bearer": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"201": {"description": "{job, retry_of, queued: true}"}, "200": {"description": "the retry queued before (queued: false)"}, "404": {"description": "no such job, or not yours"}, "409": bad("conflict: the job has not failed")}}}),
        ),
    ]
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
