//! Property tests of the compositor's parsers of X properties other clients write:
//! `_ZCX_STATS` (the HUD's `ProducerStats::parse`, and the HUD text made of it), WM_CLASS
//! (`zcx_x11::identity::is_producer_class`) and the root background pixmap id
//! (`x::background::pixmap_id`). Any
//! value parses to something sane or is refused; none panics.

use proptest::prelude::*;
use serde_json::{json, Value};
use x11rb::protocol::xproto::{AtomEnum, GetPropertyReply};
use zcx_compositor::scene::hud::{lines, ProducerStats, TextGrid};
use zcx_compositor::x::background::pixmap_id;
use zcx_x11::identity::{is_producer_class, PRODUCER_CLASS};

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const KEYS: [&str; 11] = [
    "mode",
    "fps",
    "complete_ms",
    "submit_ms",
    "client_ctx_switches_per_frame",
    "server_ctx_switches_per_frame",
    "socket_bytes_per_frame",
    "client_cpu_ms_per_frame",
    "server_cpu_ms_per_frame",
    "handoff_frames",
    "frames",
];

/// A `_ZCX_STATS`-like object: the keys the HUD reads, holding anything (percentiles too).
fn stats_json() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        json_value(),
        (json_value(), json_value()).prop_map(|(p50, p99)| json!({ "p50": p50, "p99": p99 })),
    ];
    prop::collection::vec((prop::sample::select(&KEYS[..]), field), 0..12).prop_map(|fields| {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    })
}

