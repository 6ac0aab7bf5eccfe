//! The REST API under `/api`, in Conductor's paths, verbs and shapes.

mod answers;
pub mod errors;
mod events;
mod extract;
mod metadata;
mod plugins;
mod scheduler;
mod sync;
mod tasks;
mod webhooks;
mod workflow;

pub use answers::HttpAnswers;

use crate::engine::{Engine, Reply};
use crate::error::Error;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRef;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::routing::{delete, get, post, put};
use std::sync::Arc;

pub type State = axum::extract::State<Arc<Engine>>;

/// What the handlers share. Most need only the engine.
#[derive(Clone)]
pub struct App {
    pub engine: Arc<Engine>,
    pub plugins: Arc<crate::plugins::Plugins>,
    pub events: Arc<crate::events::Events>,
}

impl FromRef<App> for Arc<Engine> {
    fn from_ref(app: &App) -> Arc<Engine> {
        app.engine.clone()
    }
}

/// Plugins are larger than any JSON request.
const MAX_PLUGIN_BYTES: usize = 64 << 20;

pub fn router(app: App, max_body_bytes: usize) -> Router {
    use metadata as m;
    use tasks as t;
    use workflow as w;
    let api = Router::new()
        // metadata
        .route(
            "/metadata/workflow",
            post(m::create_workflow)
                .put(m::update_workflows)
                .get(m::list_workflows),
        )
        .route("/metadata/workflow/validate", post(m::validate_workflow))
        .route(
            "/metadata/workflow/latest-versions",
            get(m::latest_versions),
        )
        .route("/metadata/workflow/names", get(m::names))
        .route(
            "/metadata/workflow/names-and-versions",
            get(m::names_and_versions),
        )
        .route("/metadata/workflow/{name}", get(m::get_workflow))
        .route("/metadata/workflow/{name}/versions", get(m::versions))
        .route(
            "/metadata/workflow/{name}/tags",
            get(m::workflow_tags::list)
                .post(m::workflow_tags::add)
                .put(m::workflow_tags::set)
                .delete(m::workflow_tags::delete),
        )
        .route(
            "/metadata/task/{name}/tags",
            get(m::task_tags::list)
                .post(m::task_tags::add)
                .put(m::task_tags::set)
                .delete(m::task_tags::delete),
        )
        .route(
            "/metadata/workflow/{name}/{version}",
            delete(m::delete_workflow),
        )
        .route(
            "/metadata/webhook",
            post(webhooks::create).get(webhooks::list),
        )
        .route(
            "/metadata/webhook/{id}",
            get(webhooks::get)
                .put(webhooks::update)
                .delete(webhooks::delete),
        )
        .route(
            "/metadata/webhook/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route("/webhook/{id}", post(webhooks::receive))
        .route(
            "/metadata/taskdefs",
            post(m::create_task_defs)
                .put(m::update_task_def)
                .get(m::list_task_defs),
        )
        .route(
            "/metadata/taskdefs/{name}",
            get(m::get_task_def).delete(m::delete_task_def),
        )
        // workflows
        .route("/workflow", post(w::start))
        .route("/workflow/execute/{name}/{version}", post(sync::execute))
        .route(
            "/workflow/start/{name}/{version}",
            post(w::start_with_version),
        )
        .route("/workflow/correlated/batch", post(w::correlated_batch))
        .route("/workflow/search", get(w::search))
        .route("/workflow/search-v2", get(w::search_v2))
        .route("/workflow/running/{name}", get(w::running))
        .route("/workflow/decide/{id}", put(w::decide))
        .route("/workflow/bulk/pause", put(w::bulk_pause))
        .route("/workflow/bulk/resume", put(w::bulk_resume))
        .route("/workflow/bulk/restart", post(w::bulk_restart))
        .route("/workflow/bulk/retry", post(w::bulk_retry))
        .route("/workflow/bulk/terminate", post(w::bulk_terminate))
        .route("/workflow/bulk/remove", delete(w::bulk_remove))
        .route("/workflow/bulk/delete", post(w::bulk_remove))
        .route(
            "/workflow/bulk/terminate-remove",
            delete(w::bulk_terminate_remove),
        )
        .route("/workflow/bulk/search", post(w::bulk_search))
        .route(
            "/workflow/{id}",
            post(w::start_by_name).get(w::get).delete(w::terminate),
        )
        .route("/workflow/{id}/status", get(w::status))
        .route("/workflow/{id}/tasks", get(w::tasks))
        .route("/workflow/{id}/signals", get(w::signal_log))
        .route("/workflow/{id}/pause", put(w::pause))
        .route("/workflow/{id}/variables", post(w::update_variables))
        .route("/workflow/{id}/state", post(sync::update_state))
        .route("/workflow/{id}/jump/{reference}", post(w::jump))
        .route("/workflow/{id}/upgrade", post(w::upgrade))
        .route(
            "/workflow/{id}/messages",
            post(w::send_message).get(w::inbox),
        )
        .route("/workflow/{id}/resume", put(w::resume))
        .route("/workflow/{id}/restart", post(w::restart))
        .route("/workflow/{id}/rerun", post(w::rerun))
        .route("/workflow/{id}/retry", post(w::retry))
        .route("/workflow/{id}/resetcallbacks", post(w::reset_callbacks))
        .route("/workflow/{id}/remove", delete(w::remove))
        .route(
            "/workflow/{id}/terminate-remove",
            delete(w::terminate_remove),
        )
        .route("/workflow/{id}/skiptask/{reference}", put(w::skip_task))
        .route("/workflow/{id}/correlated", post(w::correlated_many))
        .route(
            "/workflow/{id}/correlated/{correlation_id}",
            get(w::correlated),
        )
        // tasks
        .route("/tasks", post(t::update))
        .route("/tasks/update-v2", post(t::update_v2))
        .route("/tasks/poll/{task_type}", get(t::poll))
        .route("/tasks/poll/batch/{task_type}", get(t::batch_poll))
        .route("/tasks/queue/sizes", get(t::queue_sizes))
        .route("/tasks/queue/size", get(t::queue_size))
        .route("/tasks/queue/all", get(t::queue_all))
        .route("/tasks/queue/polldata", get(t::poll_data))
        .route("/tasks/queue/polldata/all", get(t::poll_data_all))
        .route("/tasks/search", get(t::search))
        .route("/tasks/search-v2", get(t::search_v2))
        .route("/tasks/{id}", get(t::get))
        .route("/tasks/{id}/log", get(t::logs).post(t::add_log))
        .route("/tasks/{id}/ack", post(t::ack))
        .route("/tasks/{id}/{second}/{third}", post(t::update_by_ref))
        .route(
            "/tasks/{id}/{second}/{third}/sync",
            post(t::update_by_ref_sync),
        )
        .route("/tasks/{id}/{second}/signal", post(t::signal))
        .route("/tasks/{id}/{second}/signal/sync", post(sync::signal_sync))
        // event handlers
        .route(
            "/event",
            post(events::add).put(events::update).get(events::list),
        )
        .route(
            "/event/{name}",
            get(events::for_event).delete(events::remove),
        )
        .route("/queue/messages/{queue}", get(events::queue_messages))
        // plugins
        .route("/plugins", get(plugins::list))
        .route(
            "/plugins/{task_type}",
            get(plugins::get)
                .put(plugins::put)
                .layer(DefaultBodyLimit::max(MAX_PLUGIN_BYTES)),
        )
        // misc
        .route(
            "/scheduler/schedules",
            post(scheduler::save).get(scheduler::list),
        )
        .route(
            "/scheduler/schedules/search",
            get(scheduler::search_schedules),
        )
        .route("/scheduler/schedules/tags", get(scheduler::tagged))
        .route("/scheduler/admin/pause", get(scheduler::admin_pause))
        .route("/scheduler/admin/resume", get(scheduler::admin_resume))
        .route("/scheduler/admin/requeue", get(scheduler::admin_requeue))
        .route(
            "/scheduler/schedules/{name}",
            get(scheduler::get).delete(scheduler::delete),
        )
        .route(
            "/scheduler/schedules/{name}/pause",
            put(scheduler::pause).get(scheduler::pause),
        )
        .route(
            "/scheduler/schedules/{name}/resume",
            put(scheduler::resume).get(scheduler::resume),
        )
        .route(
            "/scheduler/schedules/{name}/tags",
            get(scheduler::tags)
                .put(scheduler::put_tags)
                .delete(scheduler::delete_tags),
        )
        .route("/scheduler/bulk/pause", put(scheduler::bulk_pause))
        .route("/scheduler/bulk/resume", put(scheduler::bulk_resume))
        .route("/scheduler/nextFewSchedules", get(scheduler::next_few))
        .route(
            "/scheduler/search/executions",
            get(scheduler::search_executions),
        )
        .route("/version", get(version))
        .route("/token", post(no_auth))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found);
    Router::new()
        .nest("/api", api)
        .route("/health", get(health))
        // Orkes receives webhook deliveries outside `/api`.
        .route("/webhook/{id}", post(webhooks::receive))
        .merge(crate::ui::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(refuse_nul))
        .layer(axum::middleware::map_response(conductor_error_shape))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

async fn health() -> Reply {
    Reply::Json(serde_json::json!({"status": "UP"}))
}

async fn version() -> Reply {
    Reply::Text(env!("CARGO_PKG_VERSION").to_string())
}

/// No authentication is configured: both SDKs take a 404 here as "open mode".
async fn no_auth() -> Error {
    Error::not_found("Authentication is not configured on this server")
}

async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> Error {
    Error::not_found(format!("No endpoint {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> Error {
    Error::new(
        crate::error::ErrorKind::MethodNotAllowed,
        format!(
            "Request method '{method}' is not supported for {}",
            uri.path()
        ),
    )
}

/// A NUL character can be no name, id or query value fermata keeps (Postgres cannot store
/// one in text at all): refuse it where it enters, the same on every backend.
async fn refuse_nul(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    let has_nul = |part: &str| {
        part.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    };
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return Error::bad_request(
            "a NUL character (%00) is not accepted in a path or query parameter",
        )
        .into_response();
    }
    next.run(request).await
}

/// Errors from the HTTP layer itself (a path segment that is not UTF-8, a method or media
/// type axum refuses) come as plain text: give them Conductor's error shape like the rest.
async fn conductor_error_shape(response: axum::response::Response) -> axum::response::Response {
    use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let status = response.status();
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_string()
    } else {
        text
    };
    let mut shaped = Error::new(errors::kind_of(status), message).into_response();
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped
}
