//! The functions' one log set-up: the level Lambda's logging controls ask
//! for, dependencies that could print a secret held at INFO whatever that
//! level is, and one JSON object a line when `AWS_LAMBDA_LOG_FORMAT=JSON`.

use std::fmt;
use std::io::IsTerminal;

use serde_json::{Map, Value};
use tim::config::Env;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets, filter_fn};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::{Layer, Registry, layer::SubscriberExt, registry::LookupSpan};

/// Targets (prefixes: `hyper` covers `hyper_util` and `hyper_rustls`) held
/// at INFO at most, because below it they print what must stay out of the
/// logs: `lambda_runtime` traces each raw event (a rotation's
/// `RotationToken`), `aws_smithy_runtime` traces each request with its body
/// (PutSecretValue carries the new UserSig) and, with `LOG_SENSITIVE_BODIES`,
/// responses (GetSecretValue's secret), `aws_sigv4` traces the canonical
/// request (the session token), the HTTP and TLS layers trace what they
/// carry. Their INFO and above carry no payload.
pub const PINNED_TARGETS: &[&str] = &[
    "lambda_runtime",
    "aws_smithy",
    "aws_sdk",
    "aws_sigv4",
    "aws_runtime",
    "aws_config",
    "aws_credential_types",
    "hyper",
    "h2",
    "reqwest",
    "rustls",
    "tokio_rustls",
    "tower",
];

/// What the environment asks of the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// One JSON object a line (`AWS_LAMBDA_LOG_FORMAT=JSON`), else tracing's
    /// readable text (local runs).
    pub json: bool,
    /// `RUST_LOG`-style directives: `AWS_LAMBDA_LOG_LEVEL` as a level, else
    /// `RUST_LOG`, else `info`.
    pub directives: String,
}

impl LogSettings {
    pub fn from_env(env: &Env) -> Self {
        let json = env
            .get("AWS_LAMBDA_LOG_FORMAT")
            .is_some_and(|f| f.eq_ignore_ascii_case("json"));
        let directives = match env.get("AWS_LAMBDA_LOG_LEVEL") {
            // Lambda's levels; FATAL has no tracing level.
            Some(level) if level.eq_ignore_ascii_case("fatal") => "error".to_owned(),
            Some(level) => level.to_ascii_lowercase(),
            None => env.get("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
        };
        Self { json, directives }
    }
}

/// The subscriber every function logs through, writing to `writer`
/// (stdout in Lambda; a buffer in tests).
///
/// `lambda_runtime`'s `init_default_subscriber` is not used: it nests span
/// fields under `fields` and has no place for the pin of [`PINNED_TARGETS`].
pub fn subscriber<W>(settings: &LogSettings, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let base = tracing_subscriber::fmt::layer().with_writer(writer);
    let layer: Box<dyn Layer<Registry> + Send + Sync> = if settings.json {
        Box::new(base.fmt_fields(JsonFields::new()).event_format(JsonLine))
    } else {
        // Lambda stamps each text line itself; the target is noise; colours
        // only on a terminal (CloudWatch would show the escape codes).
        let ansi = std::io::stdout().is_terminal();
        Box::new(base.with_target(false).without_time().with_ansi(ansi))
    };
    // The operator's level, with spans at INFO and above always kept (so
    // that an ERROR-only setting still gives each line its `requestId`),
    // ANDed with the pin, which no directive can undo.
    let level = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(&settings.directives);
    let spans = filter_fn(|m: &Metadata<'_>| m.is_span() && *m.level() <= Level::INFO);
    let pinned = PINNED_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |pinned, target| pinned.with_target(*target, LevelFilter::INFO),
    );
    tracing_subscriber::registry().with(layer.with_filter(pinned.and(level.or(spans))))
}

/// Installs [`subscriber`] on stdout as the process's default (once; a
/// second call keeps the first).
pub fn init(env: &Env) {
    let subscriber = subscriber(&LogSettings::from_env(env), std::io::stdout);
    let _already_set = tracing::subscriber::set_global_default(subscriber);
}

/// One JSON object a line: `timestamp`, `level`, then the fields of the
/// enclosing spans (`requestId` from `lambda_runtime`'s invocation span,
/// `cold_start` from lambda_kit's) and the event's own (`message` and the
/// rest), all top-level, so Logs Insights filters `sdkappid = ...`.
///
/// tracing-subscriber's own JSON format nests span fields (`span`,
/// `spans`) and has no way to lift them to the top level; this format
/// reuses its JSON field recording (`JsonFields`) and only merges.
struct JsonLine;

impl<S> FormatEvent<S, JsonFields> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let scope = ctx.event_scope();
        let spans = scope.into_iter().flat_map(|scope| scope.from_root());
        let mut fields = Map::new();
        for span in spans {
            if let Some(recorded) = span.extensions().get::<FormattedFields<JsonFields>>() {
                fields.extend(fields_of(recorded));
            }
        }
        let mut own = String::new();
        ctx.format_fields(Writer::new(&mut own), event)?;
        fields.extend(fields_of(&own));
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        // The fixed keys win over a field of the same name.
        fields.insert("timestamp".into(), timestamp.into());
        fields.insert("level".into(), event.metadata().level().as_str().into());
        fields.insert("target".into(), event.metadata().target().into());
        writeln!(writer, "{}", Value::Object(fields))
    }
}

/// The fields `JsonFields` recorded (an object; nothing from anything else).
fn fields_of(json: &str) -> Map<String, Value> {
    serde_json::from_str(json).unwrap_or_default()
}

#[cfg(test)]
mod tests;