/// JSON text with numbers serde_json cannot hold in an f64 (1e400) and other edge tokens.
fn edgy_text() -> impl Strategy<Value = Vec<u8>> {
    let number = prop_oneof![
        Just("1e400".to_string()),
        Just("-1e400".to_string()),
        Just("NaN".to_string()),
        Just("Infinity".to_string()),
        Just("18446744073709551616".to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
    ];
    (prop::sample::select(&KEYS[..]), number.clone(), number).prop_map(|(k, a, b)| {
        format!(r#"{{"{k}": {a}, "complete_ms": {{"p50": {b}, "p99": {a}}}}}"#).into_bytes()
    })
}

fn check_stats(p: &ProducerStats) -> Result<(), TestCaseError> {
    let fields = [
        p.fps,
        p.frame_ms.map(|m| m.0),
        p.frame_ms.map(|m| m.1),
        p.ctx_client,
        p.ctx_server,
        p.socket_bytes,
        p.cpu_client,
        p.cpu_server,
    ];
    for x in fields.into_iter().flatten() {
        prop_assert!(x.is_finite(), "{p:?} holds {x}");
    }
    prop_assert!(p.mode.as_ref().is_none_or(|m| m.chars().count() <= 16));
    for shared in [false, true] {
        let text = lines(p, None, shared);
        let grid = TextGrid::new(&text);
        prop_assert_eq!(grid.cells.len() as u32, grid.cols * grid.rows);
        prop_assert!(grid
            .cells
            .iter()
            .all(|c| c[0].is_ascii_graphic() || c[0] == b' '));
    }
    Ok(())
}

/// A GetProperty answer as the X server would send it.
fn reply() -> impl Strategy<Value = GetPropertyReply> {
    let atom = prop_oneof![
        Just(u32::from(AtomEnum::NONE)),
        Just(u32::from(AtomEnum::PIXMAP)),
        Just(u32::from(AtomEnum::CARDINAL)),
        any::<u32>(),
    ];
    let format = prop_oneof![Just(0u8), Just(8), Just(16), Just(32), any::<u8>()];
    let ids = prop::collection::vec(prop_oneof![Just(0u32), any::<u32>()], 0..3);
    let value_bytes = prop_oneof![
        ids.prop_map(|v| v.iter().flat_map(|w| w.to_ne_bytes()).collect::<Vec<u8>>()),
        prop::collection::vec(any::<u8>(), 0..11),
    ];
    (
        atom,
        format,
        prop_oneof![Just(1u32), 0..4u32],
        prop_oneof![Just(0u32), any::<u32>()],
        value_bytes,
    )
        .prop_map(
            |(type_, format, value_len, bytes_after, value)| GetPropertyReply {
                format,
                sequence: 0,
                length: 0,
                type_,
                bytes_after,
                value_len,
                value,
            },
        )
}

proptest! {
    #[test]
    fn stats_from_random_bytes_are_finite_and_printable(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_stats(&ProducerStats::parse(&bytes))?;
    }

    #[test]
    fn stats_from_random_json_are_finite_and_printable(v in prop_oneof![stats_json(), json_value()]) {
        let bytes = serde_json::to_vec(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let p = ProducerStats::parse(&bytes);
        check_stats(&p)?;
        // A number the producer wrote is what the HUD shows.
        if let Some(fps) = v.get("fps").and_then(Value::as_f64) {
            prop_assert_eq!(p.fps, Some(fps));
        }
    }

    #[test]
    fn stats_with_out_of_range_numbers_are_finite(bytes in edgy_text()) {
        check_stats(&ProducerStats::parse(&bytes))?;
    }

    #[test]
    fn a_producer_class_is_one_whole_nul_separated_part(
        before in prop::collection::vec(any::<u8>(), 0..20),
        after in prop::collection::vec(any::<u8>(), 0..20),
        bytes in prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..40),
    ) {
        let parts: Vec<&[u8]> = bytes.split(|&b| b == 0).collect();
        prop_assert_eq!(is_producer_class(&bytes), parts.contains(&PRODUCER_CLASS.as_bytes()));
        let mut named = before.clone();
        named.push(0);
        named.extend_from_slice(PRODUCER_CLASS.as_bytes());
        named.push(0);
        named.extend_from_slice(&after);
        prop_assert!(is_producer_class(&named));
        let mut glued = before;
        glued.extend_from_slice(PRODUCER_CLASS.as_bytes());
        glued.push(b'x');
        glued.extend_from_slice(&after);
        let glued_parts: Vec<&[u8]> = glued.split(|&b| b == 0).collect();
        prop_assert_eq!(is_producer_class(&glued), glued_parts.contains(&PRODUCER_CLASS.as_bytes()));
    }

    #[test]
    fn a_background_pixmap_id_is_one_non_zero_pixmap_item(r in reply()) {
        let first = (r.value.len() >= 4)
            .then(|| u32::from_ne_bytes([r.value[0], r.value[1], r.value[2], r.value[3]]));
        let expected = if r.type_ == u32::from(AtomEnum::NONE) {
            Some(None)
        } else if r.type_ == u32::from(AtomEnum::PIXMAP)
            && r.format == 32
            && r.value_len == 1
            && r.bytes_after == 0
        {
            first.filter(|&id| id != 0).map(Some)
        } else {
            None
        };
        match (pixmap_id(&r), expected) {
            (Ok(got), Some(want)) => prop_assert_eq!(got, want),
            (Err(why), None) => prop_assert!(!why.is_empty()),
            (got, want) => prop_assert!(false, "{:?} gave {:?}, expected {:?}", r, got, want),
        }
    }
}

/// The producer's numbers survive the `_ZCX_STATS` JSON exactly, however extreme (serde_json
/// parses floats correctly rounded only with its `float_roundtrip` feature; proptest found one
/// it read an ulp off).
#[test]
fn stats_numbers_round_trip_exactly() {
    for fps in [
        1.962_859_263_961_723_7e-202,
        59.94,
        f64::MIN_POSITIVE,
        1e300,
    ] {
        let bytes = serde_json::to_vec(&json!({ "fps": fps })).expect("json");
        assert_eq!(ProducerStats::parse(&bytes).fps, Some(fps), "{fps:e}");
    }
}
