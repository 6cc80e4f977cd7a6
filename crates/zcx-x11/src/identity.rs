//! How zcx programs recognise each other's windows: a producer window carries the WM_CLASS
//! `zcx-producer` (instance and class). The producer sets it, the compositor lays such windows
//! out side by side and shows their statistics, the observer samples their stamps.

/// The WM_CLASS instance and class of a producer window.
pub const PRODUCER_CLASS: &str = "zcx-producer";

/// The WM_CLASS property value a producer sets: instance and class, each NUL-terminated.
pub const PRODUCER_WM_CLASS: &[u8] = b"zcx-producer\0zcx-producer\0";

/// Whether a WM_CLASS value (NUL-separated instance and class, any garbage around them)
/// names a producer.
pub fn is_producer_class(value: &[u8]) -> bool {
    value
        .split(|&b| b == 0)
        .any(|part| part == PRODUCER_CLASS.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_a_producer_sets_names_a_producer() {
        assert!(is_producer_class(PRODUCER_WM_CLASS));
        assert!(is_producer_class(b"zcx-producer"));
        assert!(!is_producer_class(b"xterm\0XTerm\0"));
        assert!(!is_producer_class(b"zcx-producer2\0"));
        assert!(!is_producer_class(b""));
    }
}
