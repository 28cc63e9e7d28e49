//! # dws_snapshot
//!
//! A manual snapshot of a GaussDB(DWS) cluster
//! (`POST /v1.0/{project_id}/snapshots`). Every argument forces a new
//! snapshot: the cloud cannot change one in place. Create waits until the
//! snapshot is `AVAILABLE`; delete waits until it is gone.
//!
//! Import ID: the snapshot ID. Identity: `{ id }`.

use async_trait::async_trait;
use hwsnap_cloud::{Client, CreateDwsSnapshot, DwsSnapshot as CloudSnapshot, DwsStatus, Scope};
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

/// The `dws_snapshot` resource type.
pub struct DwsSnapshot;

/// What the user declares.
struct Args {
    cluster_id: String,
    name: String,
    description: Option<String>,
}

impl Args {
    fn from_value(v: &Value) -> Self {
        Self {
            cluster_id: text(v, "cluster_id").unwrap_or_default(),
            name: text(v, "name").unwrap_or_default(),
            description: text(v, "description"),
        }
    }
}

/// Writes everything the cloud reports about a snapshot into `state`.
fn write_state(state: &mut Value, s: &CloudSnapshot) {
    state.set_attr("id", Value::string(&s.id));
    if let Some(c) = s.cluster_id.as_deref().filter(|c| !c.is_empty()) {
        state.set_attr("cluster_id", Value::string(c));
    }
    state.set_attr("name", Value::string(&s.name));
    state.set_attr("description", optional_text(s.description.as_deref()));
    state.set_attr("status", Value::string(s.status.as_str()));
    state.set_attr(
        "type",
        s.snapshot_type
            .as_ref()
            .map_or(Value::Null, |t| Value::string(t.as_str())),
    );
    state.set_attr(
        "size",
        s.size
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
    );
    state.set_attr("started_at", timestamp(s.started));
    state.set_attr("finished_at", timestamp(s.finished));
    state.set_attr("cluster_name", optional_text(s.cluster_name.as_deref()));
}

