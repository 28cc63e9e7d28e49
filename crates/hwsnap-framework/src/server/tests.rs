//! Framework tests without the CLI: types built from closures, served by a
//! real [`Server`] and called through its tfplugin6 methods, the way
//! Terraform calls them. They pin the protocol rules the framework enforces
//! once for every provider.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use hwsnap_cty::{Number, Type, Value};
use hwsnap_plugin::proto::tfplugin6 as pb;
use pb::provider_server::Provider as _;
use tonic::Request;

use crate::action::{
    Action, InvokeRequest, InvokeResponse, PlanRequest, PlanResponse, ProgressSink,
};
use crate::data_source::{self, DataSource};
use crate::diag::Diagnostics;
use crate::import::{self, Import, uuid};
use crate::list_resource::{ListRequest, ListResource, ListSink};
use crate::model::{computed, optional, optional_computed, required};
use crate::moves::{MoveRequest, MoveResponse, MoveSource, ProviderName};
use crate::plan_modifiers::{RequiresReplace, UseStateForUnknown};
use crate::private::{Key, Private};
use crate::provider::{Provider, Registry};
use crate::resource::{
    CreateRequest, CreateResponse, Ctx, DeleteRequest, DeleteResponse, ReadRequest, ReadResponse,
    Resource,
};
use crate::schema::{Block, Schema};
use crate::server::Server;
use crate::timeouts::Timeout;

const CLUSTER: &str = "4f3deec3-efa8-4598-bf91-560aad1377a3";
const ID: &str = "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd";

crate::model! {
    /// A test thing on a cluster.
    pub struct Thing {
        /// The cluster.
        cluster_id: String = required().plan(RequiresReplace).identity(),
        /// The name.
        name: String = required().plan(RequiresReplace),
        /// A note; `*` when unset.
        note: Option<String> = optional_computed().plan(RequiresReplace),
        /// A size.
        size: Option<Number> = computed(),
        /// The ID.
        id: Option<String> = computed().plan(UseStateForUnknown).identity(),
        /// The status.
        status: Option<String> = computed(),
    }
}

