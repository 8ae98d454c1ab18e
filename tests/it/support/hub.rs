//! A Hugging Face Hub test double, in process and in memory: the endpoints the Hub clients
//! use (huggingface_hub, hf-hub and PPI's publisher). Start it with [`HubDouble::start`] and
//! point `HF_ENDPOINT` at [`HubDouble::url`].
//!
//! Upload: `whoami-v2`, `repos/create` (409 when it exists), `validate-yaml`, `preupload`
//! (text files `regular`, the rest `lfs`; remote `oid`), the LFS batch API (basic with verify,
//! multipart above a threshold with part ETags and completion; objects already stored get no
//! actions), NDJSON commits (`file`, `lfsFile` checked against the LFS store, `deletedFile`).
//! Browse and download: repo info (`siblings`, `sha`), `tree` (recursive), `paths-info`, and
//! `GET|HEAD …/resolve/{rev}/{path}` with `Range`, `ETag`, `X-Linked-Etag`/`X-Linked-Size` for
//! LFS files, `X-Repo-Commit`, and 404 + `X-Error-Code`. It never offers Xet.
//! Tests can queue faults (status codes for the next matching requests) and read counters of
//! the bytes received.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};

#[path = "hub_repo_api.rs"]
mod repo_api;

/// One stored file.
#[derive(Clone)]
pub struct HubFile {
    pub bytes: Vec<u8>,
    pub lfs: bool,
    /// Served instead of the real SHA-256, to test checksum failures.
    pub fake_sha256: Option<String>,
}

/// A status to answer instead of the real one, for requests whose "METHOD /path" starts with
/// `prefix`, `times` times.
pub struct Fault {
    pub prefix: String,
    pub status: u16,
    pub times: u32,
}

pub struct HubState {
    /// (repo type `model|dataset`, `ns/name`) → path → file.
    pub repos: HashMap<(String, String), BTreeMap<String, HubFile>>,
    /// Commits per repository.
    pub commits: HashMap<(String, String), u64>,
    /// LFS objects by SHA-256.
    pub lfs: HashMap<String, Vec<u8>>,
    parts: HashMap<(String, u32), Vec<u8>>,
    pub requests: Vec<String>,
    /// Tokens accepted for writes; empty accepts any.
    pub tokens: Vec<String>,
    pub user: String,
    pub orgs: Vec<String>,
    pub faults: Vec<Fault>,
    /// Bytes received in LFS uploads (basic and parts) and in commit bodies.
    pub lfs_bytes_in: u64,
    pub commit_bytes_in: u64,
    /// LFS objects at least this large go multipart, in parts of `chunk`.
    pub multipart_threshold: u64,
    pub chunk: u64,
}

impl Default for HubState {
    fn default() -> Self {
        HubState {
            repos: HashMap::new(),
            commits: HashMap::new(),
            lfs: HashMap::new(),
            parts: HashMap::new(),
            requests: Vec::new(),
            tokens: Vec::new(),
            user: "testuser".into(),
            orgs: vec!["testorg".into()],
            faults: Vec::new(),
            lfs_bytes_in: 0,
            commit_bytes_in: 0,
            multipart_threshold: 8 << 20,
            chunk: 5 << 20,
        }
    }
}

