use super::*;

fn jwt(claims: Value) -> String {
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        b.encode(br#"{"alg":"HS256"}"#),
        b.encode(claims.to_string())
    )
}

#[test]
fn personal_access_tokens_are_refresh_jwts() {
    assert!(is_personal_access_token(&jwt(
        json!({"token_type": "refresh", "exp": 1})
    )));
    assert!(!is_personal_access_token(&jwt(
        json!({"token_type": "access"})
    )));
    assert!(!is_personal_access_token(
        "0123456789abcdef0123456789abcdef01234567"
    ));
}

/// A fake LS: `/api/token/refresh/` hands out access tokens a1, a2…; `/api/x` accepts
/// only the newest, so the client must refresh once on a 401.
#[tokio::test]
async fn an_expired_access_token_is_refreshed_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let issued = Arc::new(AtomicUsize::new(0));
    let n = issued.clone();
    let refresh = move |axum::Json(body): axum::Json<Value>| {
        let n = n.clone();
        async move {
            assert_eq!(
                body["refresh"].as_str().map(is_personal_access_token),
                Some(true)
            );
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            axum::Json(
                json!({"access": jwt(json!({"token_type": "access", "jti": i,
                                                    "exp": unix_now() + 300}))}),
            )
        }
    };
    let m = issued.clone();
    let x = move |headers: axum::http::HeaderMap| {
        let m = m.clone();
        async move {
            let want = format!(
                "Bearer {}",
                jwt(json!({"token_type": "access",
                "jti": m.load(Ordering::SeqCst), "exp": 0}))
            );
            let got = headers["authorization"].to_str().unwrap().to_owned();
            // Same token id as the newest one issued (exp differs, so compare the id).
            let id =
                |h: &str| jwt_claims(h.trim_start_matches("Bearer ")).map(|c| c["jti"].clone());
            if id(&got) == id(&want) && m.load(Ordering::SeqCst) >= 2 {
                (axum::http::StatusCode::OK, axum::Json(json!({"ok": true})))
            } else {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"detail": "expired"})),
                )
            }
        }
    };
    let app = axum::Router::new()
        .route("/api/token/refresh/", axum::routing::post(refresh))
        .route("/api/x", axum::routing::get(x));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pat = Secret::new(jwt(
        json!({"token_type": "refresh", "exp": unix_now() + 1_000_000}),
    ));
    let c = LsClient::new(&format!("http://{addr}"), &pat, Duration::from_secs(5)).unwrap();
    assert_eq!(c.get("/api/x").await.unwrap(), json!({"ok": true}));
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    // The fresh token is cached: no third exchange.
    assert_eq!(c.get("/api/x").await.unwrap(), json!({"ok": true}));
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[test]
fn ls_details_are_read() {
    assert_eq!(
        detail_of(
            r#"{"status_code":400,"detail":"Validation error","validation_errors":{"label_config":["bad"]}}"#
        ),
        r#"Validation error {"label_config":["bad"]}"#
    );
    assert_eq!(detail_of("<html>oops</html>"), "<html>oops</html>");
}
