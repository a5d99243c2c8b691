//! A handler's panic as an invocation failure: what Lambda is told, and
//! what the log gets.

use std::any::Any;

use lambda_runtime::Diagnostic;

/// The failure of an invocation whose handler panicked and
/// [`crate::Function::on_panic`] gave no answer: the stable `errorType`
/// `Panic` (the runtime's own panic layer reports a Rust type name) and a
/// fixed message, because the panic's own text may hold anything.
pub(crate) fn diagnostic(request_id: &str) -> Diagnostic {
    Diagnostic {
        error_type: "Panic".into(),
        error_message: format!(
            "the handler panicked; the function's log has the detail under requestId {request_id}"
        ),
    }
}

/// Logs each panic through tracing (an ERROR line: JSON in Lambda, inside
/// the invocation's span so it carries `requestId`) instead of Rust's
/// default hook, which writes plain text on stderr. Process-wide: only
/// `start` installs it.
pub(crate) fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|at| format!("{}:{}", at.file(), at.line()));
        tracing::error!(panic = panic_message(info.payload()), location, "panicked");
    }));
}

/// The text of a panic (`panic!` with a literal or a format), for the log.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    let text = payload.downcast_ref::<&str>().copied();
    text.or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_reported_with_a_fixed_message_and_the_request_id() {
        let diagnostic = diagnostic("r-9");
        assert_eq!(diagnostic.error_type, "Panic");
        assert_eq!(
            diagnostic.error_message,
            "the handler panicked; the function's log has the detail under requestId r-9"
        );
    }

    #[test]
    fn the_panic_text_is_read_from_either_payload() {
        let literal: Box<dyn Any + Send> = Box::new("literal");
        let formatted: Box<dyn Any + Send> = Box::new(format!("n={}", 1));
        let other: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(literal.as_ref()), "literal");
        assert_eq!(panic_message(formatted.as_ref()), "n=1");
        assert_eq!(panic_message(other.as_ref()), "(no message)");
    }
}
