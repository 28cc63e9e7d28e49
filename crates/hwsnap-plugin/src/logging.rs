//! Logging to stderr in hclog's JSON line format, which Terraform parses and
//! shows under `TF_LOG` with the right level.
//!
//! Each `tracing` event becomes one line:
//! `{"@level":"debug","@message":"cloud request: method=GET path=/v3/projects status=200","@module":"provider.hwsnap","@timestamp":"2026-11-25T16:49:15.123456Z"}`.
//! The event's fields are written into `@message`, as `key=value` in the
//! order the event declares them, not as extra JSON keys: Terraform reads
//! a plugin's line into a map and prints its keys in random order, so
//! fields kept apart would change places from line to line. The level
//! comes from `TF_LOG_PROVIDER`, else `TF_LOG`; unset means warnings and
//! errors only. The filter is a plain [`Targets`] of levels, so disabled
//! events cost one comparison.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use time::format_description::FormatItem;
use time::macros::format_description;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The `@module` written on every line.
pub const MODULE: &str = "provider.hwsnap";

const TIMESTAMP: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6][offset_hour sign:mandatory]:[offset_minute]"
);

/// The plugin transport's libraries (gRPC to Terraform, TLS): their logs
/// (h2 frames, handshake traces) would drown the provider's, so they are
/// capped at [`LIBRARY_LEVEL`] at every level.
pub const NOISY_LIBRARIES: &[&str] = &["h2", "rustls", "tokio_rustls", "tonic", "tower"];

/// The cloud client's HTTP libraries: connection pool chatter ("starting
/// new connection", "pooling idle connection", "shouldn't retry!") is their
/// DEBUG, shown only under `TRACE` (as their DEBUG; their own TRACE stays
/// off) and capped at [`LIBRARY_LEVEL`] below it.
pub const HTTP_LIBRARIES: &[&str] = &["reqwest", "hyper", "hyper_util"];

/// The most verbose level the libraries may log at below `TRACE`.
pub const LIBRARY_LEVEL: LevelFilter = LevelFilter::INFO;

/// Installs the global subscriber: hclog JSON on stderr at the level chosen
/// by [`level_from_env`]. Calling it again is harmless.
pub fn init() {
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    );
    // A second init (tests, or a binary calling it twice) keeps the first.
    let _ = tracing_subscriber::registry()
        .with(HclogLayer::new(std::io::stderr).with_filter(filter(level)))
        .try_init();
}

/// `level` for everything, except the [`NOISY_LIBRARIES`], which get at
/// most [`LIBRARY_LEVEL`], and the [`HTTP_LIBRARIES`], which get the same
/// below `TRACE` and `DEBUG` under it.
pub fn filter(level: LevelFilter) -> Targets {
    let library = level.min(LIBRARY_LEVEL);
    let http = if level == LevelFilter::TRACE {
        LevelFilter::DEBUG
    } else {
        library
    };
    let targets = NOISY_LIBRARIES
        .iter()
        .fold(Targets::new().with_default(level), |targets, name| {
            targets.with_target(*name, library)
        });
    HTTP_LIBRARIES
        .iter()
        .fold(targets, |targets, name| targets.with_target(*name, http))
}

/// The level for `TF_LOG_PROVIDER` (preferred) or `TF_LOG`: `TRACE`,
/// `DEBUG`, `INFO`, `WARN`, `ERROR` (any case); `JSON` and unrecognised
/// values mean trace, as in Terraform; unset or empty means warn.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let chosen = [tf_log_provider, tf_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty());
    let Some(value) = chosen else {
        return LevelFilter::WARN;
    };
    match value.to_ascii_uppercase().as_str() {
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        "OFF" => LevelFilter::WARN,
        _ => LevelFilter::TRACE,
    }
}

/// hclog's name for a level.
pub fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// A `tracing` layer writing hclog JSON lines to `W`.
#[derive(Debug)]
pub struct HclogLayer<W> {
    make_writer: W,
}

impl<W> HclogLayer<W> {
    /// A layer writing to `make_writer` (e.g. `std::io::stderr`).
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = FieldCollector::default();
        event.record(&mut fields);
        let mut line = BTreeMap::new();
        line.insert(
            "@level",
            serde_json::Value::from(level_name(event.metadata().level())),
        );
        line.insert("@message", fields.into_message().into());
        line.insert("@module", MODULE.into());
        line.insert("@timestamp", timestamp().into());
        let Ok(mut bytes) = serde_json::to_vec(&line) else {
            return;
        };
        bytes.push(b'\n');
        // Logging must never fail the caller; a closed stderr drops lines.
        let _ = self.make_writer.make_writer().write_all(&bytes);
    }
}

fn timestamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(TIMESTAMP)
        .map(|s| s.replace("+00:00", "Z"))
        .unwrap_or_default()
}