/// What a closure-built operation gets: the context's timeout, for checks.
type Seen = Arc<Mutex<Vec<Option<(&'static str, Duration)>>>>;

type CreateFn = Arc<dyn Fn(&mut CreateResponse<Thing>) + Send + Sync>;
type ReadFn = Arc<dyn Fn(&mut ReadResponse<Thing>) + Send + Sync>;
type DeleteFn = Arc<dyn Fn(&mut DeleteResponse) + Send + Sync>;
type MovesFn = Arc<dyn Fn() -> Vec<MoveSource<Thing>> + Send + Sync>;

/// A resource whose operations are closures.
#[derive(Clone)]
struct ClosureResource {
    create: CreateFn,
    read: ReadFn,
    delete: DeleteFn,
    moves: MovesFn,
    seen: Seen,
}

impl Default for ClosureResource {
    fn default() -> Self {
        Self {
            create: Arc::new(|resp| {
                resp.state.id = Some(ID.into());
                resp.state.status = Some("OK".into());
                resp.state.size = Some(Number::from(3i64));
                resp.state.note.get_or_insert_with(|| "*".into());
            }),
            read: Arc::new(|_| {}),
            delete: Arc::new(|_| {}),
            moves: Arc::new(Vec::new),
            seen: Seen::default(),
        }
    }
}

const CREATE: Timeout = Timeout {
    operation: "create",
    default: Duration::from_secs(600),
};
const DELETE: Timeout = Timeout {
    operation: "delete",
    default: Duration::from_secs(60),
};

#[async_trait::async_trait]
impl Resource<()> for ClosureResource {
    type Model = Thing;
    const TYPE_NAME: &'static str = "test_thing";
    const TIMEOUTS: &'static [Timeout] = &[CREATE, DELETE];

    async fn create(
        &self,
        ctx: &Ctx<'_, ()>,
        _: CreateRequest<Thing>,
        resp: &mut CreateResponse<Thing>,
    ) {
        self.seen.lock().unwrap().push(ctx.timeout);
        assert!(ctx.deadline.is_some());
        (self.create)(resp);
    }

    async fn read(&self, ctx: &Ctx<'_, ()>, _: ReadRequest<Thing>, resp: &mut ReadResponse<Thing>) {
        self.seen.lock().unwrap().push(ctx.timeout);
        (self.read)(resp);
    }

    async fn delete(&self, ctx: &Ctx<'_, ()>, _: DeleteRequest<Thing>, resp: &mut DeleteResponse) {
        self.seen.lock().unwrap().push(ctx.timeout);
        (self.delete)(resp);
    }

    fn import(&self) -> Option<Import> {
        Some(import::split(
            [uuid("cluster_id"), uuid("id").shown_as("thing_id")],
            '/',
        ))
    }

    fn generate_config(&self, config: &mut Thing) {
        if config.note.as_deref() == Some("*") {
            config.note = None;
        }
    }

    fn moves(&self) -> Vec<MoveSource<Thing>> {
        (self.moves)()
    }
}

crate::model! {
    /// Which things to look up.
    pub struct Lookup {
        /// The name to look up.
        name: String = required(),
        /// The ID found.
        id: Option<String> = computed(),
    }
}

/// A data source that finds `id-of-NAME`, or panics for the name `panic`.
struct ClosureData;

#[async_trait::async_trait]
impl DataSource<()> for ClosureData {
    type Model = Lookup;
    const TYPE_NAME: &'static str = "test_lookup";

    async fn read(
        &self,
        _: &Ctx<'_, ()>,
        req: data_source::ReadRequest<Lookup>,
        resp: &mut data_source::ReadResponse<Lookup>,
    ) {
        assert!(req.config.name != "panic", "lookup exploded");
        resp.state.id = Some(format!("id-of-{}", req.config.name));
    }
}

crate::model! {
    /// Filters of a list.
    pub struct Filter {
        /// Only things whose name starts with this.
        prefix: Option<String> = optional().validate(crate::validators::Length::between(1, 20)),
    }
}

/// A list of `n` things named `thing-K`; counts the pushes it attempted.
#[derive(Clone)]
struct ClosureList {
    n: usize,
    attempted: Arc<AtomicUsize>,
    items: Arc<dyn Fn(usize) -> Option<Thing> + Send + Sync>,
}

fn thing(i: usize) -> Thing {
    Thing {
        cluster_id: CLUSTER.into(),
        name: format!("thing-{i}"),
        note: Some("*".into()),
        size: None,
        id: Some(format!("00000000-0000-0000-0000-{i:012}")),
        status: Some("OK".into()),
    }
}

#[async_trait::async_trait]
impl ListResource<()> for ClosureList {
    type Resource = ClosureResource;
    type Config = Filter;

    async fn list(&self, _: &Ctx<'_, ()>, req: ListRequest<Filter>, out: &mut ListSink<'_, Thing>) {
        for i in 0..self.n {
            let Some(t) = (self.items)(i) else {
                let d = crate::Diagnostic::error("cloud failed", format!("at {i}"));
                out.diagnostic(d.at(hwsnap_cty::AttributePath::attr("prefix")))
                    .await;
                continue;
            };
            if req
                .config
                .prefix
                .as_deref()
                .is_some_and(|p| !t.name.starts_with(p))
            {
                continue;
            }
            self.attempted.fetch_add(1, Ordering::SeqCst);
            if !out.push(t.name.clone(), t).await {
                return;
            }
        }
    }
}

crate::model! {
    /// What an action does.
    pub struct Steps {
        /// Progress messages to send.
        messages: Vec<String> = required(),
        /// What to do after them: `ok`, `fail`, `panic`, `wait` (until
        /// cancelled), `hang` (ignoring cancellation) or `deadline` (send
        /// the invoke's timeout and how far off its deadline is).
        then: String = required(),
        /// The invoke's timeout, in seconds.
        timeout_seconds: Option<u64> = optional(),
    }
}

/// An action that sends its messages and then does `then`.
struct ClosureAction {
    plans: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Action<()> for ClosureAction {
    type Config = Steps;
    const TYPE_NAME: &'static str = "test_run";

    fn timeout(&self, config: &Steps) -> Option<Duration> {
        config.timeout_seconds.map(Duration::from_secs)
    }

    async fn plan(&self, _: &Ctx<'_, ()>, req: PlanRequest<Steps>, resp: &mut PlanResponse) {
        self.plans.fetch_add(1, Ordering::SeqCst);
        if req.config.then == "fail" {
            resp.diagnostics.error("would fail", "planned to fail");
        }
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_, ()>,
        req: InvokeRequest<Steps>,
        progress: &ProgressSink,
        resp: &mut InvokeResponse,
    ) {
        for m in &req.config.messages {
            progress.send(m.clone()).await;
        }
        match req.config.then.as_str() {
            "fail" => resp.diagnostics.error("it failed", "as asked"),
            "panic" => panic!("action exploded"),
            "wait" => {
                ctx.cancel.cancelled().await;
                progress.send("stopped, after the fact").await;
                resp.diagnostics.error("cancelled", "stopped as asked");
            }
            "hang" => tokio::time::sleep(Duration::from_secs(3600)).await,
            "deadline" => {
                let left = ctx.deadline.map(|d| {
                    d.saturating_duration_since(tokio::time::Instant::now())
                        .as_secs()
                });
                progress
                    .send(format!("timeout {:?}, {left:?} s left", ctx.timeout))
                    .await;
            }
            _ => {}
        }
    }
}

/// A provider serving what the test puts in.
#[derive(Default)]
struct TestProvider {
    resource: Option<ClosureResource>,
    data: bool,
    list: Option<ClosureList>,
    action: Option<Arc<AtomicUsize>>,
}

#[async_trait::async_trait]
impl Provider for TestProvider {
    type Data = ();

    fn schema(&self) -> Schema {
        Schema::new(0, Block::new("A test provider."))
    }

    async fn configure(&self, _: &Value, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn register(&self, types: &mut Registry<()>) {
        if let Some(r) = &self.resource {
            types.resource(r.clone());
        }
        if self.data {
            types.data_source(ClosureData);
        }
        if let Some(l) = &self.list {
            types.list_resource(l.clone());
        }
        if let Some(plans) = &self.action {
            types.action(ClosureAction {
                plans: plans.clone(),
            });
        }
    }
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(super::convert::encode_dynamic(v, ty, "test").unwrap())
}

fn undv(v: Option<pb::DynamicValue>, ty: &Type) -> Value {
    super::convert::decode_dynamic(v.as_ref(), ty, "test").unwrap()
}

fn errors(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// A configured server for `p`.
async fn server(p: TestProvider) -> Server<TestProvider> {
    let s = Server::new(p);
    let r = s
        .configure_provider(Request::new(pb::configure_provider::Request {
            config: dv(&Value::Object(Default::default()), &s.provider_type),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    s
}

fn with_resource(r: ClosureResource) -> TestProvider {
    TestProvider {
        resource: Some(r),
        ..Default::default()
    }
}

fn thing_ty(s: &Server<TestProvider>) -> Type {
    s.resource_schema("test_thing").unwrap().value_type()
}

/// A configuration of `test_thing` with a create timeout of 90s.
fn config(s: &Server<TestProvider>) -> Value {
    let mut c = s.resource_schema("test_thing").unwrap().block.null_object();
    c.set_attr("cluster_id", Value::string(CLUSTER));
    c.set_attr("name", Value::string("one"));
    c.set_attr(
        "timeouts",
        Value::Object(
            [
                ("create".into(), Value::string("90s")),
                ("delete".into(), Value::Null),
            ]
            .into(),
        ),
    );
    c
}

/// Plans `config` over `prior` with the proposed new state Terraform would
/// send: the configuration, with prior values where it sets none.
async fn plan(
    s: &Server<TestProvider>,
    prior: &Value,
    config: &Value,
) -> pb::plan_resource_change::Response {
    let ty = thing_ty(s);
    let mut proposed = config.clone();
    if let (Some(p), Value::Object(c)) = (prior.as_object(), &mut proposed) {
        for (k, v) in c.iter_mut() {
            if v.is_null() {
                *v = p[k].clone();
            }
        }
    }
    s.plan_resource_change(Request::new(pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(prior, &ty),
        proposed_new_state: dv(&proposed, &ty),
        config: dv(config, &ty),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    s: &Server<TestProvider>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> (Value, Vec<pb::Diagnostic>, Option<pb::ResourceIdentityData>) {
    let ty = thing_ty(s);
    let r = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dv(prior, &ty),
            planned_state: dv(planned, &ty),
            config: dv(config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    (undv(r.new_state, &ty), r.diagnostics, r.new_identity)
}

/// Plans and applies a create of [`config`].
async fn create(
    s: &Server<TestProvider>,
) -> (Value, Vec<pb::Diagnostic>, Option<pb::ResourceIdentityData>) {
    let c = config(s);
    let planned = undv(plan(s, &Value::Null, &c).await.planned_state, &thing_ty(s));
    apply(s, &Value::Null, &planned, &c).await
}

async fn read(s: &Server<TestProvider>, state: &Value) -> pb::read_resource::Response {
    read_private(s, state, &[]).await
}

/// Reads `state` stored with `private`.
async fn read_private(
    s: &Server<TestProvider>,
    state: &Value,
    private: &[u8],
) -> pb::read_resource::Response {
    let req = pb::read_resource::Request {
        type_name: "test_thing".into(),
        current_state: dv(state, &thing_ty(s)),
        private: private.to_vec(),
        ..Default::default()
    };
    s.read_resource(Request::new(req))
        .await
        .unwrap()
        .into_inner()
}

fn text<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get_attr(name).and_then(Value::as_str)
}

#[tokio::test]
async fn plan_of_a_create_leaves_unset_computed_unknown() {
    let s = server(with_resource(ClosureResource::default())).await;
    let p = plan(&s, &Value::Null, &config(&s)).await;
    assert!(errors(&p.diagnostics).is_empty());
    let planned = undv(p.planned_state, &thing_ty(&s));
    for a in ["id", "status", "size", "note"] {
        assert!(planned.get_attr(a).unwrap().is_unknown(), "{a} is unknown");
    }
    assert_eq!(text(&planned, "name"), Some("one"));
    assert!(p.requires_replace.is_empty());
}

#[tokio::test]
async fn plan_of_a_change_replaces_and_keeps_what_never_changes() {
    let s = server(with_resource(ClosureResource::default())).await;
    let (state, _, _) = create(&s).await;
    // Unchanged: the prior state, with its identity.
    let p = plan(&s, &state, &config(&s)).await;
    let planned = undv(p.planned_state, &thing_ty(&s));
    assert_eq!(planned.get_attr("id"), state.get_attr("id"));
    assert!(p.planned_identity.is_some());
    // A new name: replaced, computed values unknown again.
    let mut c = config(&s);
    c.set_attr("name", Value::string("two"));
    let p = plan(&s, &state, &c).await;
    assert_eq!(p.requires_replace.len(), 1);
    let planned = undv(p.planned_state, &thing_ty(&s));
    assert!(planned.get_attr("status").unwrap().is_unknown());
    assert!(p.planned_identity.is_none());
}

#[tokio::test]
async fn create_returns_state_identity_timeouts_and_its_deadline() {
    let r = ClosureResource::default();
    let seen = r.seen.clone();
    let s = server(with_resource(r)).await;
    let (state, diags, identity) = create(&s).await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    assert_eq!(text(&state, "id"), Some(ID));
    assert_eq!(text(&state, "note"), Some("*"));
    assert_eq!(
        state.get_attr("timeouts").unwrap().get_attr("create"),
        Some(&Value::string("90s")),
        "the timeouts block stays in state"
    );
    let identity = identity.unwrap().identity_data.unwrap();
    let ity = Type::object([("cluster_id", Type::String), ("id", Type::String)]);
    let identity = super::convert::decode_dynamic(Some(&identity), &ity, "identity").unwrap();
    assert_eq!(text(&identity, "id"), Some(ID));
    assert_eq!(text(&identity, "cluster_id"), Some(CLUSTER));
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [Some(("create", Duration::from_secs(90)))],
        "the configured timeout, not the default"
    );
}

#[tokio::test]
async fn a_failed_create_keeps_the_id_it_recorded() {
    let s = server(with_resource(ClosureResource {
        create: Arc::new(|resp| {
            resp.state.id = Some(ID.into());
            resp.diagnostics
                .error("Timed out waiting", "still CREATING");
        }),
        ..Default::default()
    }))
    .await;
    let (state, diags, _) = create(&s).await;
    assert_eq!(errors(&diags), ["Timed out waiting: still CREATING"]);
    assert_eq!(text(&state, "id"), Some(ID), "kept: Terraform taints it");
    assert!(
        state.get_attr("status").unwrap().is_null(),
        "unknowns are nulled"
    );
}

#[tokio::test]
async fn a_failed_create_without_an_id_leaves_nothing() {
    let s = server(with_resource(ClosureResource {
        create: Arc::new(|resp| resp.diagnostics.error("Failed to create", "refused")),
        ..Default::default()
    }))
    .await;
    let (state, diags, identity) = create(&s).await;
    assert_eq!(errors(&diags).len(), 1);
    assert!(state.is_null());
    assert!(identity.is_none());
}

#[tokio::test]
async fn a_create_without_an_id_is_an_error() {
    let s = server(with_resource(ClosureResource {
        create: Arc::new(|resp| resp.state.status = Some("OK".into())),
        ..Default::default()
    }))
    .await;
    let (state, diags, _) = create(&s).await;
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("Provider returned no ID after creating test_thing"));
    assert!(state.is_null());
}

#[tokio::test]
async fn a_panic_after_the_id_is_an_error_and_keeps_the_id() {
    let s = server(with_resource(ClosureResource {
        create: Arc::new(|resp| {
            resp.state.id = Some(ID.into());
            panic!("index out of bounds in the poll loop");
        }),
        ..Default::default()
    }))
    .await;
    let (state, diags, _) = create(&s).await;
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("internal error in hwsnap: test_thing create panicked (index out of bounds in the poll loop), please report"),
        "{errs:?}"
    );
    assert!(!errs[0].contains("one"), "no configuration value is added");
    assert_eq!(text(&state, "id"), Some(ID), "kept in state (tainted)");
    // The server still answers.
    let p = plan(&s, &Value::Null, &config(&s)).await;
    assert!(errors(&p.diagnostics).is_empty());
}

#[tokio::test]
async fn a_failed_delete_keeps_the_prior_state_and_a_delete_gets_its_deadline() {
    let ok = ClosureResource::default();
    let seen = ok.seen.clone();
    let s = server(with_resource(ok)).await;
    let (state, _, _) = create(&s).await;
    let (after, diags, _) = apply(&s, &state, &Value::Null, &Value::Null).await;
    assert!(errors(&diags).is_empty());
    assert!(after.is_null());
    assert_eq!(
        seen.lock().unwrap().last().copied().flatten(),
        Some(("delete", Duration::from_secs(60))),
        "the default, as none is configured"
    );

    for failing in [
        Arc::new(|resp: &mut DeleteResponse| resp.diagnostics.error("Busy", "try later"))
            as DeleteFn,
        Arc::new(|_: &mut DeleteResponse| panic!("delete exploded")),
    ] {
        let s = server(with_resource(ClosureResource {
            delete: failing,
            ..Default::default()
        }))
        .await;
        let (state, _, _) = create(&s).await;
        let (after, diags, identity) = apply(&s, &state, &Value::Null, &Value::Null).await;
        assert_eq!(errors(&diags).len(), 1);
        assert_eq!(after, state, "nothing is lost");
        assert!(identity.is_some());
    }
}

#[tokio::test]
async fn read_keeps_gone_and_panics_apart() {
    let gone = ClosureResource {
        read: Arc::new(|resp| resp.gone("The test thing")),
        ..Default::default()
    };
    let s = server(with_resource(gone)).await;
    let (state, _, _) = create(&s).await;
    let ty = thing_ty(&s);
    let r = read(&s, &state).await;
    assert!(undv(r.new_state, &ty).is_null());
    assert!(r.diagnostics[0].summary.contains("no longer exists"));
    assert!(
        r.diagnostics[0]
            .detail
            .ends_with("this plan will create it again."),
        "{}",
        r.diagnostics[0].detail
    );

    let s = server(with_resource(ClosureResource {
        read: Arc::new(|resp| {
            resp.state.status = Some("CHANGED".into());
            panic!("read exploded")
        }),
        ..Default::default()
    }))
    .await;
    let r = read(&s, &state).await;
    assert_eq!(
        undv(r.new_state, &ty),
        state,
        "a panicking read changes nothing"
    );
    assert!(errors(&r.diagnostics)[0].contains("test_thing read panicked"));
}

#[tokio::test]
async fn import_checks_each_part_and_makes_no_call() {
    let r = ClosureResource {
        read: Arc::new(|_| panic!("import must not read")),
        ..Default::default()
    };
    let s = server(with_resource(r)).await;
    let import = |id: String| {
        let req = pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id,
            ..Default::default()
        };
        let fut = s.import_resource_state(Request::new(req));
        async move { fut.await.unwrap().into_inner() }
    };
    let ok = import(format!("{CLUSTER}/{ID}")).await;
    assert!(ok.diagnostics.is_empty());
    let imported = &ok.imported_resources[0];
    let state = undv(imported.state.clone(), &thing_ty(&s));
    assert_eq!(text(&state, "cluster_id"), Some(CLUSTER));
    assert_eq!(text(&state, "id"), Some(ID));
    assert!(imported.identity.is_some());

    let bad = import("not-an-id".into()).await;
    assert!(bad.imported_resources.is_empty());
    assert_eq!(
        bad.diagnostics[0].summary,
        "Invalid import ID for test_thing"
    );
    assert!(
        bad.diagnostics[0]
            .detail
            .contains("Expected <cluster_id>/<thing_id>, such as 2a4d0f86-67cd-408a-8b66-017454fb7793/2a4d0f86-67cd-408a-8b66-017454fb7793; got \"not-an-id\"."),
        "{}",
        bad.diagnostics[0].detail
    );
}

#[tokio::test]
async fn generated_config_holds_arguments_only() {
    let s = server(with_resource(ClosureResource::default())).await;
    let (mut state, _, _) = create(&s).await;
    let ty = thing_ty(&s);
    let generate = |state: &Value| {
        let req = pb::generate_resource_config::Request {
            type_name: "test_thing".into(),
            state: dv(state, &ty),
        };
        let fut = s.generate_resource_config(Request::new(req));
        async move { fut.await.unwrap().into_inner() }
    };
    let r = generate(&state).await;
    let config = undv(r.config, &ty);
    assert_eq!(text(&config, "cluster_id"), Some(CLUSTER));
    assert_eq!(text(&config, "name"), Some("one"));
    for gone in ["id", "status", "size", "timeouts", "note"] {
        assert!(
            config.get_attr(gone).unwrap().is_null(),
            "{gone} is left out"
        );
    }
    state.set_attr("note", Value::string("kept"));
    let config = undv(generate(&state).await.config, &ty);
    assert_eq!(
        text(&config, "note"),
        Some("kept"),
        "a non-default is an argument"
    );

    let meta = s
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(meta.server_capabilities.unwrap().generate_resource_config);
}

fn list_provider(
    n: usize,
    items: Arc<dyn Fn(usize) -> Option<Thing> + Send + Sync>,
) -> (TestProvider, Arc<AtomicUsize>) {
    let attempted = Arc::new(AtomicUsize::new(0));
    let p = TestProvider {
        resource: Some(ClosureResource::default()),
        list: Some(ClosureList {
            n,
            attempted: attempted.clone(),
            items,
        }),
        ..Default::default()
    };
    (p, attempted)
}

async fn list(
    s: &Server<TestProvider>,
    prefix: Option<&str>,
    include: bool,
    limit: i64,
) -> Vec<pb::list_resource::Event> {
    let ty = s.lists["test_thing"].entry.ty.clone();
    let mut c = Value::Object(Default::default());
    c.set_attr("prefix", prefix.map_or(Value::Null, Value::string));
    let stream = s
        .list_resource(Request::new(pb::list_resource::Request {
            type_name: "test_thing".into(),
            config: dv(&c, &ty),
            include_resource_object: include,
            limit,
        }))
        .await
        .unwrap()
        .into_inner();
    stream.map(|e| e.unwrap()).collect().await
}

#[tokio::test]
async fn a_list_streams_identities_and_stops_at_the_limit() {
    let (p, attempted) = list_provider(1000, Arc::new(|i| Some(thing(i))));
    let s = server(p).await;
    let events = list(&s, None, false, 3).await;
    assert_eq!(events.len(), 3);
    assert_eq!(
        attempted.load(Ordering::SeqCst),
        3,
        "the list stopped early"
    );
    let ity = s.lists["test_thing"].identity_ty.clone();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.display_name, format!("thing-{i}"));
        assert!(e.resource_object.is_none(), "not asked for");
        let id = super::convert::decode_dynamic(
            e.identity.as_ref().unwrap().identity_data.as_ref(),
            &ity,
            "id",
        )
        .unwrap();
        assert_eq!(text(&id, "cluster_id"), Some(CLUSTER));
        assert_eq!(text(&id, "id").map(str::len), Some(36));
    }

    let events = list(&s, Some("thing-1"), true, 0).await;
    assert_eq!(events.len(), 111, "thing-1, thing-10…19, thing-100…199");
    let object = undv(events[0].resource_object.clone(), &thing_ty(&s));
    assert_eq!(text(&object, "name"), Some("thing-1"));
    assert_eq!(text(&object, "status"), Some("OK"));
}

#[tokio::test]
async fn list_errors_and_panics_are_diagnostic_events() {
    let (p, _) = list_provider(
        4,
        Arc::new(|i| match i {
            1 => None,
            3 => panic!("list exploded"),
            _ => Some(thing(i)),
        }),
    );
    let s = server(p).await;
    let events = list(&s, None, false, 100).await;
    let shape: Vec<String> = events
        .iter()
        .map(|e| match e.diagnostic.first() {
            Some(d) => d.summary.clone(),
            None => e.display_name.clone(),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "thing-0",
            "cloud failed",
            "thing-2",
            "Internal error in hwsnap"
        ]
    );
}

/// The attribute names of a diagnostic's path.
fn path_names(d: &pb::Diagnostic) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    d.attribute
        .iter()
        .flat_map(|p| &p.steps)
        .filter_map(|s| match &s.selector {
            Some(Selector::AttributeName(n)) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

/// Terraform reads a list's diagnostics against the whole `list` block, so
/// their paths start at its `config` block.
#[tokio::test]
async fn list_diagnostics_point_into_the_config_block() {
    let (p, _) = list_provider(2, Arc::new(|i| (i == 0).then(|| thing(i))));
    let s = server(p).await;
    let ty = s.lists["test_thing"].entry.ty.clone();
    let mut c = Value::Object(Default::default());
    c.set_attr("prefix", Value::string(""));
    let r = s
        .validate_list_resource_config(Request::new(pb::validate_list_resource_config::Request {
            type_name: "test_thing".into(),
            config: dv(&c, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1, "{:?}", errors(&r.diagnostics));
    assert_eq!(r.diagnostics[0].summary, "Invalid value for prefix");
    assert_eq!(path_names(&r.diagnostics[0]), ["config", "prefix"]);

    let events = list(&s, None, false, 100).await;
    let failed = &events[1].diagnostic[0];
    assert_eq!(failed.summary, "cloud failed");
    assert_eq!(path_names(failed), ["config", "prefix"]);
}

#[test]
fn a_list_needs_its_resource_with_an_identity() {
    let (mut p, _) = list_provider(1, Arc::new(|i| Some(thing(i))));
    p.resource = None;
    let e = Server::try_new(p).err().unwrap();
    assert!(
        e.to_string()
            .contains("list resource test_thing needs the resource test_thing"),
        "{e}"
    );
}

#[tokio::test]
async fn a_data_source_reads_typed_config_into_typed_state() {
    let s = server(TestProvider {
        data: true,
        ..Default::default()
    })
    .await;
    let ty = s.data_sources["test_lookup"].ty.clone();
    let read = |name: &str| {
        let mut c = Value::Object(Default::default());
        c.set_attr("name", Value::string(name));
        let req = pb::read_data_source::Request {
            type_name: "test_lookup".into(),
            config: dv(&c, &ty),
            ..Default::default()
        };
        let fut = s.read_data_source(Request::new(req));
        async move { fut.await.unwrap().into_inner() }
    };
    let r = read("abc").await;
    assert!(r.diagnostics.is_empty());
    let state = undv(r.state, &ty);
    assert_eq!(text(&state, "id"), Some("id-of-abc"));
    assert_eq!(text(&state, "name"), Some("abc"));

    let r = read("panic").await;
    assert!(undv(r.state, &ty).is_null());
    assert!(errors(&r.diagnostics)[0].contains("test_lookup read panicked (lookup exploded)"));

    let schema = s
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(schema.data_source_schemas.contains_key("test_lookup"));
    let other = s
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "test_other".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        other.diagnostics[0]
            .detail
            .contains("This provider serves test_lookup.")
    );
}

fn steps(messages: &[&str], then: &str) -> Value {
    let mut c = Value::Object(Default::default());
    c.set_attr(
        "messages",
        Value::List(messages.iter().map(|m| Value::string(*m)).collect()),
    );
    c.set_attr("then", Value::string(then));
    c.set_attr("timeout_seconds", Value::Null);
    c
}

fn action_server_provider() -> (TestProvider, Arc<AtomicUsize>) {
    let plans = Arc::new(AtomicUsize::new(0));
    let p = TestProvider {
        action: Some(plans.clone()),
        ..Default::default()
    };
    (p, plans)
}

/// Invokes `test_run` with `config`: each event as `progress: …` or
/// `completed: [errors]`.
async fn invoke(s: &Server<TestProvider>, config: &Value) -> Vec<String> {
    let ty = s.actions["test_run"].ty.clone();
    let stream = s
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "test_run".into(),
            config: dv(config, &ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    use pb::invoke_action::event::Type as E;
    stream
        .map(|e| match e.unwrap().r#type {
            Some(E::Progress(p)) => format!("progress: {}", p.message),
            Some(E::Completed(c)) => format!("completed: {:?}", errors(&c.diagnostics)),
            None => "empty".into(),
        })
        .collect()
        .await
}

#[tokio::test]
async fn an_action_streams_progress_then_completes() {
    let (p, plans) = action_server_provider();
    let s = server(p).await;
    assert_eq!(
        invoke(&s, &steps(&["one", "two"], "ok")).await,
        ["progress: one", "progress: two", "completed: []"]
    );
    assert_eq!(
        invoke(&s, &steps(&["one"], "fail")).await,
        ["progress: one", "completed: [\"it failed: as asked\"]"]
    );
    let panicked = invoke(&s, &steps(&[], "panic")).await;
    assert_eq!(panicked.len(), 1);
    assert!(
        panicked[0].contains("test_run invoke panicked (action exploded)"),
        "{panicked:?}"
    );

    // Plan checks a known configuration, and skips an unknown one.
    let ty = s.actions["test_run"].ty.clone();
    let plan = |config: Value| {
        let req = pb::plan_action::Request {
            action_type: "test_run".into(),
            config: dv(&config, &ty),
            client_capabilities: None,
        };
        let fut = s.plan_action(Request::new(req));
        async move { fut.await.unwrap().into_inner() }
    };
    assert_eq!(
        errors(&plan(steps(&[], "fail")).await.diagnostics),
        ["would fail: planned to fail"]
    );
    let mut unknown = steps(&[], "fail");
    unknown.set_attr("then", Value::unknown());
    assert!(plan(unknown).await.diagnostics.is_empty());
    assert_eq!(plans.load(Ordering::SeqCst), 1, "not called while unknown");

    let schema = s
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(schema.action_schemas["test_run"].schema.is_some());
    let meta = s
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.actions[0].type_name, "test_run");
}

#[tokio::test]
async fn an_action_may_take_its_timeout_from_its_configuration() {
    let (p, _) = action_server_provider();
    let s = server(p).await;
    assert_eq!(
        invoke(&s, &steps(&[], "deadline")).await,
        ["progress: timeout None, None s left", "completed: []"]
    );
    let mut bounded = steps(&[], "deadline");
    bounded.set_attr("timeout_seconds", Value::from(90));
    let events = invoke(&s, &bounded).await;
    assert!(
        events[0] == "progress: timeout Some((\"invoke\", 90s)), Some(89) s left"
            || events[0] == "progress: timeout Some((\"invoke\", 90s)), Some(90) s left",
        "{events:?}"
    );
}

#[tokio::test]
async fn stop_provider_ends_an_invoke_promptly() {
    let (p, _) = action_server_provider();
    let s = Arc::new(server(p).await);
    for (then, want) in [
        ("wait", "cancelled: stopped as asked"),
        ("hang", "Stopped test_run"),
    ] {
        let stopper = s.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            stopper
                .stop_provider(Request::new(pb::stop_provider::Request {}))
                .await
                .unwrap();
        });
        let start = std::time::Instant::now();
        let events = invoke(&s, &steps(&["started"], then)).await;
        let took = start.elapsed();
        assert_eq!(events[0], "progress: started");
        assert!(events[1].contains(want), "{then}: {events:?}");
        // Nothing but the completed event after StopProvider: an
        // interrupted Terraform crashes on a second event.
        assert_eq!(events.len(), 2, "{then}: {events:?}");
        assert!(
            took < Duration::from_millis(200)
                + super::action_rpcs::GRACE
                + Duration::from_millis(500),
            "{then}: took {took:?}"
        );
    }
}

crate::model! {
    /// A model whose required attribute is an Option.
    pub struct Wrong {
        /// Should be plain.
        name: Option<String> = required(),
        /// The ID.
        id: Option<String> = computed(),
    }
}

struct WrongResource;

#[async_trait::async_trait]
impl Resource<()> for WrongResource {
    type Model = Wrong;
    const TYPE_NAME: &'static str = "test_wrong";
    const TIMEOUTS: &'static [Timeout] = &[Timeout {
        operation: "invoke",
        default: Duration::from_secs(1),
    }];

    async fn create(
        &self,
        _: &Ctx<'_, ()>,
        _: CreateRequest<Wrong>,
        _: &mut CreateResponse<Wrong>,
    ) {
    }
    async fn read(&self, _: &Ctx<'_, ()>, _: ReadRequest<Wrong>, _: &mut ReadResponse<Wrong>) {}
    async fn delete(&self, _: &Ctx<'_, ()>, _: DeleteRequest<Wrong>, _: &mut DeleteResponse) {}

    fn import(&self) -> Option<Import> {
        Some(import::passthrough(uuid("identifier")))
    }
}

struct WrongProvider;

#[async_trait::async_trait]
impl Provider for WrongProvider {
    type Data = ();
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new("p"))
    }
    async fn configure(&self, _: &Value, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }
    fn register(&self, types: &mut Registry<()>) {
        types.resource(WrongResource).resource(WrongResource);
    }
}

#[test]
fn start_up_finds_what_the_compiler_cannot() {
    let e = Server::try_new(WrongProvider).err().unwrap();
    let problems = e.0.join("\n");
    for want in [
        "test_wrong.name is required but declared as an Option",
        "test_wrong declares a timeout for \"invoke\"",
        "test_wrong imports into \"identifier\", which it does not have",
        "resource test_wrong is registered twice",
    ] {
        assert!(problems.contains(want), "{want}:\n{problems}");
    }
}

#[test]
fn doc_pages_cover_every_kind() {
    let (mut p, _) = list_provider(1, Arc::new(|i| Some(thing(i))));
    p.data = true;
    p.action = Some(Arc::default());
    let s = Server::new(p);
    let paths: Vec<String> = s.doc_pages().into_iter().map(|p| p.path).collect();
    assert_eq!(
        paths,
        [
            "docs/index.md",
            "docs/resources/test_thing.md",
            "docs/data-sources/test_lookup.md",
            "docs/list-resources/test_thing.md",
            "docs/actions/test_run.md",
        ]
    );
    let action = &s.doc_pages()[4].generated;
    assert!(
        action.contains("- `messages` (List of String, Required) Progress messages to send."),
        "{action}"
    );
}

// Private state and moves.

const SEEN: Key = Key::new("seen");
const ZONE: Key = Key::new("zone");

/// Private state as the official Go SDK writes it: a move must not carry it.
const SDK_PRIVATE: &[u8] =
    br#"{"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0":{"create":600000000000},"schema_version":"0"}"#;

fn private_of(bytes: &[u8]) -> Private {
    Private::from_bytes(bytes)
}

#[tokio::test]
async fn private_state_goes_from_read_to_plan_to_apply() {
    let s = server(with_resource(ClosureResource {
        create: Arc::new(|resp| {
            resp.state.id = Some(ID.into());
            resp.state.status = Some("OK".into());
            resp.state.size = Some(Number::from(3i64));
            resp.state.note = Some("*".into());
            resp.private.set(ZONE, "made-here");
        }),
        read: Arc::new(|resp| {
            let n: u32 = resp.private.get(SEEN).map_or(0, |n| n.parse().unwrap());
            resp.private.set(SEEN, (n + 1).to_string());
        }),
        ..Default::default()
    }))
    .await;
    let ty = thing_ty(&s);

    // A create stores what the resource put in its private state.
    let c = config(&s);
    let planned = undv(plan(&s, &Value::Null, &c).await.planned_state, &ty);
    let created = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: dv(&planned, &ty),
            config: dv(&c, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(private_of(&created.private).get(ZONE), Some("made-here"));
    let state = undv(created.new_state, &ty);

    // A read gets the stored private state and returns what it made of it.
    let read = read_private(&s, &state, &created.private).await;
    let after_read = private_of(&read.private);
    assert_eq!(after_read.get(SEEN), Some("1"));
    assert_eq!(
        after_read.get(ZONE),
        Some("made-here"),
        "other entries stay"
    );
    let read_again = read_private(&s, &state, &read.private).await;
    assert_eq!(private_of(&read_again.private).get(SEEN), Some("2"));

    // A plan keeps the prior private state; an in-place update starts from it.
    let mut changed = config(&s);
    changed.set_attr(
        "timeouts",
        Value::Object(
            [
                ("create".into(), Value::string("5m")),
                ("delete".into(), Value::Null),
            ]
            .into(),
        ),
    );
    let proposed = {
        let mut p = state.clone();
        p.set_attr("timeouts", changed.get_attr("timeouts").unwrap().clone());
        p
    };
    let planned = s
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dv(&state, &ty),
            proposed_new_state: dv(&proposed, &ty),
            config: dv(&changed, &ty),
            prior_private: read.private.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(planned.planned_private, read.private);
    let updated = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dv(&state, &ty),
            planned_state: planned.planned_state,
            config: dv(&changed, &ty),
            planned_private: planned.planned_private.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&updated.diagnostics).is_empty());
    assert_eq!(updated.private, read.private, "the update kept it");

    // A destroy leaves none.
    let destroyed = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dv(&state, &ty),
            planned_state: dv(&Value::Null, &ty),
            config: dv(&Value::Null, &ty),
            planned_private: read.private.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(destroyed.private.is_empty());
}

#[tokio::test]
async fn a_panicking_read_keeps_the_stored_private_state() {
    let s = server(with_resource(ClosureResource {
        read: Arc::new(|resp| {
            resp.private.set(SEEN, "changed");
            panic!("read exploded")
        }),
        ..Default::default()
    }))
    .await;
    let (state, _, _) = create(&s).await;
    let r = read_private(&s, &state, SDK_PRIVATE).await;
    assert_eq!(r.private, SDK_PRIVATE);
}

crate::model! {
    /// The vendor's `vendor_thing`, as far as a move reads it.
    pub struct VendorThing {
        /// Its ID.
        id: String = required(),
        /// Its cluster.
        cluster: String = required(),
        /// Its title.
        title: Option<String> = optional(),
        /// Where it lives.
        zone: Option<String> = optional(),
    }
}

const VENDOR: ProviderName = ProviderName::new("vendor", "vendor");
const ALL: ProviderName = ProviderName::new("example", "all");

fn from_vendor(req: MoveRequest<VendorThing>, resp: &mut MoveResponse<Thing>) {
    let v = req.source;
    resp.state.id = Some(v.id);
    resp.state.cluster_id = v.cluster;
    resp.state.name = v.title.unwrap_or_default();
    if let Some(zone) = v.zone {
        resp.private.set(ZONE, zone);
    }
}

fn movable(map: fn(MoveRequest<VendorThing>, &mut MoveResponse<Thing>)) -> TestProvider {
    with_resource(ClosureResource {
        moves: Arc::new(move || {
            vec![
                MoveSource::same_type(ALL),
                MoveSource::from(VENDOR, "vendor_thing", map),
            ]
        }),
        ..Default::default()
    })
}

async fn move_state(
    s: &Server<TestProvider>,
    provider: &str,
    type_name: &str,
    version: i64,
    json: &[u8],
    private: &[u8],
) -> pb::move_resource_state::Response {
    s.move_resource_state(Request::new(pb::move_resource_state::Request {
        source_provider_address: provider.into(),
        source_type_name: type_name.into(),
        source_schema_version: version,
        source_state: Some(pb::RawState {
            json: json.to_vec(),
            flatmap: Default::default(),
        }),
        target_type_name: "test_thing".into(),
        source_private: private.to_vec(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn capability(s: &Server<TestProvider>) -> bool {
    let m = s
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    let schema = s
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let from_metadata = m.server_capabilities.unwrap().move_resource_state;
    assert_eq!(
        from_metadata,
        schema.server_capabilities.unwrap().move_resource_state
    );
    from_metadata
}

#[tokio::test]
async fn a_move_maps_the_source_whatever_its_version_and_other_attributes() {
    let s = server(movable(from_vendor)).await;
    assert!(capability(&s).await);
    let json = format!(
        r#"{{"id":"{ID}","cluster":"{CLUSTER}","title":"one","zone":"z-1","size":1.25,
            "timeouts":{{"create":"5m"}},"tags":{{"a":"b"}},"legacy":[1,2]}}"#
    );
    let r = move_state(
        &s,
        "registry.terraform.io/vendor/vendor",
        "vendor_thing",
        7,
        json.as_bytes(),
        SDK_PRIVATE,
    )
    .await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let state = undv(r.target_state, &thing_ty(&s));
    assert_eq!(text(&state, "id"), Some(ID));
    assert_eq!(text(&state, "cluster_id"), Some(CLUSTER));
    assert_eq!(text(&state, "name"), Some("one"));
    for computed in ["status", "size", "note", "timeouts"] {
        assert!(state.get_attr(computed).unwrap().is_null(), "{computed}");
    }
    let identity = r.target_identity.unwrap().identity_data.unwrap();
    let ity = Type::object([("cluster_id", Type::String), ("id", Type::String)]);
    let identity = super::convert::decode_dynamic(Some(&identity), &ity, "identity").unwrap();
    assert_eq!(
        text(&identity, "id"),
        Some(ID),
        "derived from the moved state"
    );
    assert_eq!(text(&identity, "cluster_id"), Some(CLUSTER));
    let private = private_of(&r.target_private);
    assert_eq!(private.get(ZONE), Some("z-1"));
    assert_eq!(
        private.get(Key::new("schema_version")),
        None,
        "the source's private state stays behind"
    );

    // Short forms of the address, and no private entry at all.
    for address in [
        "vendor/vendor",
        "vendor",
        "mirror.example.com/Vendor/Vendor",
    ] {
        let json = format!(r#"{{"id":"{ID}","cluster":"{CLUSTER}"}}"#);
        let r = move_state(&s, address, "vendor_thing", 0, json.as_bytes(), b"").await;
        assert!(r.diagnostics.is_empty(), "{address}: {:?}", r.diagnostics);
        assert!(r.target_private.is_empty());
        let state = undv(r.target_state, &thing_ty(&s));
        assert_eq!(text(&state, "name"), Some(""), "left for the next read");
    }
}

#[tokio::test]
async fn a_move_without_a_needed_attribute_names_it_and_the_source() {
    let s = server(movable(from_vendor)).await;
    let json = format!(r#"{{"id":"{ID}","title":"one","cluster":""}}"#);
    let r = move_state(&s, "vendor/vendor", "vendor_thing", 0, json.as_bytes(), b"").await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("Cannot move vendor_thing into test_thing: no cluster: "),
        "{}",
        errs[0]
    );
    assert!(errs[0].contains(&format!("The vendor_thing with id \"{ID}\" has no cluster")));
    assert!(r.target_state.is_none() && r.target_identity.is_none());

    let json = format!(r#"{{"cluster":"{CLUSTER}","id":null}}"#);
    let r = move_state(&s, "vendor/vendor", "vendor_thing", 0, json.as_bytes(), b"").await;
    let errs = errors(&r.diagnostics);
    assert!(
        errs[0].starts_with(
            "Cannot move vendor_thing into test_thing: no id: This vendor_thing has no id"
        ),
        "{errs:?}"
    );

    let r = move_state(
        &s,
        "vendor/vendor",
        "vendor_thing",
        0,
        br#"{"id":["x"]}"#,
        b"",
    )
    .await;
    let errs = errors(&r.diagnostics);
    assert!(
        errs[0].starts_with("Unreadable vendor_thing state"),
        "{errs:?}"
    );
    let r = move_state(&s, "vendor/vendor", "vendor_thing", 0, b"", b"").await;
    assert!(errors(&r.diagnostics)[0].contains("flatmap"));
}

#[tokio::test]
async fn moves_from_anything_else_are_refused_naming_what_is_accepted() {
    let s = server(movable(from_vendor)).await;
    let json = format!(r#"{{"id":"{ID}","cluster":"{CLUSTER}"}}"#);
    for (provider, type_name) in [
        ("registry.terraform.io/vendor/vendor", "vendor_other"),
        ("registry.terraform.io/hashicorp/vendor", "vendor_thing"),
        ("registry.terraform.io/vendor/vendorstack", "vendor_thing"),
        ("registry.terraform.io/vendor/vendor", "test_thing"),
    ] {
        let r = move_state(&s, provider, type_name, 0, json.as_bytes(), b"").await;
        let errs = errors(&r.diagnostics);
        assert_eq!(errs.len(), 1, "{provider} {type_name}: {errs:?}");
        let e = &errs[0];
        assert!(
            e.starts_with(&format!("Cannot move {type_name} into test_thing: ")),
            "{e}"
        );
        assert!(
            e.contains("only from `test_thing` of example/all, `vendor_thing` of vendor/vendor"),
            "{e}"
        );
        assert!(e.contains(&format!("`{type_name}` of {provider}")), "{e}");
        assert!(r.target_state.is_none());
    }

    let plain = server(with_resource(ClosureResource::default())).await;
    assert!(!capability(&plain).await, "no type accepts moves");
    let r = move_state(
        &plain,
        "vendor/vendor",
        "vendor_thing",
        0,
        json.as_bytes(),
        b"",
    )
    .await;
    assert!(errors(&r.diagnostics)[0].contains("test_thing does not accept moves"));
}

#[tokio::test]
async fn same_type_moves_pass_state_and_private_state_through() {
    let s = server(movable(from_vendor)).await;
    let (state, _, _) = create(&s).await;
    let ty = thing_ty(&s);
    let json = hwsnap_cty::json::encode(&state, &ty).unwrap();
    let private = br#"{"seen":"4"}"#;
    let r = move_state(
        &s,
        "registry.terraform.io/example/all",
        "test_thing",
        0,
        &json,
        private,
    )
    .await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(undv(r.target_state, &ty), state, "unchanged");
    assert_eq!(r.target_private, private);
    assert!(r.target_identity.is_some());

    let r = move_state(&s, "example/all", "test_thing", 1, &json, private).await;
    let errs = errors(&r.diagnostics);
    assert!(
        errs[0].contains("schema version 1, but this provider knows version 0"),
        "{errs:?}"
    );
}

#[tokio::test]
async fn a_mapping_that_sets_no_id_or_panics_is_an_error() {
    let json = format!(r#"{{"id":"{ID}","cluster":"{CLUSTER}"}}"#);
    let s = server(movable(|_, resp| resp.state.name = "one".into())).await;
    let r = move_state(&s, "vendor/vendor", "vendor_thing", 0, json.as_bytes(), b"").await;
    let errs = errors(&r.diagnostics);
    assert!(
        errs[0].starts_with("Cannot move vendor_thing into test_thing: no ID"),
        "{errs:?}"
    );
    assert!(r.target_state.is_none());

    let s = server(movable(|_, _| panic!("mapping exploded"))).await;
    let r = move_state(&s, "vendor/vendor", "vendor_thing", 0, json.as_bytes(), b"").await;
    let errs = errors(&r.diagnostics);
    assert!(
        errs[0].contains("test_thing move from vendor_thing panicked (mapping exploded)"),
        "{errs:?}"
    );

    let s = server(movable(|_, resp| {
        resp.state.id = Some(ID.into());
        resp.diagnostics.error("Refused", "not this one");
    }))
    .await;
    let r = move_state(&s, "vendor/vendor", "vendor_thing", 0, json.as_bytes(), b"").await;
    assert_eq!(errors(&r.diagnostics), ["Refused: not this one"]);
    assert!(r.target_state.is_none());
}

crate::model! {
    /// A source model declared wrongly.
    pub struct WrongSource {
        id: String = required(),
    }
}

#[test]
fn start_up_checks_move_sources() {
    let p = with_resource(ClosureResource {
        moves: Arc::new(|| {
            vec![
                MoveSource::from(VENDOR, "vendor_thing", from_vendor),
                MoveSource::from(VENDOR, "vendor_thing", |_: MoveRequest<WrongSource>, _| {}),
            ]
        }),
        ..Default::default()
    });
    let problems = Server::try_new(p).err().unwrap().0.join("\n");
    for want in [
        "test_thing move source vendor_thing.id has no doc comment",
        "test_thing lists the move source `vendor_thing` of vendor/vendor twice",
    ] {
        assert!(problems.contains(want), "{want}:\n{problems}");
    }
}