pub struct HubDouble {
    pub url: String,
    pub state: Arc<Mutex<HubState>>,
    _runtime: tokio::runtime::Runtime,
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

fn git_sha1(data: &[u8]) -> String {
    ppi_core::hash::git_blob_sha1(data)
}

const FIRST_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

impl HubDouble {
    pub fn start() -> HubDouble {
        let state = Arc::new(Mutex::new(HubState::default()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let app = Router::new()
            .fallback(handle)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(state.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        HubDouble {
            url: format!("http://{addr}"),
            state,
            _runtime: rt,
        }
    }

    pub fn put(&self, repo_type: &str, repo: &str, path: &str, file: HubFile) {
        self.state
            .lock()
            .unwrap()
            .repos
            .entry((repo_type.into(), repo.into()))
            .or_default()
            .insert(path.into(), file);
    }

    /// The files of a dataset repository.
    pub fn files(&self, repo: &str) -> BTreeMap<String, HubFile> {
        self.state
            .lock()
            .unwrap()
            .repos
            .get(&("dataset".into(), repo.into()))
            .cloned()
            .unwrap_or_default()
    }

    pub fn fault(&self, prefix: &str, status: u16, times: u32) {
        self.state.lock().unwrap().faults.push(Fault {
            prefix: prefix.into(),
            status,
            times,
        });
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn not_found(code: &str) -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("x-error-code", code)
        .body(Body::from(format!("{{\"error\":\"{code}\"}}")))
        .unwrap()
}

fn commit_sha(n: u64) -> String {
    if n == 0 {
        FIRST_COMMIT.into()
    } else {
        ppi_core::hash::git_blob_sha1(format!("commit {n}").as_bytes())
    }
}

/// Text files small enough to live in git; the rest goes through LFS.
fn is_regular(path: &str, size: u64) -> bool {
    let text = [
        ".md",
        ".csv",
        ".json",
        ".jsonl",
        ".txt",
        ".vtt",
        ".gitattributes",
        ".yaml",
    ];
    size < 10 << 20 && text.iter().any(|e| path.ends_with(e))
}

async fn handle(
    State(state): State<Arc<Mutex<HubState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = percent_decode(uri.path());
    let line = format!("{method} {path}");
    {
        let mut st = state.lock().unwrap();
        st.requests.push(line.clone());
        if let Some(f) = st
            .faults
            .iter_mut()
            .find(|f| f.times > 0 && line.starts_with(&f.prefix))
        {
            f.times -= 1;
            let status = f.status;
            return reply(
                StatusCode::from_u16(status).unwrap(),
                json!({"error": "injected fault"}),
            );
        }
    }
    let authorized = {
        let st = state.lock().unwrap();
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        !token.is_empty() && (st.tokens.is_empty() || st.tokens.iter().any(|t| t == token))
    };
    let query = uri.query().unwrap_or("");
    // Transfer URLs name this server as the client reached it (clients rewrite only some).
    let base = format!(
        "http://{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
    );
    let p = path.trim_start_matches('/');
    let seg: Vec<&str> = p.split('/').collect();
    let write = method == Method::POST && (p.starts_with("api/") || p.contains(".git/info/lfs"));
    if (write || p == "api/whoami-v2") && !p.starts_with("api/validate-yaml") && !authorized {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"error": "Invalid credentials in Authorization header"}),
        );
    }
    let mut st = state.lock().unwrap();
    match (&method, seg.as_slice()) {
        (&Method::GET, ["api", "whoami-v2"]) => reply(
            StatusCode::OK,
            json!({"type": "user", "name": st.user,
                   "orgs": st.orgs.iter().map(|o| json!({"name": o})).collect::<Vec<_>>()}),
        ),
        (&Method::POST, ["api", "repos", "create"]) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            let t = v["type"].as_str().unwrap_or("model").to_owned();
            let repo = match v["organization"].as_str() {
                Some(o) => format!("{o}/{}", v["name"].as_str().unwrap_or("")),
                None => format!("{}/{}", st.user, v["name"].as_str().unwrap_or("")),
            };
            let key = (t.clone(), repo.clone());
            if st.repos.contains_key(&key) {
                return reply(
                    StatusCode::CONFLICT,
                    // The real Hub names the existing repository; clients read `url` on 409.
                    json!({"error": "You already created this dataset repo",
                           "url": format!("https://huggingface.co/{t}s/{repo}")}),
                );
            }
            st.repos.insert(key.clone(), BTreeMap::new());
            st.commits.insert(key, 0);
            reply(
                StatusCode::OK,
                json!({"url": format!("https://huggingface.co/{t}s/{repo}")}),
            )
        }
        (&Method::POST, ["api", "validate-yaml"]) => {
            reply(StatusCode::OK, json!({"errors": [], "warnings": []}))
        }
        (_, ["api", t, ns, name, rest @ ..]) if t.ends_with('s') => {
            let key = (t.trim_end_matches('s').to_owned(), format!("{ns}/{name}"));
            repo_api::api_repo(&mut st, &method, key, rest, query, &body)
        }
        (&Method::POST, [.., "info", "lfs", "objects", "batch"]) => {
            lfs_batch(&mut st, &body, &base)
        }
        (&Method::PUT, ["lfs", "upload", oid]) => {
            st.lfs_bytes_in += body.len() as u64;
            if sha256_hex(&body) != *oid {
                return reply(StatusCode::BAD_REQUEST, json!({"error": "sha256 mismatch"}));
            }
            st.lfs.insert(oid.to_string(), body.to_vec());
            reply(StatusCode::OK, json!({}))
        }
        (&Method::PUT, ["lfs", "part", oid, n]) => {
            st.lfs_bytes_in += body.len() as u64;
            st.parts
                .insert((oid.to_string(), n.parse().unwrap_or(0)), body.to_vec());
            Response::builder()
                .status(StatusCode::OK)
                .header("etag", format!("\"{}\"", sha256_hex(&body)))
                .body(Body::empty())
                .unwrap()
        }
        (&Method::POST, ["lfs", "complete", oid]) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            let mut all = Vec::new();
            for part in v["parts"].as_array().into_iter().flatten() {
                let n = part["partNumber"].as_u64().unwrap_or(0) as u32;
                let Some(bytes) = st.parts.remove(&(oid.to_string(), n)) else {
                    return reply(
                        StatusCode::BAD_REQUEST,
                        json!({"error": format!("part {n} missing")}),
                    );
                };
                if part["etag"].as_str() != Some(&format!("\"{}\"", sha256_hex(&bytes))) {
                    return reply(StatusCode::BAD_REQUEST, json!({"error": "bad part etag"}));
                }
                all.extend(bytes);
            }
            if sha256_hex(&all) != *oid {
                return reply(StatusCode::BAD_REQUEST, json!({"error": "sha256 mismatch"}));
            }
            st.lfs.insert(oid.to_string(), all);
            reply(StatusCode::OK, json!({}))
        }
        (&Method::POST, ["lfs", "verify", oid]) => {
            if st.lfs.contains_key(*oid) {
                reply(StatusCode::OK, json!({}))
            } else {
                reply(StatusCode::NOT_FOUND, json!({"error": "object not stored"}))
            }
        }
        (&Method::GET | &Method::HEAD, _) => {
            let (repo_type, rest) = match p.strip_prefix("datasets/") {
                Some(r) => ("dataset", r),
                None => ("model", p),
            };
            let parts: Vec<&str> = rest.splitn(5, '/').collect();
            if parts.len() == 5 && parts[2] == "resolve" {
                let key = (repo_type.to_owned(), format!("{}/{}", parts[0], parts[1]));
                let commit = commit_sha(st.commits.get(&key).copied().unwrap_or(0));
                let Some(files) = st.repos.get(&key) else {
                    return not_found("RepoNotFound");
                };
                let Some(f) = files.get(parts[4]) else {
                    return not_found("EntryNotFound");
                };
                return serve_file(f, &method, &headers, &commit);
            }
            not_found("NotImplemented")
        }
        _ => not_found("NotImplemented"),
    }
}

