//! The web UI: static files compiled into the binary.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../ui/index.html");
const APP_JS: &str = include_str!("../ui/app.js");
const CORPUS_JS: &str = include_str!("../ui/corpus.js");
const WIRING_JS: &str = include_str!("../ui/wiring.js");
const STYLE: &str = include_str!("../ui/style.css");
const FAVICON: &str = include_str!("../ui/favicon.svg");

pub async fn index() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX).into_response()
}

pub async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "app.js" => (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            APP_JS,
        )
            .into_response(),
        "corpus.js" | "wiring.js" => (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            if file == "corpus.js" {
                CORPUS_JS
            } else {
                WIRING_JS
            },
        )
            .into_response(),
        "style.css" => ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response(),
        "favicon.svg" => ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON).into_response(),
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
