//! The emulated cloud's own data: [`Cluster`], [`Snapshot`] (manual or
//! automatic, [`SnapshotType`]), [`SnapshotStatus`], a CSS [`Restore`] and
//! its [`RestoreStatus`], plus the rules of the API reference
//! ([`validate_dws_create`], [`validate_css_create`],
//! [`validate_css_restore`]). Times are epoch milliseconds so the persisted
//! state is plain JSON; statuses are computed lazily from them.

use serde::{Deserialize, Serialize};

/// Which service a cluster or snapshot belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// GaussDB(DWS).
    Dws,
    /// Cloud Search Service.
    Css,
}

impl Service {
    /// The status a finished, successful snapshot of this service reports.
    pub fn done_status(self) -> SnapshotStatus {
        match self {
            Service::Dws => SnapshotStatus::Available,
            Service::Css => SnapshotStatus::Completed,
        }
    }
}

/// An emulated cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// Cluster UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// DWS or CSS.
    pub service: Service,
}

/// Every status either service reports for a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SnapshotStatus {
    /// DWS: being made.
    Creating,
    /// DWS: done.
    Available,
    /// DWS: failed.
    Unavailable,
    /// DWS: frozen.
    Frozen,
    /// DWS: frozen by the police.
    PoliceFrozen,
    /// CSS: being made.
    Building,
    /// CSS: done.
    Completed,
    /// CSS (and forced on DWS): failed.
    Failed,
    /// CSS: some shards failed.
    PartFailed,
}

impl SnapshotStatus {
    /// Whether a snapshot in this status blocks another create on its cluster.
    pub fn in_progress(self) -> bool {
        matches!(self, SnapshotStatus::Creating | SnapshotStatus::Building)
    }

    /// The wire spelling, e.g. `AVAILABLE`.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotStatus::Creating => "CREATING",
            SnapshotStatus::Available => "AVAILABLE",
            SnapshotStatus::Unavailable => "UNAVAILABLE",
            SnapshotStatus::Frozen => "FROZEN",
            SnapshotStatus::PoliceFrozen => "POLICE_FROZEN",
            SnapshotStatus::Building => "BUILDING",
            SnapshotStatus::Completed => "COMPLETED",
            SnapshotStatus::Failed => "FAILED",
            SnapshotStatus::PartFailed => "PART_FAILED",
        }
    }
}

/// How a snapshot came to be: by hand, or by the cluster's snapshot policy.
/// DWS spells an automatic snapshot's `type` `AUTO` (SDK 3.1.219) or
/// `AUTOMATED` (some console pages); both are kept so clients can be tested
/// against either. CSS reports any automatic one as `backupType` `"0"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnapshotType {
    /// Made by a create call (or by hand).
    #[default]
    #[serde(rename = "MANUAL", alias = "manual")]
    Manual,
    /// Made by the snapshot policy; DWS `type` `AUTO`.
    #[serde(rename = "AUTO", alias = "auto")]
    Auto,
    /// Made by the snapshot policy; DWS `type` `AUTOMATED`.
    #[serde(rename = "AUTOMATED", alias = "automated")]
    Automated,
}

impl SnapshotType {
    /// Whether the snapshot policy made it.
    pub fn is_automatic(self) -> bool {
        self != SnapshotType::Manual
    }

    /// The DWS `type` spelling.
    pub fn dws_str(self) -> &'static str {
        match self {
            SnapshotType::Manual => "MANUAL",
            SnapshotType::Auto => "AUTO",
            SnapshotType::Automated => "AUTOMATED",
        }
    }
}

/// Where a CSS restore stands, as the list's `restoreStatus` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestoreStatus {
    /// Never restored.
    None,
    /// A restore is running.
    Restoring,
    /// The last restore succeeded.
    Success,
    /// The last restore failed.
    Failed,
}

impl RestoreStatus {
    /// The wire spelling, e.g. `restoring`.
    pub fn as_str(self) -> &'static str {
        match self {
            RestoreStatus::None => "none",
            RestoreStatus::Restoring => "restoring",
            RestoreStatus::Success => "success",
            RestoreStatus::Failed => "failed",
        }
    }
}