fn lfs_batch(st: &mut HubState, body: &[u8], base: &str) -> Response {
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let objects: Vec<(String, u64)> = v["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["oid"].as_str().unwrap_or("").to_owned(),
                o["size"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let multipart = objects
        .iter()
        .any(|(oid, size)| *size >= st.multipart_threshold && !st.lfs.contains_key(oid));
    let out: Vec<Value> = objects
        .iter()
        .map(|(oid, size)| {
            if st.lfs.contains_key(oid) {
                return json!({"oid": oid, "size": size});
            }
            if multipart {
                let mut header = serde_json::Map::new();
                header.insert("chunk_size".into(), json!(st.chunk.to_string()));
                for i in 1..=size.div_ceil(st.chunk) {
                    header.insert(
                        format!("{i:05}"),
                        json!(format!("{base}/lfs/part/{oid}/{i}")),
                    );
                }
                json!({"oid": oid, "size": size, "actions": {"upload": {
                    "href": format!("{base}/lfs/complete/{oid}"), "header": header}}})
            } else {
                json!({"oid": oid, "size": size, "authenticated": true, "actions": {
                    "upload": {"href": format!("{base}/lfs/upload/{oid}"), "header": {}},
                    "verify": {"href": format!("{base}/lfs/verify/{oid}"), "header": {}}}})
            }
        })
        .collect();
    reply(
        StatusCode::OK,
        json!({"transfer": if multipart { "multipart" } else { "basic" }, "objects": out}),
    )
}

fn serve_file(f: &HubFile, method: &Method, headers: &HeaderMap, commit: &str) -> Response {
    let len = f.bytes.len();
    let range = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| {
            let a: usize = a.parse().ok()?;
            let b: usize = if b.is_empty() {
                len.checked_sub(1)?
            } else {
                b.parse().ok()?
            };
            Some((a, b.min(len.saturating_sub(1)) + 1))
        });
    let (start, end) = range.unwrap_or((0, len));
    let partial = range.is_some();
    let etag = if f.lfs {
        f.fake_sha256
            .clone()
            .unwrap_or_else(|| sha256_hex(&f.bytes))
    } else {
        git_sha1(&f.bytes)
    };
    let mut b = Response::builder()
        .status(if partial {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        })
        .header("x-repo-commit", commit)
        .header("accept-ranges", "bytes")
        .header("etag", format!("\"{etag}\""))
        .header("content-length", (end - start).to_string());
    if f.lfs {
        b = b
            .header("x-linked-etag", format!("\"{etag}\""))
            .header("x-linked-size", len.to_string());
    }
    if partial {
        b = b.header(
            "content-range",
            format!("bytes {start}-{}/{len}", end.saturating_sub(1)),
        );
    }
    let body = if *method == Method::HEAD {
        Vec::new()
    } else {
        f.bytes[start..end].to_vec()
    };
    b.body(Body::from(body)).unwrap()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