/// Collects an event's `message` and its other fields, in the order the
/// event declares them.
#[derive(Default)]
struct FieldCollector {
    message: String,
    fields: Vec<(&'static str, serde_json::Value)>,
}

impl FieldCollector {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
        } else if !field.name().starts_with('@') && !field.name().starts_with("log.") {
            // `log.*` are tracing-log's bookkeeping for bridged `log` records.
            self.fields.push((field.name(), value));
        }
    }

    /// `message: key=value key=value`, values quoted when they hold
    /// spaces, quotes, `=` or nothing.
    fn into_message(self) -> String {
        let mut out = self.message;
        for (i, (key, value)) in self.fields.iter().enumerate() {
            out.push_str(if i == 0 { ": " } else { " " });
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let plain = !text.is_empty()
                && !text
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '='));
            if plain {
                let _ = write!(out, "{key}={text}");
            } else {
                let _ = write!(out, "{key}={}", serde_json::Value::String(text));
            }
        }
        out
    }
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn capture(level: LevelFilter, f: impl FnOnce()) -> Vec<serde_json::Value> {
        let buf = Buffer::default();
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(buf.clone()).with_filter(level));
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn event_becomes_one_hclog_line_with_its_fields_in_order() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::info!(
                type_name = "dws_snapshot",
                attempts = 3_u64,
                ok = true,
                "created"
            );
        });
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        assert_eq!(l["@level"], "info");
        assert_eq!(
            l["@message"],
            "created: type_name=dws_snapshot attempts=3 ok=true"
        );
        assert_eq!(l["@module"], MODULE);
        let keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["@level", "@message", "@module", "@timestamp"]);
    }

    #[test]
    fn field_order_is_the_declared_one_not_alphabetical() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::debug!(
                method = "GET",
                path = "/v3/projects",
                status = 200_u64,
                "cloud request"
            );
            tracing::debug!(path = "/p", method = "POST", "cloud request");
        });
        assert_eq!(
            lines[0]["@message"],
            "cloud request: method=GET path=/v3/projects status=200"
        );
        assert_eq!(lines[1]["@message"], "cloud request: path=/p method=POST");
    }

    #[test]
    fn values_with_spaces_quotes_or_nothing_are_quoted() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::warn!(
                error = "no answer in 10 s",
                empty = "",
                q = "a\"b",
                n = -1_i64,
                "x"
            );
        });
        assert_eq!(
            lines[0]["@message"],
            r#"x: error="no answer in 10 s" empty="" q="a\"b" n=-1"#
        );
    }

    #[test]
    fn an_event_without_fields_is_its_message() {
        let lines = capture(LevelFilter::TRACE, || tracing::info!("plain"));
        assert_eq!(lines[0]["@message"], "plain");
    }

    #[test]
    fn timestamp_is_rfc3339_with_micros() {
        let lines = capture(LevelFilter::TRACE, || tracing::warn!("x"));
        let ts = lines[0]["@timestamp"].as_str().unwrap().to_owned();
        // 2026-11-25T16:49:15.123456Z
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(ts.ends_with('Z'), "{ts}");
        assert_eq!(&ts[10..11], "T");
        assert_eq!(&ts[19..20], ".");
        assert!(
            time::OffsetDateTime::parse(&ts, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{ts}"
        );
    }

    #[test]
    fn all_levels_use_hclog_names() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let levels: Vec<_> = lines.iter().map(|l| l["@level"].clone()).collect();
        assert_eq!(levels, ["trace", "debug", "info", "warn", "error"]);
    }

    #[test]
    fn filter_drops_lower_levels() {
        let lines = capture(LevelFilter::WARN, || {
            tracing::info!("hidden");
            tracing::debug!("hidden");
            tracing::warn!("shown");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["@message"], "shown");
    }

    #[test]
    fn debug_fields_render_as_strings_and_cannot_clobber_reserved_keys() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::info!(detail = ?vec![1, 2], "@level" = "spoofed", "log.file" = "x.rs", "m");
        });
        assert_eq!(lines[0]["@message"], r#"m: detail="[1, 2]""#);
        assert_eq!(lines[0]["@level"], "info");
    }

    fn messages_at(level: LevelFilter, f: impl FnOnce()) -> Vec<String> {
        let buf = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(HclogLayer::new(buf.clone()).with_filter(filter(level)));
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["@message"].to_string())
            .collect()
    }

    fn library_events() {
        tracing::trace!(target: "h2::proto", "frame");
        tracing::debug!(target: "rustls::server::hs", "hello");
        tracing::warn!(target: "h2", "kept");
        tracing::debug!(target: "reqwest::connect", "starting new connection");
        tracing::debug!(target: "hyper_util::client::legacy::client", "shouldn't retry!");
        tracing::trace!(target: "hyper::proto", "parsed headers");
        tracing::debug!(target: "hwsnap::dws", "ours");
    }

    #[test]
    fn library_noise_is_capped_but_provider_lines_pass() {
        assert_eq!(
            messages_at(LevelFilter::DEBUG, library_events),
            ["\"kept\"", "\"ours\""],
            "no HTTP pool chatter at DEBUG"
        );
        assert_eq!(
            messages_at(LevelFilter::TRACE, library_events),
            [
                "\"kept\"",
                "\"starting new connection\"",
                "\"shouldn't retry!\"",
                "\"ours\""
            ],
            "the HTTP libraries' DEBUG under TRACE, never h2 frames or their TRACE"
        );
    }

    #[test]
    fn quiet_level_also_quiets_libraries() {
        let targets = filter(LevelFilter::WARN);
        assert!(!targets.would_enable("h2", &Level::INFO));
        assert!(targets.would_enable("h2", &Level::WARN));
        assert!(!targets.would_enable("hwsnap", &Level::INFO));
    }

    #[test]
    fn level_comes_from_provider_variable_first() {
        assert_eq!(level_from_env(None, None), LevelFilter::WARN);
        assert_eq!(level_from_env(Some(""), None), LevelFilter::WARN);
        assert_eq!(level_from_env(None, Some("DEBUG")), LevelFilter::DEBUG);
        assert_eq!(
            level_from_env(Some("error"), Some("TRACE")),
            LevelFilter::ERROR
        );
        assert_eq!(level_from_env(Some(""), Some("info")), LevelFilter::INFO);
        assert_eq!(level_from_env(None, Some("JSON")), LevelFilter::TRACE);
        assert_eq!(level_from_env(None, Some("WARN")), LevelFilter::WARN);
        assert_eq!(level_from_env(None, Some("bogus")), LevelFilter::TRACE);
    }
}