/// The last restore of a CSS snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    /// The cluster restored into.
    pub target_cluster: String,
    /// Indices asked for (empty means all).
    pub indices: String,
    /// `rename_pattern`, when given.
    pub rename_pattern: Option<String>,
    /// `rename_replacement`, when given.
    pub rename_replacement: Option<String>,
    /// `replace_exist_indices`.
    pub replace_exist_indices: bool,
    /// When it was accepted (epoch ms).
    pub started_ms: i64,
    /// When it ends (epoch ms).
    pub ready_ms: i64,
    /// `Success` or `Failed`, reported from `ready_ms` on.
    pub outcome: RestoreStatus,
}

impl Restore {
    /// The status at `now_ms`.
    pub fn status(&self, now_ms: i64) -> RestoreStatus {
        if now_ms < self.ready_ms {
            RestoreStatus::Restoring
        } else {
            self.outcome
        }
    }
}

/// An emulated DWS or CSS snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Snapshot UUID.
    pub id: String,
    /// Name as requested.
    pub name: String,
    /// Description as requested (empty when none).
    pub description: String,
    /// Owning cluster.
    pub cluster_id: String,
    /// DWS or CSS.
    pub service: Service,
    /// CSS: the indices as requested (empty means all).
    #[serde(default)]
    pub indices: String,
    /// When the create was accepted (epoch ms).
    pub started_ms: i64,
    /// When the snapshot leaves CREATING/BUILDING (epoch ms).
    pub ready_ms: i64,
    /// Status after `ready_ms`.
    pub outcome: SnapshotStatus,
    /// A status forced through the control API; wins over the lifecycle.
    #[serde(default)]
    pub forced: Option<SnapshotStatus>,
    /// Manual or automatic.
    #[serde(default)]
    pub kind: SnapshotType,
    /// CSS: the last restore, if any.
    #[serde(default)]
    pub restore: Option<Restore>,
}

impl Snapshot {
    /// The status at `now_ms`.
    pub fn status(&self, now_ms: i64) -> SnapshotStatus {
        if let Some(forced) = self.forced {
            return forced;
        }
        if now_ms < self.ready_ms {
            match self.service {
                Service::Dws => SnapshotStatus::Creating,
                Service::Css => SnapshotStatus::Building,
            }
        } else {
            self.outcome
        }
    }

    /// When it finished (epoch ms), or `None` while in progress.
    pub fn finished_ms(&self, now_ms: i64) -> Option<i64> {
        if self.status(now_ms).in_progress() {
            None
        } else {
            Some(self.ready_ms.min(now_ms).max(self.started_ms))
        }
    }

    /// Completion percentage, 0..=100.
    pub fn progress(&self, now_ms: i64) -> u8 {
        if !self.status(now_ms).in_progress() {
            return 100;
        }
        let total = (self.ready_ms - self.started_ms).max(1);
        let done = (now_ms - self.started_ms).clamp(0, total);
        u8::try_from(done * 99 / total).unwrap_or(99)
    }

    /// CSS: the indices reported back. An empty request means all indices and
    /// is reported as `*`.
    pub fn reported_indices(&self) -> &str {
        if self.indices.is_empty() {
            "*"
        } else {
            &self.indices
        }
    }

    /// CSS: shard count reported (5 per named index, 15 for `*`).
    pub fn total_shards(&self) -> i64 {
        let n = self.reported_indices().split(',').count();
        let n = if self.reported_indices() == "*" { 3 } else { n };
        i64::try_from(n).unwrap_or(1) * 5
    }

    /// CSS: the `restoreStatus` at `now_ms`.
    pub fn restore_status(&self, now_ms: i64) -> RestoreStatus {
        self.restore
            .as_ref()
            .map_or(RestoreStatus::None, |r| r.status(now_ms))
    }

    /// CSS: whether a restore of this snapshot is running at `now_ms`.
    pub fn restoring(&self, now_ms: i64) -> bool {
        self.restore_status(now_ms) == RestoreStatus::Restoring
    }

