//! Reading and writing the page's link: the state a link describes ([`AppState::from_link`],
//! lenient with a broken one) and the link to what is on screen ([`AppState::link`]). The
//! format itself (versioned, `v=1`) is the core's `offset_lab_sim::link`.

use super::{AppState, Notice, Panel};
use crate::scenarios;

impl AppState {
    /// The state a link describes (the core's link format), or the default scenario with a
    /// notice saying what is wrong with the link. A broken link keeps its layout (`embed`,
    /// `panels`), so that an embedded playground stays compact while it says what is wrong.
    pub fn from_link(query: &str) -> AppState {
        let query = query.trim_start_matches(['?', '#']);
        // The short form `?scenario=NAME` names any scenario the picker offers; the rest of the
        // link (time, panels, embed) still applies.
        // `preset=` naming a scenario the page adds to the core's (many-payments) reads the same.
        let short = query
            .split('&')
            .find_map(|kv| {
                kv.strip_prefix("scenario=").or_else(|| {
                    kv.strip_prefix("preset=").filter(|name| {
                        offset_lab_sim::preset(name).is_err() && scenarios::load(name).is_ok()
                    })
                })
            })
            .filter(|v| !v.is_empty());
        let (state, link) = match short {
            Some(name) => {
                let rest: Vec<&str> = query
                    .split('&')
                    .filter(|kv| !kv.starts_with("scenario=") && !kv.starts_with("preset="))
                    .collect();
                (
                    AppState::new(name),
                    offset_lab_sim::link::decode(&rest.join("&"), scenarios::DEFAULT),
                )
            }
            None => {
                let link = offset_lab_sim::link::decode(query, scenarios::DEFAULT);
                let state = match &link {
                    Err(e) => {
                        let mut s = AppState::new(scenarios::DEFAULT);
                        s.notice = Some(Notice {
                            error: true,
                            text: format!("{e} Showing the default scenario instead."),
                        });
                        s
                    }
                    Ok(link) => AppState::with_scenario(link.scenario.clone()),
                };
                (state, link)
            }
        };
        let mut s = state;
        match link {
            Ok(link) => {
                if link.t_ms > 0 {
                    s.seek_time(link.t_ms);
                }
                if let Some(e) = link.event {
                    s.seek_event_at_time(e);
                }
                s.embed = link.embed;
                s.sweep = link.sweep;
                s.with_panels(&link.panels)
            }
            Err(_) => {
                let layout = offset_lab_sim::link::layout(query);
                s.embed = layout.embed;
                s.with_panels(&layout.panels)
            }
        }
    }

    /// The link to this state (query string without `?`): the open panel first, then the other
    /// offered ones when an embedding chose them.
    pub fn link(&self) -> String {
        let mut panels = Vec::new();
        if !self.panels.is_empty() {
            panels.push(self.panel.key().to_string());
        }
        if self.panels.len() < Panel::ALL.len() {
            panels.extend(
                self.panels
                    .iter()
                    .filter(|p| **p != self.panel)
                    .map(|p| p.key().to_string()),
            );
            if self.panels.is_empty() {
                panels.push("none".to_string());
            }
        }
        // Several events can share an instant: `e` says which of them the cursor is after, when
        // the time alone would put it elsewhere.
        let implied = if self.time_ms > 0 {
            self.timeline.cursor_at_time(self.time_ms)
        } else {
            0
        };
        offset_lab_sim::link::encode(&offset_lab_sim::link::LinkState {
            scenario: (*self.timeline.scenario).clone(),
            t_ms: self.time_ms,
            panels,
            embed: self.embed,
            event: (self.cursor != implied).then_some(self.cursor),
            sweep: self.sweep.clone(),
        })
    }

    /// The same moment in the full playground: this link without `embed`, every panel offered.
    pub fn full_link(&self) -> String {
        let mut s = self.clone();
        s.embed = false;
        s.panels = Panel::ALL.to_vec();
        s.link()
    }

    /// The cursor after event `e`, if it happens at the instant on screen (from a link).
    fn seek_event_at_time(&mut self, e: usize) {
        let at = |c: usize| self.timeline.time_at(c);
        if e <= self.timeline.events.len() && at(e) == at(self.cursor) {
            self.cursor = e;
        }
    }
}
