//! A Hugging Face Hub test double, in process: the endpoints the Hub clients use, backed by
//! memory. Start it with [`HubDouble::start`] and point `HF_ENDPOINT` at [`HubDouble::url`].
//!
//! Download side (what hf-hub and `huggingface_hub` read): `GET|HEAD /{prefix}{repo}/resolve/
//! {rev}/{path}` with `Range`, `ETag`, `X-Linked-Etag` (LFS files: their SHA-256),
//! `X-Linked-Size`, `X-Repo-Commit`, and `404` + `X-Error-Code: EntryNotFound`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;

/// One stored file.
#[derive(Clone)]
pub struct HubFile {
    pub bytes: Vec<u8>,
    pub lfs: bool,
    /// Served instead of the real SHA-256, to test checksum failures.
    pub fake_sha256: Option<String>,
}

#[derive(Default)]
pub struct HubState {
    /// (repo type `model|dataset`, `ns/name`) → path → file.
    pub repos: HashMap<(String, String), HashMap<String, HubFile>>,
    pub requests: Vec<String>,
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

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

impl HubDouble {
    pub fn start() -> HubDouble {
        let state = Arc::new(Mutex::new(HubState::default()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let app = Router::new().fallback(handle).with_state(state.clone());
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
}

fn not_found(code: &str) -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("x-error-code", code)
        .body(Body::from(format!("{{\"error\":\"{code}\"}}")))
        .unwrap()
}

async fn handle(
    State(state): State<Arc<Mutex<HubState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().trim_start_matches('/').to_owned();
    state
        .lock()
        .unwrap()
        .requests
        .push(format!("{method} {}", uri.path()));
    // /{datasets/}ns/name/resolve/rev/file…
    let (repo_type, rest) = match path.strip_prefix("datasets/") {
        Some(r) => ("dataset", r.to_owned()),
        None => ("model", path.clone()),
    };
    let parts: Vec<&str> = rest.splitn(5, '/').collect();
    if parts.len() == 5 && parts[2] == "resolve" {
        let repo = format!("{}/{}", parts[0], parts[1]);
        let file_path = percent_decode(parts[4]);
        let st = state.lock().unwrap();
        let Some(files) = st.repos.get(&(repo_type.to_owned(), repo)) else {
            return not_found("RepoNotFound");
        };
        let Some(f) = files.get(&file_path) else {
            return not_found("EntryNotFound");
        };
        return serve_file(f, &method, &headers);
    }
    not_found("NotImplemented")
}

fn serve_file(f: &HubFile, method: &Method, headers: &HeaderMap) -> Response {
    let len = f.bytes.len();
    let (start, end) = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| {
            let a: usize = a.parse().ok()?;
            let b: usize = if b.is_empty() {
                len - 1
            } else {
                b.parse().ok()?
            };
            Some((a, b.min(len.saturating_sub(1))))
        })
        .map(|(a, b)| (a, b + 1, true))
        .map(|(a, b, _)| (a, b))
        .unwrap_or((0, len));
    let partial = headers.contains_key("range");
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
        .header("x-repo-commit", COMMIT)
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

fn git_sha1(data: &[u8]) -> String {
    ppi::hash::git_blob_sha1(data)
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
