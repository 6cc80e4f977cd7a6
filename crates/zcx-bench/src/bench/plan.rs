//! What a bench runs: the producer modes and compositors asked for (or all of them), minus
//! what cannot run here, each skip with its reason and how to fix it (a peer that is not
//! installed, a mode or an importer the display lacks). zcx-compositor runs once per importer
//! it implements (`get-image`, `shm-get-image`, `egl-pixmap`, `dri3`) that the probe says
//! works.

use crate::probe::{Availability, DisplayReport};
use crate::refusal::Refusal;
use crate::session::CompositorChoice;

use super::BenchOptions;

/// The importers zcx-compositor's `--import` offers.
pub const ZCX_IMPORTERS: [&str; 4] = ["get-image", "shm-get-image", "egl-pixmap", "dri3"];

/// The matrix to run and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub modes: Vec<String>,
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
            import: "auto".into(),
        },
    ];
    all.extend(
        ZCX_IMPORTERS
            .iter()
            .filter(|i| importers.iter().any(|a| a.name == **i))
            .map(|i| CompositorChoice::Zcx {
                import: (*i).to_owned(),
            }),
    );
    all.extend([
        CompositorChoice::PicomGlx,
        CompositorChoice::PicomXrender,
        CompositorChoice::Xcompmgr,
    ]);
    all
}

/// Decides the matrix; refuses ([`Refusal`]) names it does not know and a matrix with nothing
/// left to run.
pub fn plan(opts: &BenchOptions, probe: &DisplayReport) -> anyhow::Result<Plan> {
    let mut skipped = Vec::new();
    let modes = pick_modes(&opts.modes, &probe.modes, &mut skipped)?;
    let asked: Vec<CompositorChoice> = if opts.compositors.is_empty() {
        all_compositors(&probe.importers)
    } else {
        opts.compositors
            .iter()
            .map(|n| {
                CompositorChoice::parse(n).ok_or_else(|| {
                    Refusal(format!("unknown compositor {n:?} (none, zcx[:<importer>], picom-glx, picom-xrender, xcompmgr)")).into()
                })
            })
            .collect::<anyhow::Result<_>>()?
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
        return Err(Refusal(format!("nothing to run here: {}", skipped.join("; "))).into());
    }
    Ok(Plan {
        modes,
        compositors,
        skipped,
    })
}

fn pick_modes(
    asked: &[String],
    available: &[Availability],
    skipped: &mut Vec<String>,
) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = if asked.is_empty() {
        available.iter().map(|a| a.name.clone()).collect()
    } else {
        asked.to_vec()
    };
    let mut modes = Vec::new();
    for n in names {
        let Some(a) = available.iter().find(|a| a.name == n) else {
            return Err(Refusal(format!("unknown producer mode {n:?}")).into());
        };
        if a.available {
            modes.push(n);
        } else {
            let why = a.reason.as_deref().unwrap_or("unavailable");
            skipped.push(format!("mode {n}: {why}"));
        }
    }
    Ok(modes)
}

/// Why `c` cannot run here, with the fix where there is one.
fn unavailable(c: &CompositorChoice, importers: &[Availability]) -> Option<String> {
    if let CompositorChoice::Zcx { import } = c {
        if import != "auto" {
            if !ZCX_IMPORTERS.contains(&import.as_str()) {
                return Some(format!("zcx-compositor has no importer {import}"));
            }
            if let Some(a) = importers.iter().find(|a| &a.name == import && !a.available) {
                return Some(a.reason.clone().unwrap_or_else(|| "unavailable".into()));
            }
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
        assert!(unavailable(&CompositorChoice::parse("zcx:dri3").unwrap(), &imp).is_some());
    }

    #[test]
    fn unavailable_modes_are_skipped_with_their_reason() {
        let modes = [avail("put-image", true), avail("dri3", false)];
        let mut skipped = Vec::new();
        let picked = pick_modes(&[], &modes, &mut skipped).unwrap();
        assert_eq!(picked, ["put-image"]);
        assert_eq!(skipped, ["mode dri3: no dri3 here"]);
        assert!(pick_modes(&["bogus".into()], &modes, &mut skipped).is_err());
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
                Some(n)
            );
        }
        assert_eq!(
            CompositorChoice::parse("zcx").map(|c| c.name()).as_deref(),
            Some("zcx:auto")
        );
        assert_eq!(CompositorChoice::parse("kwin"), None);
    }
}
