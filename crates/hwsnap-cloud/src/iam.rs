//! IAM: resolving the project id of a region (`GET /v3/projects?name=`).

use crate::scope::Scope;
use reqwest::Method;
use serde::Deserialize;

use crate::endpoint::Service;
use crate::error::{Error, OpKind, Operation};
use crate::transport::{Call, Transport, decode};
use crate::wire;

/// An IAM project (one per region per account).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Project {
    #[serde(deserialize_with = "wire::string")]
    pub id: String,
    #[serde(default, deserialize_with = "wire::string")]
    pub name: String,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub domain_id: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Deserialize)]
struct ProjectsEnvelope {
    #[serde(default)]
    projects: Option<Vec<Project>>,
}

/// The projects IAM lists under the name `region` (one signed call; the
/// cheapest check that the credentials work).
pub(crate) async fn list_projects(
    transport: &Transport,
    region: &str,
    scope: &Scope,
) -> Result<Vec<Project>, Error> {
    let call = Call::global(
        Service::Iam,
        Method::GET,
        Operation::new(
            OpKind::List,
            format!("look up the IAM project of region {region}"),
            format!("IAM project {region}"),
        ),
        &["v3", "projects"],
    )
    .query("name", region);
    let reply = transport.execute(&call, None, scope).await?;
    let envelope: ProjectsEnvelope = decode(&call.op, &reply)?;
    Ok(envelope.projects.unwrap_or_default())
}

/// The one enabled project named `region`; none (or several) is a
/// [`Error::Config`] on `region`.
pub(crate) fn pick_project(projects: Vec<Project>, region: &str) -> Result<String, Error> {
    let matching: Vec<Project> = projects
        .into_iter()
        .filter(|p| p.name == region && p.enabled != Some(false) && !p.id.is_empty())
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(Error::config(
            "region",
            format!(
                "IAM has no project named {region:?}: the region is wrong or these credentials cannot see it; set project_id to skip the lookup"
            ),
        )),
        several => Err(Error::config(
            "region",
            format!(
                "IAM returned {} projects named {region:?}; set project_id explicitly",
                several.len()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(id: &str, name: &str, enabled: Option<bool>) -> Project {
        Project {
            id: id.to_owned(),
            name: name.to_owned(),
            domain_id: None,
            enabled,
        }
    }

    #[test]
    fn picks_the_one_matching_project() {
        let out = pick_project(
            vec![
                project("a", "ap-southeast-1_sub", Some(true)),
                project("b", "ap-southeast-1", Some(true)),
            ],
            "ap-southeast-1",
        );
        assert_eq!(out, Ok("b".to_owned()));
    }

    #[test]
    fn none_or_disabled_is_a_region_error() {
        let out = pick_project(
            vec![project("b", "ap-southeast-1", Some(false))],
            "ap-southeast-1",
        );
        assert!(matches!(out, Err(Error::Config { ref field, .. }) if field == "region"));
        let out = pick_project(Vec::new(), "x");
        assert!(
            matches!(out, Err(Error::Config { ref reason, .. }) if reason.contains("project_id"))
        );
    }

    #[test]
    fn projects_decode() -> Result<(), serde_json::Error> {
        let env: ProjectsEnvelope = serde_json::from_str(
            r#"{"projects":[{"id":"0123","name":"ap-southeast-1","domain_id":"d","enabled":true,"links":{}}],"links":{}}"#,
        )?;
        assert_eq!(env.projects.map(|p| p.len()), Some(1));
        Ok(())
    }
}
