//! What a bench runs: the producer modes and compositors asked for (or all of them), minus
//! what cannot run here, each skip with its reason and how to fix it (a peer that is not
//! installed, a mode or an importer the display lacks). zcx-compositor runs once per importer
//! it implements ([`ImportMode::IMPORTERS`]) that the probe says works. Modes and compositors
//! arrive typed (parsed by the command line), so an unknown name never reaches a plan.

use crate::probe::{Availability, DisplayReport};
use crate::refusal::Refusal;
use crate::session::CompositorChoice;
use zcx_contracts::ImportMode;
use zcx_producer::transport::Mode;

/// The matrix to run and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub modes: Vec<Mode>,
    pub compositors: Vec<CompositorChoice>,
    /// `<what>: <why> (<fix>)`, one per skipped mode or compositor.
    pub skipped: Vec<String>,
}

/// Every compositor of the full matrix on a display with `importers`: zcx as it runs by default
/// (`zcx:auto`, the server-copy strategy) and with every pixel through GL per importer.
pub fn all_compositors(importers: &[Availability]) -> Vec<CompositorChoice> {
    let mut all = vec![
        CompositorChoice::None,
        CompositorChoice::Zcx {
            import: ImportMode::Auto,
        },
    ];
    all.extend(
        ImportMode::IMPORTERS
            .into_iter()
            .filter(|i| importers.iter().any(|a| a.name == i.name()))
            .map(|import| CompositorChoice::Zcx { import }),
    );
    all.extend([
        CompositorChoice::PicomGlx,
        CompositorChoice::PicomXrender,
        CompositorChoice::Xcompmgr,
    ]);
    all
}

/// Decides the matrix from the modes and compositors asked for (empty: all of them); refuses
/// ([`Refusal`]) a matrix with nothing left to run.
pub fn plan(
    modes: &[Mode],
    compositors: &[CompositorChoice],
    probe: &DisplayReport,
) -> Result<Plan, Refusal> {
    let mut skipped = Vec::new();
    let modes = pick_modes(modes, &probe.modes, &mut skipped);
    let asked: Vec<CompositorChoice> = if compositors.is_empty() {
        all_compositors(&probe.importers)
    } else {
        compositors.to_vec()
    };
    let mut compositors = Vec::new();
    for c in asked {
        if let Some(why) = unavailable(&c, &probe.importers) {
            skipped.push(format!("{}: {why}", c.name()));
        } else {
            compositors.push(c);
        }
    }
    if modes.is_empty() || compositors.is_empty() {
        return Err(Refusal(format!(
            "nothing to run here: {}",
            skipped.join("; ")
        )));
    }
    Ok(Plan {
        modes,
        compositors,
        skipped,
    })
}

/// The modes asked for (all that were probed when none) that `available` says work here; the
/// others go to `skipped` with their reason.
fn pick_modes(asked: &[Mode], available: &[Availability], skipped: &mut Vec<String>) -> Vec<Mode> {
    let asked: Vec<Mode> = if asked.is_empty() {
        available
            .iter()
            .filter_map(|a| a.name.parse().ok())
            .collect()
    } else {
        asked.to_vec()
    };
    let mut modes = Vec::new();
    for m in asked {
        match available.iter().find(|a| a.name == m.name()) {
            Some(a) if a.available => modes.push(m),
            found => {
                let why = found.and_then(|a| a.reason.as_deref());
                skipped.push(format!("mode {m}: {}", why.unwrap_or("unavailable")));
            }
        }
    }
    modes
}

/// Why `c` cannot run here, with the fix where there is one.
fn unavailable(c: &CompositorChoice, importers: &[Availability]) -> Option<String> {
    if let CompositorChoice::Zcx { import } = c {
        let probed = importers.iter().find(|a| a.name == import.name());
        if let Some(a) = probed.filter(|a| !a.available) {
            return Some(a.reason.clone().unwrap_or_else(|| "unavailable".into()));
        }
    }
    c.missing()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avail(name: &str, ok: bool) -> Availability {
        Availability {
            name: name.into(),
            available: ok,
            reason: (!ok).then(|| format!("no {name} here")),
        }
    }

    #[test]
    fn full_matrix_has_every_implemented_importer_and_the_peers() {
        let imp = [
            avail("get-image", true),
            avail("egl-pixmap", false),
            avail("dri3", false),
        ];
        let names: Vec<String> = all_compositors(&imp).iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "none",
                "zcx:auto",
                "zcx:get-image",
                "zcx:egl-pixmap",
                "zcx:dri3",
                "picom-glx",
                "picom-xrender",
                "xcompmgr"
            ]
        );
        assert!(
            unavailable(&CompositorChoice::parse("zcx:egl-pixmap").unwrap(), &imp)
                .is_some_and(|w| w.contains("no egl-pixmap"))
        );
        assert!(
            unavailable(&CompositorChoice::parse("zcx:dri3").unwrap(), &imp)
                .is_some_and(|w| w.contains("no dri3"))
        );
        let no_such = CompositorChoice::parse("zcx:bogus").expect_err("not an importer");
        assert!(no_such.contains("no importer \"bogus\""), "{no_such}");
    }

    #[test]
    fn unavailable_modes_are_skipped_with_their_reason() {
        let modes = [avail("put-image", true), avail("dri3", false)];
        let mut skipped = Vec::new();
        let picked = pick_modes(&[], &modes, &mut skipped);
        assert_eq!(picked, [Mode::PutImage]);
        assert_eq!(skipped, ["mode dri3: no dri3 here"]);
        let asked = pick_modes(&[Mode::Dri3, Mode::PutImage], &modes, &mut skipped);
        assert_eq!(asked, [Mode::PutImage]);
    }

    #[test]
    fn compositor_names_round_trip() {
        for n in [
            "none",
            "zcx:get-image",
            "picom-glx",
            "picom-xrender",
            "xcompmgr",
        ] {
            assert_eq!(
                CompositorChoice::parse(n).map(|c| c.name()).as_deref(),
                Ok(n)
            );
        }
        assert_eq!(
            CompositorChoice::parse("zcx").map(|c| c.name()).as_deref(),
            Ok("zcx:auto")
        );
        assert!(CompositorChoice::parse("kwin").is_err_and(|e| e.contains("unknown compositor")));
    }
}
