//! The closed set of transfer modes ([`Mode`]): their CLI and JSON names, and why a server
//! cannot run one.

use zcx_x11::probe::ServerProbe;

use super::gbm;

/// The transfer modes; the CLI value of each is [`Mode::name`], and so is its JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    PutImage,
    ShmPut,
    ShmPixmap,
    Dri3,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::PutImage, Mode::ShmPut, Mode::ShmPixmap, Mode::Dri3];

    pub fn name(self) -> &'static str {
        match self {
            Mode::PutImage => "put-image",
            Mode::ShmPut => "shm-put",
            Mode::ShmPixmap => "shm-pixmap",
            Mode::Dri3 => "dri3",
        }
    }

    /// Why this server cannot run the mode, or `None` when it can.
    pub fn unavailable_reason(self, probe: &ServerProbe) -> Option<String> {
        let shm_problem = || match &probe.shm {
            None => Some("the server has no MIT-SHM extension".to_owned()),
            Some(shm) => match &shm.trial_attach {
                Ok(()) => None,
                Err(why) => Some(format!("MIT-SHM is not usable on this connection ({why})")),
            },
        };
        match self {
            Mode::PutImage => None,
            Mode::ShmPut => shm_problem(),
            Mode::ShmPixmap => shm_problem().or_else(|| {
                let shared = probe.shm.as_ref().is_some_and(|s| s.shared_pixmaps);
                (!shared).then(|| "the server's MIT-SHM does not offer shared pixmaps".to_owned())
            }),
            Mode::Dri3 => dri3_problem(probe),
        }
    }

    /// The modes this server can run, cheapest transport first.
    pub fn available(probe: &ServerProbe) -> Vec<Mode> {
        [Mode::Dri3, Mode::ShmPixmap, Mode::ShmPut, Mode::PutImage]
            .into_iter()
            .filter(|m| m.unavailable_reason(probe).is_none())
            .collect()
    }
}

/// Why `dri3` cannot run here: no DRI3 or Present, a connection that cannot pass fds, or no
/// libgbm on this machine.
fn dri3_problem(probe: &ServerProbe) -> Option<String> {
    if probe.dri3.is_none() {
        return Some(
            "the server has no DRI3 extension (DRI3 needs a GPU X server: Xorg with \
             modesetting/glamor, amdgpu, intel, NVIDIA ≥ 470 or Xwayland)"
                .to_owned(),
        );
    }
    if probe.present.is_none() {
        return Some("the server has DRI3 but no Present".to_owned());
    }
    if probe.socket != zcx_x11::SocketKind::Local {
        return Some("DRI3 passes fds, which needs a local UNIX socket".to_owned());
    }
    gbm::available().err().map(|e| e.to_string())
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown mode {s:?}"))
    }
}
