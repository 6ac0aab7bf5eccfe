//! The web UI: static assets compiled into the binary (`host/server/ui/`), served under
//! `/ui/`. They talk to the same REST API as every other client. Setting `FERMATA_UI_DIR`
//! serves them from that directory instead, so they can be edited without a rebuild.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use std::borrow::Cow;

#[derive(RustEmbed)]
#[folder = "ui/"]
struct Assets;

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(|| asset(Path(String::new()))))
        .route("/ui/{*path}", get(asset))
}

fn load(path: &str) -> Option<Cow<'static, [u8]>> {
    if let Some(dir) = std::env::var_os("FERMATA_UI_DIR") {
        let dir = std::path::PathBuf::from(dir);
        let file = dir.join(path);
        // Only files below the directory: no `..` escapes.
        let inside = file
            .canonicalize()
            .ok()?
            .starts_with(dir.canonicalize().ok()?);
        return inside
            .then(|| std::fs::read(&file).ok().map(Cow::Owned))
            .flatten();
    }
    Assets::get(path).map(|f| f.data)
}

/// A known asset, or the application page for any other path (the UI routes in the browser).
async fn asset(Path(path): Path<String>) -> Response {
    let path = path.trim_start_matches('/');
    let (name, body) = match load(path).filter(|_| !path.is_empty()) {
        Some(body) => (path.to_string(), body),
        None => match load("index.html") {
            Some(body) => ("index.html".to_string(), body),
            None => {
                return (
                    StatusCode::NOT_FOUND,
                    "the UI is not built into this binary",
                )
                    .into_response();
            }
        },
    };
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    (
        [
            (header::CONTENT_TYPE, mime.as_ref().to_string()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        body.into_owned(),
    )
        .into_response()
}
