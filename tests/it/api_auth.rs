//! Authentication and authorisation, the whole matrix, against the real `ppi serve`.

use crate::support::server::{TestServer, JWT_SECRET};
use crate::support::{lesson_video, scratch};
use ppi_core::domain::Role;
use ppi_store::auth::Tokens;

fn code(r: reqwest::blocking::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().unwrap_or_default();
    (status, v["code"].as_str().unwrap_or("").to_owned())
}

#[test]
fn tokens_roles_and_ownership() {
    let dir = scratch();
    let srv = TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("admin", "admin", "admin-password");
    srv.add_user("bob", "DL-user", "bob-password");
    srv.add_user("carol", "DL-user", "carol-password");
    let url = |p: &str| format!("{}{p}", srv.url);
    let me = |token: Option<&str>| {
        let mut r = srv.http.get(url("/api/me"));
        if let Some(t) = token {
            r = r.header("Authorization", t);
        }
        code(r.send().unwrap())
    };

    // Login.
    let bad = srv
        .http
        .post(url("/api/auth/login"))
        .json(&serde_json::json!({"username": "bob", "password": "nope-nope"}))
        .send()
        .unwrap();
    assert_eq!(code(bad), (401, "auth-failed".into()));
    let unknown = srv
        .http
        .post(url("/api/auth/login"))
        .json(&serde_json::json!({"username": "nobody", "password": "nope-nope"}))
        .send()
        .unwrap();
    assert_eq!(code(unknown), (401, "auth-failed".into()));
    let s = srv.session("Bob", "bob-password");
    assert_eq!(s["user"]["role"], "DL-user");
    assert_eq!(s["token_type"], "Bearer");
    let bob = s["access_token"].as_str().unwrap().to_owned();

    // Missing, malformed, tampered, foreign-key, expired and alg=none tokens.
    assert_eq!(me(None), (401, "auth-missing".into()));
    assert_eq!(me(Some("Basic Ym9iOmJvYg==")), (401, "auth-invalid".into()));
    assert_eq!(me(Some(&format!("Bearer {bob}"))).0, 200);
    let parts: Vec<&str> = bob.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(&base64url_decode(parts[1])).unwrap();
    let forged_claims = base64url_encode(serde_json::to_vec(&serde_json::json!({"sub": claims["sub"], "name": "bob", "role": "admin", "iat": claims["iat"], "exp": claims["exp"], "typ": "access"})).unwrap().as_slice());
    assert_eq!(
        me(Some(&format!(
            "Bearer {}.{}.{}",
            parts[0], forged_claims, parts[2]
        ))),
        (401, "auth-invalid".into())
    );
    let other_key = Tokens::new(b"some-other-secret-0123456789abcdefgh", 60)
        .issue("x", "admin", Role::Admin)
        .unwrap();
    assert_eq!(
        me(Some(&format!("Bearer {other_key}"))),
        (401, "auth-invalid".into())
    );
    let expired = Tokens::new(JWT_SECRET.as_bytes(), 60)
        .issue_at(
            claims["sub"].as_str().unwrap(),
            "bob",
            Role::DlUser,
            1_000,
            2_000,
        )
        .unwrap();
    assert_eq!(
        me(Some(&format!("Bearer {expired}"))),
        (401, "auth-expired".into())
    );
    let none = format!(
        "{}.{}.",
        base64url_encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    assert_eq!(
        me(Some(&format!("Bearer {none}"))),
        (401, "auth-invalid".into())
    );

    // Wrong role: user management is for admins.
    let admin = srv.token("admin", "admin-password");
    assert_eq!(code(srv.get("/api/users", &bob)), (403, "forbidden".into()));
    let create = |token: &str, body: serde_json::Value| {
        code(
            srv.http
                .post(url("/api/users"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .unwrap(),
        )
    };
    assert_eq!(
        create(
            &bob,
            serde_json::json!({"username": "eve", "password": "eve-password", "role": "admin"})
        ),
        (403, "forbidden".into())
    );
    assert_eq!(
        create(
            &admin,
            serde_json::json!({"username": "dave", "password": "dave-password", "role": "DL-user"})
        )
        .0,
        201
    );
    assert_eq!(
        create(
            &admin,
            serde_json::json!({"username": "dave", "password": "dave-password", "role": "DL-user"})
        ),
        (409, "conflict".into())
    );
    assert_eq!(
        create(
            &admin,
            serde_json::json!({"username": "../x", "password": "dave-password", "role": "DL-user"})
        ),
        (422, "invalid-username".into())
    );
    assert_eq!(
        create(
            &admin,
            serde_json::json!({"username": "erin", "password": "short", "role": "DL-user"})
        ),
        (422, "password-too-short".into())
    );
    assert_eq!(
        create(
            &admin,
            serde_json::json!({"username": "erin", "password": "long-enough", "role": "root"})
        ),
        (422, "invalid-role".into())
    );
    let users: serde_json::Value = srv.get("/api/users", &admin).json().unwrap();
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["admin", "bob", "carol", "dave"]);
    assert!(
        !users.to_string().contains("argon2"),
        "password hashes never leave the server"
    );
    assert_eq!(
        code(
            srv.http
                .delete(url("/api/users/dave"))
                .bearer_auth(&bob)
                .send()
                .unwrap()
        ),
        (403, "forbidden".into())
    );
    assert_eq!(
        srv.http
            .delete(url("/api/users/dave"))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        code(
            srv.http
                .delete(url("/api/users/dave"))
                .bearer_auth(&admin)
                .send()
                .unwrap()
        ),
        (404, "user-not-found".into())
    );

    // Ownership: a DL-user sees only their own lessons; an admin sees all.
    let video = dir.path().join("lesson.mp4");
    lesson_video(&video);
    let (status, up) = srv.upload(&bob, &video, Some("bob's lesson"));
    assert_eq!(status, 201, "{up}");
    let lesson_id = up["lesson"]["id"].as_str().unwrap().to_owned();
    let job_id = up["job"]["id"].as_str().unwrap().to_owned();
    let carol = srv.token("carol", "carol-password");
    let carol_list: serde_json::Value = srv.get("/api/lessons", &carol).json().unwrap();
    assert_eq!(carol_list["lessons"].as_array().unwrap().len(), 0);
    assert_eq!(
        code(srv.get(&format!("/api/lessons/{lesson_id}"), &carol)),
        (404, "lesson-not-found".into())
    );
    assert_eq!(
        code(srv.get(&format!("/api/jobs/{job_id}"), &carol)),
        (404, "job-not-found".into())
    );
    assert_eq!(
        code(
            srv.http
                .post(url(&format!("/api/jobs/{job_id}/cancel")))
                .bearer_auth(&carol)
                .send()
                .unwrap()
        ),
        (404, "job-not-found".into())
    );
    assert_eq!(
        srv.get(&format!("/api/lessons/{lesson_id}"), &bob).status(),
        200
    );
    assert_eq!(
        srv.get(&format!("/api/lessons/{lesson_id}"), &admin)
            .status(),
        200
    );
    let admin_list: serde_json::Value = srv.get("/api/lessons", &admin).json().unwrap();
    assert_eq!(admin_list["lessons"].as_array().unwrap().len(), 1);
    // Ids that are not ids never reach the database.
    for bad in ["..%2F..%2Fetc", "1%20OR%201=1", "x"] {
        assert_eq!(
            srv.get(&format!("/api/lessons/{bad}"), &bob).status(),
            404,
            "{bad}"
        );
    }

    // Refresh tokens: single use; a password change revokes them.
    let refresh = |token: &str| {
        code(
            srv.http
                .post(url("/api/auth/refresh"))
                .json(&serde_json::json!({"refresh_token": token}))
                .send()
                .unwrap(),
        )
    };
    let s2 = srv.session("carol", "carol-password");
    let r1 = s2["refresh_token"].as_str().unwrap().to_owned();
    let renewed: serde_json::Value = srv
        .http
        .post(url("/api/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": r1}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(renewed["access_token"].is_string());
    assert_eq!(
        refresh(&r1),
        (401, "auth-refresh-invalid".into()),
        "a refresh token works once"
    );
    let r2 = renewed["refresh_token"].as_str().unwrap().to_owned();
    let pw = srv
        .http
        .put(url("/api/users/carol/password"))
        .bearer_auth(&carol)
        .json(&serde_json::json!({"password": "carol-new-password"}))
        .send()
        .unwrap();
    assert_eq!(pw.status(), 204);
    assert_eq!(
        refresh(&r2),
        (401, "auth-refresh-invalid".into()),
        "revoked by the password change"
    );
    let pw = srv
        .http
        .put(url("/api/users/bob/password"))
        .bearer_auth(&carol)
        .json(&serde_json::json!({"password": "hijacked-password"}))
        .send()
        .unwrap();
    assert_eq!(code(pw), (403, "forbidden".into()));
    srv.session("carol", "carol-new-password");
}

#[test]
fn users_cli_manages_accounts() {
    let dir = scratch();
    let data = dir.path().join("data");
    let srv = TestServer::start(&data, &[], &[]);
    srv.add_user("ann", "admin", "ann-password");
    let out = srv.ppi().args(["users", "list"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ann\tadmin\n");
    let out = srv
        .ppi()
        .args(["users", "add", "bad/name"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[invalid-username]"));
    let mut c = srv
        .ppi()
        .args(["users", "passwd", "ann"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(b"ann-new-password\n")
        .unwrap();
    assert!(c.wait().unwrap().success());
    srv.session("ann", "ann-new-password");
    assert!(srv
        .ppi()
        .args(["users", "remove", "ann"])
        .status()
        .unwrap()
        .success());
    let out = srv.ppi().args(["users", "remove", "ann"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[user-not-found]"));
}

fn base64url_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    s
}

fn base64url_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().map(val).collect();
    let mut out = Vec::new();
    for c in bytes.chunks(4) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, v)| acc | (u32::from(*v) << (18 - 6 * i)));
        for i in 0..c.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
