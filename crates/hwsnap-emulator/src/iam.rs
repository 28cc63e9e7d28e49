//! IAM handler: `GET /v3/projects?name={region}`, the project-id lookup.

use axum::Json;
use axum::extract::{RawQuery, State};

use crate::auth::parse_query;
use crate::state::AppState;
use crate::wire::{IamLinks, IamProject, IamProjectsResponse};

/// The emulated account (domain) id.
pub const DOMAIN_ID: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";

/// `GET /v3/projects`: the configured project when `name` is absent or equals
/// the region; an empty list otherwise.
pub async fn list_projects(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Json<IamProjectsResponse> {
    let pairs = parse_query(raw.as_deref().unwrap_or(""));
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str());
    let e = state.lock();
    let base = format!("https://iam.{}.myhuaweicloud.com/v3/projects", e.region);
    let projects = if name.is_none_or(|n| n == e.region) {
        vec![IamProject {
            id: e.project_id.clone(),
            name: e.region.clone(),
            domain_id: DOMAIN_ID.to_owned(),
            enabled: true,
            description: String::new(),
            is_domain: false,
            parent_id: DOMAIN_ID.to_owned(),
            links: IamLinks {
                self_link: format!("{base}/{}", e.project_id),
                previous: None,
                next: None,
            },
        }]
    } else {
        Vec::new()
    };
    let self_link = match raw {
        Some(q) if !q.is_empty() => format!("{base}?{q}"),
        _ => base,
    };
    Json(IamProjectsResponse {
        projects,
        links: IamLinks {
            self_link,
            previous: None,
            next: None,
        },
    })
}
