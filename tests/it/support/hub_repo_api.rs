//! The Hub double's repository API: info, tree, paths-info, preupload and commits.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{commit_sha, git_sha1, is_regular, not_found, reply, sha256_hex, HubFile, HubState};

/// `/api/{type}s/{ns}/{name}/…`.
pub(super) fn api_repo(
    st: &mut HubState,
    method: &Method,
    key: (String, String),
    rest: &[&str],
    query: &str,
    body: &[u8],
) -> Response {
    let Some(files) = st.repos.get(&key) else {
        return not_found("RepoNotFound");
    };
    let commit = commit_sha(st.commits.get(&key).copied().unwrap_or(0));
    let entry = |path: &str, f: &HubFile| {
        let mut e =
            json!({"type": "file", "oid": git_sha1(&f.bytes), "size": f.bytes.len(), "path": path});
        if f.lfs {
            e["lfs"] =
                json!({"oid": sha256_hex(&f.bytes), "size": f.bytes.len(), "pointerSize": 134});
        }
        e
    };
    match (method, rest) {
        (&Method::GET, []) | (&Method::GET, ["revision", _]) => reply(
            StatusCode::OK,
            json!({"id": key.1, "sha": commit, "private": false, "disabled": false, "gated": false,
                   "lastModified": "2026-11-25T00:00:00.000Z", "tags": [], "cardData": {},
                   "siblings": files.keys().map(|p| json!({"rfilename": p})).collect::<Vec<_>>()}),
        ),
        (&Method::GET, ["tree", _rev, sub @ ..]) => {
            let base = sub.join("/");
            let recursive = query.contains("recursive=true")
                || query.contains("recursive=True")
                || query.contains("recursive=1");
            let prefix = if base.is_empty() {
                String::new()
            } else {
                format!("{base}/")
            };
            if !base.is_empty() && !files.keys().any(|p| p.starts_with(&prefix)) {
                return not_found("EntryNotFound");
            }
            let mut dirs = std::collections::BTreeSet::new();
            let mut out = Vec::new();
            for (p, f) in files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
                let rel = &p[prefix.len()..];
                let comps: Vec<&str> = rel.split('/').collect();
                for i in 1..comps.len() {
                    if recursive || i == 1 {
                        dirs.insert(format!("{prefix}{}", comps[..i].join("/")));
                    }
                }
                if recursive || comps.len() == 1 {
                    out.push(entry(p, f));
                }
            }
            let mut all: Vec<Value> = dirs
                .into_iter()
                .map(|d| json!({"type": "directory", "oid": git_sha1(d.as_bytes()), "size": 0, "path": d}))
                .collect();
            all.extend(out);
            reply(StatusCode::OK, Value::Array(all))
        }
        (&Method::POST, ["paths-info", _]) => {
            let wanted: Vec<String> = url::form_urlencoded::parse(body)
                .filter(|(k, _)| k == "paths")
                .map(|(_, v)| v.into_owned())
                .collect();
            let out: Vec<Value> = wanted
                .iter()
                .filter_map(|w| files.get(w).map(|f| entry(w, f)))
                .collect();
            reply(StatusCode::OK, Value::Array(out))
        }
        (&Method::POST, ["preupload", _]) => {
            let v: Value = serde_json::from_slice(body).unwrap_or_default();
            let out: Vec<Value> = v["files"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let path = f["path"].as_str().unwrap_or("");
                    let size = f["size"].as_u64().unwrap_or(0);
                    let lfs = !is_regular(path, size);
                    let oid = files.get(path).map(|e| {
                        if e.lfs {
                            sha256_hex(&e.bytes)
                        } else {
                            git_sha1(&e.bytes)
                        }
                    });
                    json!({"path": path, "uploadMode": if lfs { "lfs" } else { "regular" },
                           "shouldIgnore": false, "oid": oid})
                })
                .collect();
            reply(StatusCode::OK, json!({ "files": out }))
        }
        (&Method::POST, ["commit", _]) => {
            st.commit_bytes_in += body.len() as u64;
            let text = String::from_utf8_lossy(body);
            let mut adds: Vec<(String, HubFile)> = Vec::new();
            let mut deletes = Vec::new();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: Value = match serde_json::from_str(line) {
                    Ok(v) => v,
                    Err(e) => {
                        return reply(
                            StatusCode::BAD_REQUEST,
                            json!({"error": format!("bad NDJSON: {e}")}),
                        )
                    }
                };
                let path = v["value"]["path"].as_str().unwrap_or("").to_owned();
                match v["key"].as_str() {
                    Some("file") => {
                        use base64::Engine;
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(v["value"]["content"].as_str().unwrap_or(""))
                            .unwrap_or_default();
                        adds.push((
                            path,
                            HubFile {
                                bytes,
                                lfs: false,
                                fake_sha256: None,
                            },
                        ));
                    }
                    Some("lfsFile") => {
                        let oid = v["value"]["oid"].as_str().unwrap_or("");
                        let Some(bytes) = st.lfs.get(oid) else {
                            return reply(
                                StatusCode::BAD_REQUEST,
                                json!({"error": format!("LFS object {oid} was not uploaded")}),
                            );
                        };
                        adds.push((
                            path,
                            HubFile {
                                bytes: bytes.clone(),
                                lfs: true,
                                fake_sha256: None,
                            },
                        ));
                    }
                    Some("deletedFile") => deletes.push(path),
                    _ => {}
                }
            }
            let files = st.repos.get_mut(&key).unwrap();
            for p in deletes {
                files.remove(&p);
            }
            for (p, f) in adds {
                files.insert(p, f);
            }
            let n = st.commits.entry(key.clone()).or_insert(0);
            *n += 1;
            let sha = commit_sha(*n);
            reply(
                StatusCode::OK,
                json!({"success": true, "commitOid": sha,
                "commitUrl": format!("https://huggingface.co/{}s/{}/commit/{sha}", key.0, key.1),
                "hookOutput": "", "pullRequestUrl": null}),
            )
        }
        _ => not_found("NotImplemented"),
    }
}
