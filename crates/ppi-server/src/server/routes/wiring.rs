//! The wiring page's API (admins): `GET /api/wiring` runs the checks
//! (`ls_sync::status`), `POST /api/wiring/check` first runs `serve`'s wiring pass again (the
//! one it runs at start: projects, ML backend, webhooks, storage CORS), then the checks.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;

use crate::app::App;
use crate::ls_sync::status::{self, Status};
use crate::ls_sync::wiring::{self, WiringState};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};

fn admin(caller: &Caller) -> ApiResult<()> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("the wiring page is for admins"))
    }
}

pub async fn get(State(app): State<Arc<App>>, caller: Caller) -> ApiResult<Json<Status>> {
    admin(&caller)?;
    Ok(Json(
        status::check(&app.jobs, &app.ls_wiring, app.store.as_ref()).await?,
    ))
}

pub async fn check(State(app): State<Arc<App>>, caller: Caller) -> ApiResult<Json<Status>> {
    admin(&caller)?;
    match wiring::off_reason(&app.jobs) {
        Some(reason) => app.ls_wiring.set_state(WiringState::Off { reason }),
        None => {
            let secret = ppi_core::secret::Secret::new(
                String::from_utf8_lossy(&app.webhook_secret).into_owned(),
            );
            // A failure is kept in the wiring state, which the checks report.
            let _ = wiring::once(&app.jobs, &app.ls_wiring, secret, 1, false).await;
        }
    }
    Ok(Json(
        status::check(&app.jobs, &app.ls_wiring, app.store.as_ref()).await?,
    ))
}