    /// CSS: failed shard count for the current status.
    pub fn failed_shards(&self, now_ms: i64) -> i64 {
        match self.status(now_ms) {
            SnapshotStatus::Failed | SnapshotStatus::Unavailable => self.total_shards(),
            SnapshotStatus::PartFailed => 1,
            _ => 0,
        }
    }
}

/// Why a create request was refused by the service's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// A required field is absent.
    #[error("{0} is required")]
    Missing(&'static str),
    /// The name breaks length/charset/first-letter rules.
    #[error("invalid snapshot name: {0}")]
    Name(&'static str),
    /// The description is too long or has forbidden characters.
    #[error("invalid description: {0}")]
    Description(&'static str),
    /// The indices string is malformed.
    #[error("invalid indices: {0}")]
    Indices(&'static str),
    /// Another snapshot of the cluster has this name.
    #[error("snapshot name already exists in the cluster")]
    Duplicate,
    /// A restore's rename rule is malformed.
    #[error(
        "invalid {0}: at most 1024 characters, no spaces, uppercase letters or any of \"\\<|>/?,"
    )]
    Rename(&'static str),
}

fn check_name(name: &str, lowercase_only: bool) -> Result<(), RuleViolation> {
    let len = name.chars().count();
    if !(4..=64).contains(&len) {
        return Err(RuleViolation::Name("must be 4 to 64 characters"));
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || (!lowercase_only && c.is_ascii_uppercase()));
    if !first_ok {
        return Err(RuleViolation::Name("must start with a letter"));
    }
    let ok = name.chars().all(|c| {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || c == '-'
            || c == '_'
            || (!lowercase_only && c.is_ascii_uppercase())
    });
    if !ok {
        return Err(if lowercase_only {
            RuleViolation::Name("only lowercase letters, digits, '-' and '_' are allowed")
        } else {
            RuleViolation::Name("only letters, digits, '-' and '_' are allowed")
        });
    }
    Ok(())
}

fn check_description(description: &str) -> Result<(), RuleViolation> {
    if description.chars().count() > 256 {
        return Err(RuleViolation::Description("at most 256 characters"));
    }
    if description.chars().any(|c| "!<>'=&\"".contains(c)) {
        return Err(RuleViolation::Description(
            "must not contain any of !<>'=&\"",
        ));
    }
    Ok(())
}

/// DWS create rules: name 4–64, starts with a letter, letters/digits/`-`/`_`,
/// unique per cluster case-insensitively; description ≤ 256 without `!<>'=&"`.
pub fn validate_dws_create<'a>(
    name: &str,
    description: &str,
    existing_names: impl IntoIterator<Item = &'a str>,
) -> Result<(), RuleViolation> {
    check_name(name, false)?;
    check_description(description)?;
    if existing_names
        .into_iter()
        .any(|n| n.eq_ignore_ascii_case(name))
    {
        return Err(RuleViolation::Duplicate);
    }
    Ok(())
}

/// CSS create rules: name 4–64, starts with a lowercase letter, lowercase
/// letters/digits/`-`/`_`, unique per cluster; description ≤ 256 without
/// `!<>=&"'`; indices ≤ 1024, comma separated, no empty item, no spaces, no
/// uppercase, none of `"\<|>/?`.
pub fn validate_css_create<'a>(
    name: &str,
    description: &str,
    indices: &str,
    existing_names: impl IntoIterator<Item = &'a str>,
) -> Result<(), RuleViolation> {
    check_name(name, true)?;
    check_description(description)?;
    check_indices(indices)?;
    if existing_names.into_iter().any(|n| n == name) {
        return Err(RuleViolation::Duplicate);
    }
    Ok(())
}