#[async_trait]
impl Resource<Client> for DwsSnapshot {
    fn type_name(&self) -> &'static str {
        "dws_snapshot"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new(
                "A manual snapshot of a GaussDB(DWS) cluster. Creating one waits until the snapshot is \
                 `AVAILABLE`; destroying one deletes it and waits until it is gone. Any change of an \
                 argument replaces the snapshot.",
            )
            .attribute(
                Attribute::string("cluster_id", Mode::Required, "The ID of the DWS cluster to snapshot.")
                    .validate(cluster_id_pattern("44b277eb-39be-4921-be31-3d61b43651d7"))
                    .plan(RequiresReplace),
            )
            .attribute(
                Attribute::string(
                    "name",
                    Mode::Required,
                    "The snapshot's name, unique per cluster (case-insensitively).",
                )
                .validate(Length::between(4, 64))
                .validate(Pattern::new(
                    r"^[A-Za-z][A-Za-z0-9_-]*$",
                    "start with a letter and contain only letters, digits, - and _",
                ))
                .plan(RequiresReplace),
            )
            .attribute(
                Attribute::string("description", Mode::Optional, "A description of the snapshot.")
                    .validate(Length::at_most(256))
                    .validate(ForbiddenChars("!<>'=&\""))
                    .plan(RequiresReplace),
            )
            .attribute(
                computed("id", Type::String, "The snapshot ID.").plan(UseStateForUnknown),
            )
            .attribute(computed(
                "status",
                Type::String,
                "The snapshot's status: `CREATING`, `AVAILABLE`, `UNAVAILABLE`, `FROZEN` or `POLICE_FROZEN`.",
            ))
            .attribute(computed("type", Type::String, "`MANUAL` for snapshots made by this resource."))
            .attribute(computed("size", Type::Number, "The snapshot's size in GB."))
            .attribute(computed("started_at", Type::String, "When the snapshot started (RFC 3339)."))
            .attribute(computed("finished_at", Type::String, "When the snapshot finished (RFC 3339)."))
            .attribute(computed("cluster_name", Type::String, "The name of the cluster."))
            .block(timeouts::block(&[CREATE, DELETE])),
        )
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "id",
                ty: Type::String,
                required_for_import: true,
                description: "The snapshot ID.".into(),
            }],
        })
    }

    async fn create(&self, ctx: &Ctx<'_, Client>, req: CreateRequest, resp: &mut CreateResponse) {
        let deadline = tokio::time::Instant::now() + timeouts::get(&req.planned, CREATE);
        let scope = &Scope::new(ctx.cancel.clone()).with_deadline(deadline);
        let args = Args::from_value(&req.planned);
        let dws = ctx.data.dws();
        let request = CreateDwsSnapshot {
            name: args.name.clone(),
            cluster_id: args.cluster_id.clone(),
            description: args.description.clone(),
        };
        let ready = create_and_wait(
            ctx,
            resp,
            NewSnapshot {
                kind: "DWS snapshot",
                name: &args.name,
                cluster_id: &args.cluster_id,
                timeout: timeouts::get(&req.planned, CREATE),
            },
            || dws.create_snapshot(&request, scope),
            |id| async move {
                let s = dws.show_snapshot(&id, scope).await?;
                match s.status {
                    DwsStatus::Available => Ok(Poll::Ready(s)),
                    DwsStatus::Creating => Ok(Poll::Pending(s.status.as_str().to_string())),
                    other => Err(WaitFailure::Status(other.as_str().to_string())),
                }
            },
        )
        .await;
        if let Some(s) = ready {
            write_state(&mut resp.state, &s);
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Client>, req: ReadRequest, resp: &mut ReadResponse) {
        let scope = &Scope::new(ctx.cancel.clone());
        let Some(id) = text(&req.state, "id") else {
            return resp.gone("The DWS snapshot");
        };
        match ctx.data.dws().show_snapshot(&id, scope).await {
            Ok(s) => write_state(&mut resp.state, &s),
            Err(e) if e.is_not_found() => resp.gone(&format!("DWS snapshot {id}")),
            Err(e) => resp.diagnostics.push(cloud_diagnostic(
                &format!("Failed to read DWS snapshot {id}"),
                &e,
            )),
        }
    }

    async fn delete(&self, ctx: &Ctx<'_, Client>, req: DeleteRequest, resp: &mut DeleteResponse) {
        let deadline = tokio::time::Instant::now() + timeouts::get(&req.prior, DELETE);
        let scope = &Scope::new(ctx.cancel.clone()).with_deadline(deadline);
        let Some(id) = text(&req.prior, "id") else {
            return;
        };
        let dws = ctx.data.dws();
        let result = delete_and_wait(
            &format!("DWS snapshot {id}"),
            ctx.cancel,
            timeouts::get(&req.prior, DELETE),
            || dws.delete_snapshot(&id, scope),
            || async {
                let s = dws.show_snapshot(&id, scope).await?;
                Ok(Some(s.status.as_str().to_string()))
            },
        )
        .await;
        if let Err(d) = result {
            resp.diagnostics.push(d);
        }
    }

    fn import(&self, req: ImportRequest, resp: &mut ImportResponse) {
        let id = req
            .id
            .or_else(|| req.identity.as_ref().and_then(|i| text(i, "id")));
        match id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            Some(id) if !id.contains('/') => resp.state.set_attr("id", Value::String(id)),
            _ => resp.diagnostics.error(
                "Invalid import ID for dws_snapshot",
                "Expected the snapshot ID, such as 2a4d0f86-67cd-408a-8b66-017454fb7793.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwsnap_cloud::DwsSnapshotType;

    fn snapshot() -> CloudSnapshot {
        CloudSnapshot {
            id: "2a4d0f86-67cd-408a-8b66-017454fb7793".into(),
            name: "nightly".into(),
            description: Some(String::new()),
            status: DwsStatus::Available,
            snapshot_type: Some(DwsSnapshotType::Manual),
            size: Some(0.5),
            started: time::OffsetDateTime::from_unix_timestamp(1_764_072_000).ok(),
            finished: None,
            updated: None,
            cluster_id: Some("44b277eb-39be-4921-be31-3d61b43651d7".into()),
            cluster_name: Some("dws-1".into()),
            progress: None,
            datastore: None,
        }
    }

    #[test]
    fn state_written_matches_schema() {
        let schema = DwsSnapshot.schema();
        let mut state = schema.block.null_object();
        write_state(&mut state, &snapshot());
        assert!(state.conforms_to(&schema.value_type()));
        // Every computed attribute is written from the cloud's answer.
        for a in schema
            .block
            .attributes
            .iter()
            .filter(|a| a.mode.is_computed())
        {
            assert!(state.get_attr(a.name).is_some(), "{} not written", a.name);
        }
        assert_eq!(state.get_attr("description"), Some(&Value::Null));
        assert_eq!(
            state.get_attr("started_at"),
            Some(&Value::string("2025-11-25T12:00:00Z"))
        );
        assert_eq!(state.get_attr("type"), Some(&Value::string("MANUAL")));
    }

    #[test]
    fn import_takes_id_or_identity() {
        let schema = DwsSnapshot.schema();
        let mut resp = ImportResponse {
            state: schema.block.null_object(),
            diagnostics: Default::default(),
        };
        DwsSnapshot.import(
            ImportRequest {
                id: Some("abc".into()),
                identity: None,
            },
            &mut resp,
        );
        assert_eq!(resp.state.get_attr("id"), Some(&Value::string("abc")));
        let mut bad = ImportResponse {
            state: schema.block.null_object(),
            diagnostics: Default::default(),
        };
        DwsSnapshot.import(
            ImportRequest {
                id: Some("a/b".into()),
                identity: None,
            },
            &mut bad,
        );
        assert!(bad.diagnostics.has_errors());
    }
}
