//! The messages between the page and its Web Worker, in postcard's compact binary form (a
//! `Uint8Array` through `postMessage`: small messages, and far less decoding code in the page's
//! bundle than JSON). One worker serves every playground of a page; each is a session with its
//! own id.
//!
//! ```text
//!  page ── Open { session, start } ─────────▶ worker: Session::open      ──▶ Screen
//!       ── Act { session, action } ─────────▶          Session::act       ──▶ Screen, File, Link
//!       ── Close { session } ───────────────▶          (dropped)
//!       ◀── Progress { session, permille } ── while a run is being built (a long one: a bar)
//! ```

use serde::{Deserialize, Serialize};

use crate::export::File;
use crate::screen::Screen;
use crate::state::{Action, Share};

/// How a playground opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Start {
    /// The app's own page, or an iframe: the link it was opened with (its query string).
    Link { query: String },
    /// An element of a course page (`data-offset-lab`).
    Element(ElementStart),
}

/// What a course page's element asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementStart {
    /// `data-offset-lab`: a scenario the picker offers (empty: the default one).
    pub scenario: String,
    /// A scenario's JSON: an inline `<script type="application/json">` child, or the file
    /// `data-offset-lab-src` names, as the page read it. Takes precedence over `scenario`.
    pub json: Option<String>,
    /// `data-offset-lab-link`: a link's query string (the state of a shared moment).
    pub link: Option<String>,
    /// Why the element's own scenario could not be read (its file could not be fetched).
    pub error: Option<String>,
    /// `data-panels`: e.g. `code,timeline` (the first one open), or `none`.
    pub panels: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Open playground `session`. `lab`: the lab progress the page saved (JSON), if any.
    Open {
        session: u32,
        start: Start,
        lab: Option<String>,
    },
    Act {
        session: u32,
        action: Action,
    },
    Close {
        session: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// What to draw now.
    Screen { session: u32, screen: Box<Screen> },
    /// A run is being built: how far, in per mille of its simulated time.
    Progress { session: u32, permille: u32 },
    /// A file to save (Export).
    File { session: u32, file: File },
    /// A link to the moment on screen, in the full playground, to copy or to open.
    Link {
        session: u32,
        share: Share,
        query: String,
    },
    /// What the student did, for the page that embeds the playground: a JSON array of
    /// `offset-lab:progress` messages (`course.rs`).
    Course { session: u32, json: String },
}

impl ToWorker {
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// `Err`: postcard's error, by its name (`DeserializeUnexpectedEnd`): its `Display` text
    /// would bring a kilobyte of sentences into both bundles, for a console message.
    pub fn from_bytes(bytes: &[u8]) -> Result<ToWorker, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("{e:?}"))
    }
}

impl FromWorker {
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// `Err`: postcard's error, by its name (see [`ToWorker::from_bytes`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<FromWorker, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("{e:?}"))
    }

    pub fn session(&self) -> u32 {
        match self {
            FromWorker::Screen { session, .. }
            | FromWorker::Progress { session, .. }
            | FromWorker::File { session, .. }
            | FromWorker::Link { session, .. }
            | FromWorker::Course { session, .. } => *session,
        }
    }
}
