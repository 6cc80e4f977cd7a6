//! One line for an error and its causes, as the zcx binaries print it before they exit: each
//! message of the chain once, joined by ": ". Many errors quote their cause in their own text
//! (so that a log line or a report note that shows only the error is complete) and also expose
//! it as their `source()`; printing the chain as is would then say the cause twice.

use std::error::Error;

/// `err` and its causes on one line; a cause whose text the message before it already
/// contains is left out.
pub fn one_line(err: &(dyn Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut last = line.clone();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !last.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        last = text;
        cause = c.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the X server at \":7\" refused the connection: {source}")]
    struct Quoting {
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot start")]
    struct Context {
        #[source]
        source: Quoting,
    }

    #[test]
    fn a_quoted_cause_is_said_once() {
        let reset = || std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let err = Context {
            source: Quoting { source: reset() },
        };
        assert_eq!(
            one_line(&err),
            format!(
                "cannot start: the X server at \":7\" refused the connection: {}",
                reset()
            )
        );
    }

    #[test]
    fn causes_not_quoted_are_all_said() {
        #[derive(Debug, thiserror::Error)]
        #[error("reading stats.json")]
        struct Outer(#[source] std::io::Error);
        let err = Outer(std::io::Error::other("permission denied"));
        assert_eq!(one_line(&err), "reading stats.json: permission denied");
    }
}