fn check_indices(indices: &str) -> Result<(), RuleViolation> {
    if indices.chars().count() > 1024 {
        return Err(RuleViolation::Indices("at most 1024 characters"));
    }
    if indices
        .chars()
        .any(|c| c.is_whitespace() || c.is_uppercase() || "\"\\<|>/?".contains(c))
    {
        return Err(RuleViolation::Indices(
            "no spaces, uppercase letters or any of \"\\<|>/?",
        ));
    }
    if !indices.is_empty() && indices.split(',').any(str::is_empty) {
        return Err(RuleViolation::Indices("empty index name in the list"));
    }
    Ok(())
}

/// CSS restore rules: `indices` as for a create; `rename_pattern` and
/// `rename_replacement` 0–1024 characters without spaces, uppercase letters
/// or any of `"\<|>/?,` (the API takes effect only when both are given, so
/// one alone is accepted and ignored).
pub fn validate_css_restore(
    indices: &str,
    rename_pattern: Option<&str>,
    rename_replacement: Option<&str>,
) -> Result<(), RuleViolation> {
    check_indices(indices)?;
    for (field, value) in [
        ("rename_pattern", rename_pattern),
        ("rename_replacement", rename_replacement),
    ] {
        let Some(value) = value else { continue };
        if value.chars().count() > 1024
            || value
                .chars()
                .any(|c| c.is_whitespace() || c.is_uppercase() || "\"\\<|>/?,".contains(c))
        {
            return Err(RuleViolation::Rename(field));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(service: Service) -> Snapshot {
        Snapshot {
            id: "i".into(),
            name: "n".into(),
            description: String::new(),
            cluster_id: "c".into(),
            service,
            indices: String::new(),
            started_ms: 1_000,
            ready_ms: 3_000,
            outcome: SnapshotStatus::Available,
            forced: None,
            kind: SnapshotType::Manual,
            restore: None,
        }
    }

    #[test]
    fn lifecycle_is_computed_from_time() {
        let s = snap(Service::Dws);
        assert_eq!(s.status(1_500), SnapshotStatus::Creating);
        assert_eq!(s.finished_ms(1_500), None);
        assert_eq!(s.progress(2_000), 49);
        assert_eq!(s.status(3_000), SnapshotStatus::Available);
        assert_eq!(s.finished_ms(9_000), Some(3_000));
        assert_eq!(s.progress(3_000), 100);
        assert_eq!(snap(Service::Css).status(1_500), SnapshotStatus::Building);
        let forced = Snapshot {
            forced: Some(SnapshotStatus::Failed),
            ..s
        };
        assert_eq!(forced.status(1_500), SnapshotStatus::Failed);
    }

    #[test]
    fn css_indices_and_shards() {
        let mut s = snap(Service::Css);
        assert_eq!(s.reported_indices(), "*");
        assert_eq!(s.total_shards(), 15);
        s.indices = "a,b".into();
        assert_eq!(s.total_shards(), 10);
        s.forced = Some(SnapshotStatus::PartFailed);
        assert_eq!(s.failed_shards(0), 1);
    }

    #[test]
    fn dws_rules() {
        assert_eq!(validate_dws_create("Snap-1_a", "ok", []), Ok(()));
        assert!(matches!(
            validate_dws_create("abc", "", []),
            Err(RuleViolation::Name(_))
        ));
        assert!(matches!(
            validate_dws_create(&"a".repeat(65), "", []),
            Err(RuleViolation::Name(_))
        ));
        assert_eq!(validate_dws_create(&"a".repeat(64), "", []), Ok(()));
        assert!(matches!(
            validate_dws_create("1abc", "", []),
            Err(RuleViolation::Name(_))
        ));
        assert!(matches!(
            validate_dws_create("ab.cd", "", []),
            Err(RuleViolation::Name(_))
        ));
        assert!(matches!(
            validate_dws_create("abcd", "a=b", []),
            Err(RuleViolation::Description(_))
        ));
        assert!(matches!(
            validate_dws_create("abcd", &"d".repeat(257), []),
            Err(RuleViolation::Description(_))
        ));
        assert_eq!(
            validate_dws_create("SNAP", "", ["snap"]),
            Err(RuleViolation::Duplicate)
        );
    }

    #[test]
    fn css_rules() {
        assert_eq!(validate_css_create("snap_001", "", "", []), Ok(()));
        assert_eq!(
            validate_css_create("snap_001", "", "2018-06*,my-index", []),
            Ok(())
        );
        assert!(matches!(
            validate_css_create("Snap", "", "", []),
            Err(RuleViolation::Name(_))
        ));
        assert!(matches!(
            validate_css_create("snAp", "", "", []),
            Err(RuleViolation::Name(_))
        ));
        assert!(matches!(
            validate_css_create("snap", "a!b", "", []),
            Err(RuleViolation::Description(_))
        ));
        assert!(matches!(
            validate_css_create("snap", "", "a b", []),
            Err(RuleViolation::Indices(_))
        ));
        assert!(matches!(
            validate_css_create("snap", "", "Abc", []),
            Err(RuleViolation::Indices(_))
        ));
        assert!(matches!(
            validate_css_create("snap", "", "a/b", []),
            Err(RuleViolation::Indices(_))
        ));
        assert!(matches!(
            validate_css_create("snap", "", "a,,b", []),
            Err(RuleViolation::Indices(_))
        ));
        assert!(matches!(
            validate_css_create("snap", "", &"a".repeat(1025), []),
            Err(RuleViolation::Indices(_))
        ));
        assert_eq!(
            validate_css_create("snap", "", "", ["snap"]),
            Err(RuleViolation::Duplicate)
        );
    }

    #[test]
    fn restore_status_follows_the_clock() {
        let mut s = snap(Service::Css);
        assert_eq!(s.restore_status(0), RestoreStatus::None);
        s.restore = Some(Restore {
            target_cluster: "t".into(),
            indices: String::new(),
            rename_pattern: None,
            rename_replacement: None,
            replace_exist_indices: false,
            started_ms: 10,
            ready_ms: 20,
            outcome: RestoreStatus::Failed,
        });
        assert_eq!(s.restore_status(15), RestoreStatus::Restoring);
        assert!(s.restoring(19));
        assert_eq!(s.restore_status(20), RestoreStatus::Failed);
        assert!(!s.restoring(20));
        assert_eq!(RestoreStatus::Success.as_str(), "success");
    }

    #[test]
    fn snapshot_types_parse_in_either_case_and_default_to_manual() {
        let t: SnapshotType = serde_json::from_str("\"auto\"").unwrap();
        assert_eq!(t, SnapshotType::Auto);
        let t: SnapshotType = serde_json::from_str("\"AUTOMATED\"").unwrap();
        assert_eq!((t.is_automatic(), t.dws_str()), (true, "AUTOMATED"));
        assert!(!SnapshotType::default().is_automatic());
        assert!(serde_json::from_str::<SnapshotType>("\"weekly\"").is_err());
        // State files written before automatic snapshots existed still load.
        let old = serde_json::json!({"id":"i","name":"n","description":"","cluster_id":"c",
            "service":"css","started_ms":1,"ready_ms":2,"outcome":"COMPLETED"});
        let s: Snapshot = serde_json::from_value(old).unwrap();
        assert_eq!((s.kind, s.restore), (SnapshotType::Manual, None));
    }

    #[test]
    fn css_restore_rules() {
        assert_eq!(validate_css_restore("", None, None), Ok(()));
        assert_eq!(
            validate_css_restore("logs-*,a", Some("index_(.+)"), Some("restored_index_$1")),
            Ok(())
        );
        assert!(matches!(
            validate_css_restore("A", None, None),
            Err(RuleViolation::Indices(_))
        ));
        assert_eq!(
            validate_css_restore("", Some("a,b"), Some("x")),
            Err(RuleViolation::Rename("rename_pattern"))
        );
        assert_eq!(
            validate_css_restore("", Some("a"), Some("Upper")),
            Err(RuleViolation::Rename("rename_replacement"))
        );
        assert_eq!(
            validate_css_restore("", Some(&"a".repeat(1025)), None),
            Err(RuleViolation::Rename("rename_pattern"))
        );
    }
}
