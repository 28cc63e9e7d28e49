//! # css_index_snapshot
//!
//! A manual index snapshot of a Cloud Search Service cluster
//! (`POST /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot`). Every
//! argument forces a new snapshot. Create waits until the snapshot is
//! `COMPLETED`; delete waits until it is gone. CSS has no show-by-ID call,
//! so reads look the snapshot up in its cluster's list.
//!
//! Import ID: `<cluster_id>/<snapshot_id>`. Identity: `{ cluster_id, id }`.

use async_trait::async_trait;
use hwsnap_cloud::{Client, CreateCssSnapshot, CssSnapshot as CloudSnapshot, CssStatus, Scope};
use hwsnap_cty::{Number, Type, Value};
use hwsnap_framework::plan_modifiers::{RequiresReplace, UseStateForUnknown};
use hwsnap_framework::timeouts;
use hwsnap_framework::validators::{ForbiddenChars, Length, Pattern};
use hwsnap_framework::wait::Poll;
use hwsnap_framework::{
    Attribute, Block, CreateRequest, CreateResponse, Ctx, DeleteRequest, DeleteResponse,
    IdentityAttribute, IdentitySchema, ImportRequest, ImportResponse, Mode, ReadRequest,
    ReadResponse, Resource, Schema,
};

use super::{
    CREATE, DELETE, NewSnapshot, WaitFailure, cloud_diagnostic, cluster_id_pattern, computed,
    create_and_wait, delete_and_wait, optional_text, text, timestamp,
};

const IMPORT_FORM: &str = "<cluster_id>/<snapshot_id>";

/// The `css_index_snapshot` resource type.
pub struct CssIndexSnapshot;

/// What the user declares.
struct Args {
    cluster_id: String,
    name: String,
    description: Option<String>,
    indices: Option<String>,
}

impl Args {
    fn from_value(v: &Value) -> Self {
        Self {
            cluster_id: text(v, "cluster_id").unwrap_or_default(),
            name: text(v, "name").unwrap_or_default(),
            description: text(v, "description"),
            indices: text(v, "indices"),
        }
    }
}

/// Writes everything the cloud reports about a snapshot into `state`.
/// `indices` is taken from the cloud only when the state has none yet
/// (unset in configuration, or just imported).
fn write_state(state: &mut Value, cluster_id: &str, s: &CloudSnapshot) {
    let count = |n: Option<u64>| n.map_or(Value::Null, |n| Value::Number(Number::from(n)));
    state.set_attr("id", Value::string(&s.id));
    state.set_attr("cluster_id", Value::string(cluster_id));
    state.set_attr("name", Value::string(&s.name));
    state.set_attr("description", optional_text(s.description.as_deref()));
    if text(state, "indices").is_none() {
        state.set_attr("indices", optional_text(s.indices.as_deref()));
    }
    state.set_attr("status", Value::string(s.status.as_str()));
    state.set_attr(
        "backup_method",
        optional_text(s.backup_method.as_ref().map(|m| m.as_str())),
    );
    state.set_attr("total_shards", count(s.total_shards));
    state.set_attr("failed_shards", count(s.failed_shards));
    state.set_attr("bucket_name", optional_text(s.bucket_name.as_deref()));
    state.set_attr("started_at", timestamp(s.start_time));
    state.set_attr("finished_at", timestamp(s.end_time));
    state.set_attr("cluster_name", optional_text(s.cluster_name.as_deref()));
}

/// Splits an import ID of the form `<cluster_id>/<snapshot_id>`.
fn parse_import_id(id: &str) -> Result<(String, String), String> {
    match id.trim().split_once('/') {
        Some((c, s)) if !c.is_empty() && !s.is_empty() && !s.contains('/') => {
            Ok((c.to_string(), s.to_string()))
        }
        _ => Err(format!(
            "Expected {IMPORT_FORM}, such as 4f3deec3-efa8-4598-bf91-560aad1377a3/6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd; got {id:?}."
        )),
    }
}

#[async_trait]
impl Resource<Client> for CssIndexSnapshot {
    fn type_name(&self) -> &'static str {
        "css_index_snapshot"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new(
                "A manual index snapshot of a Cloud Search Service cluster, stored in the cluster's \
                 snapshot bucket (which must be configured). Creating one waits until it is `COMPLETED`; \
                 destroying one deletes it and waits until it is gone. Any change of an argument replaces \
                 the snapshot.",
            )
            .attribute(
                Attribute::string("cluster_id", Mode::Required, "The ID of the CSS cluster.")
                    .validate(cluster_id_pattern("4f3deec3-efa8-4598-bf91-560aad1377a3"))
                    .plan(RequiresReplace),
            )
            .attribute(
                Attribute::string("name", Mode::Required, "The snapshot's name, unique per cluster.")
                    .validate(Length::between(4, 64))
                    .validate(Pattern::new(
                        r"^[a-z][a-z0-9_-]*$",
                        "start with a lowercase letter and contain only lowercase letters, digits, - and _",
                    ))
                    .plan(RequiresReplace),
            )
            .attribute(
                Attribute::string("description", Mode::Optional, "A description of the snapshot.")
                    .validate(Length::at_most(256))
                    .validate(ForbiddenChars("<>!=&\"'"))
                    .plan(RequiresReplace),
            )
            .attribute(
                Attribute::string(
                    "indices",
                    Mode::OptionalComputed,
                    "The indices to snapshot, comma-separated; `*` matches any characters (`logs-2026*`). \
                     Unset means all indices, and the state then holds what the cloud reports.",
                )
                .validate(Length::between(1, 1024))
                .validate(Pattern::new(
                    r#"^[^A-Z\s"\\<|>/?,]+(,[^A-Z\s"\\<|>/?,]+)*$"#,
                    "be a comma-separated list of index names or patterns: lowercase, no spaces, no empty \
                     entries, none of \" \\ < | > / ?",
                ))
                .plan(RequiresReplace),
            )
            .attribute(
                computed("id", Type::String, "The snapshot ID.").plan(UseStateForUnknown),
            )
            .attribute(computed(
                "status",
                Type::String,
                "The snapshot's status: `BUILDING`, `COMPLETED`, `FAILED` or `PART_FAILED`.",
            ))
            .attribute(computed("backup_method", Type::String, "`manual` for snapshots made by this resource."))
            .attribute(computed("total_shards", Type::Number, "How many shards the snapshot holds."))
            .attribute(computed("failed_shards", Type::Number, "How many shards failed."))
            .attribute(computed("bucket_name", Type::String, "The OBS bucket holding the snapshot."))
            .attribute(computed("started_at", Type::String, "When the snapshot started (RFC 3339)."))
            .attribute(computed("finished_at", Type::String, "When the snapshot finished (RFC 3339)."))
            .attribute(computed("cluster_name", Type::String, "The name of the cluster."))
            .block(timeouts::block(&[CREATE, DELETE])),
        )
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: "cluster_id",
                    ty: Type::String,
                    required_for_import: true,
                    description: "The ID of the CSS cluster.".into(),
                },
                IdentityAttribute {
                    name: "id",
                    ty: Type::String,
                    required_for_import: true,
                    description: "The snapshot ID.".into(),
                },
            ],
        })
    }

    async fn create(&self, ctx: &Ctx<'_, Client>, req: CreateRequest, resp: &mut CreateResponse) {
        let deadline = tokio::time::Instant::now() + timeouts::get(&req.planned, CREATE);
        let scope = &Scope::new(ctx.cancel.clone()).with_deadline(deadline);
        let args = Args::from_value(&req.planned);
        let css = ctx.data.css();
        let request = CreateCssSnapshot {
            name: args.name.clone(),
            description: args.description.clone(),
            indices: args.indices.clone(),
        };
        let cluster_id = args.cluster_id.as_str();
        let ready = create_and_wait(
            ctx,
            resp,
            NewSnapshot {
                kind: "CSS index snapshot",
                name: &args.name,
                cluster_id,
                timeout: timeouts::get(&req.planned, CREATE),
            },
            || css.create_snapshot(cluster_id, &request, scope),
            |id| async move {
                let s = css.find_snapshot(cluster_id, &id, scope).await?;
                match s.status {
                    CssStatus::Completed => Ok(Poll::Ready(s)),
                    CssStatus::Building => Ok(Poll::Pending(s.status.as_str().to_string())),
                    other => Err(WaitFailure::Status(other.as_str().to_string())),
                }
            },
        )
        .await;
        if let Some(s) = ready {
            write_state(&mut resp.state, cluster_id, &s);
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Client>, req: ReadRequest, resp: &mut ReadResponse) {
        let scope = &Scope::new(ctx.cancel.clone());
        let (Some(cluster_id), Some(id)) = (text(&req.state, "cluster_id"), text(&req.state, "id"))
        else {
            return resp.gone("The CSS index snapshot");
        };
        match ctx.data.css().find_snapshot(&cluster_id, &id, scope).await {
            Ok(s) => write_state(&mut resp.state, &cluster_id, &s),
            Err(e) if e.is_not_found() => resp.gone(&format!("CSS index snapshot {id}")),
            Err(e) => resp.diagnostics.push(cloud_diagnostic(
                &format!("Failed to read CSS index snapshot {id}"),
                &e,
            )),
        }
    }

    async fn delete(&self, ctx: &Ctx<'_, Client>, req: DeleteRequest, resp: &mut DeleteResponse) {
        let deadline = tokio::time::Instant::now() + timeouts::get(&req.prior, DELETE);
        let scope = &Scope::new(ctx.cancel.clone()).with_deadline(deadline);
        let (Some(cluster_id), Some(id)) = (text(&req.prior, "cluster_id"), text(&req.prior, "id"))
        else {
            return;
        };
        let css = ctx.data.css();
        let result = delete_and_wait(
            &format!("CSS index snapshot {id}"),
            ctx.cancel,
            timeouts::get(&req.prior, DELETE),
            || css.delete_snapshot(&cluster_id, &id, scope),
            || async {
                let s = css.find_snapshot(&cluster_id, &id, scope).await?;
                Ok(Some(s.status.as_str().to_string()))
            },
        )
        .await;
        if let Err(d) = result {
            resp.diagnostics.push(d);
        }
    }

    fn import(&self, req: ImportRequest, resp: &mut ImportResponse) {
        let parsed = match (&req.id, &req.identity) {
            (Some(id), _) => parse_import_id(id),
            (None, Some(identity)) => match (text(identity, "cluster_id"), text(identity, "id")) {
                (Some(c), Some(i)) => Ok((c, i)),
                _ => Err("The identity needs both cluster_id and id.".to_string()),
            },
            (None, None) => Err(format!("Expected an import ID of the form {IMPORT_FORM}.")),
        };
        match parsed {
            Ok((cluster_id, id)) => {
                resp.state.set_attr("cluster_id", Value::String(cluster_id));
                resp.state.set_attr("id", Value::String(id));
            }
            Err(detail) => resp
                .diagnostics
                .error("Invalid import ID for css_index_snapshot", detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> CloudSnapshot {
        CloudSnapshot {
            id: "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd".into(),
            name: "nightly".into(),
            description: None,
            status: CssStatus::Completed,
            backup_method: Some(hwsnap_cloud::CssBackupMethod::Manual),
            backup_type: Some(hwsnap_cloud::CssBackupType::Manual),
            indices: Some("index-a,index-b".into()),
            total_shards: Some(6),
            failed_shards: Some(0),
            bucket_name: Some("css-backups".into()),
            restore_status: None,
            start_time: time::OffsetDateTime::from_unix_timestamp(1_764_072_000).ok(),
            end_time: time::OffsetDateTime::from_unix_timestamp(1_764_072_003).ok(),
            created: None,
            updated: None,
            cluster_id: None,
            cluster_name: Some("css-1".into()),
            ..CloudSnapshot::default()
        }
    }

    #[test]
    fn state_written_matches_schema() {
        let schema = CssIndexSnapshot.schema();
        let mut state = schema.block.null_object();
        write_state(
            &mut state,
            "4f3deec3-efa8-4598-bf91-560aad1377a3",
            &snapshot(),
        );
        assert!(state.conforms_to(&schema.value_type()));
        for a in schema
            .block
            .attributes
            .iter()
            .filter(|a| a.mode.is_computed())
        {
            assert!(
                !state.get_attr(a.name).unwrap().is_null(),
                "{} not written",
                a.name
            );
        }
        assert_eq!(
            state.get_attr("finished_at"),
            Some(&Value::string("2025-11-25T12:00:03Z"))
        );
    }

    #[test]
    fn configured_indices_are_kept() {
        let schema = CssIndexSnapshot.schema();
        let mut state = schema.block.null_object();
        state.set_attr("indices", Value::string("index-*"));
        write_state(&mut state, "c", &snapshot());
        assert_eq!(state.get_attr("indices"), Some(&Value::string("index-*")));
    }

    #[test]
    fn import_id_needs_both_parts() {
        assert_eq!(
            parse_import_id("c/s").unwrap(),
            ("c".to_string(), "s".to_string())
        );
        for bad in ["", "c", "c/", "/s", "c/s/x"] {
            let err = parse_import_id(bad).unwrap_err();
            assert!(err.contains(IMPORT_FORM), "{bad}: {err}");
        }
    }
}
