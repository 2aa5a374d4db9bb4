//! What the Export menu saves: the scenario, the run's trace (JSON, CSV), or a consumer's
//! program as a runnable confluent-kafka Python script. Made here, where the run is; the page
//! only hands the text to the browser as a download.

use serde::{Deserialize, Serialize};

use offset_lab_sim::Scenario;

use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Export {
    Scenario,
    TraceJson,
    TraceCsv,
    /// The program of consumer `n` (0-based).
    Python(usize),
    /// HTML to paste into a course page: this scenario at this moment, as an iframe and as an
    /// element of the page.
    Embed,
    /// The Experiments panel's last sweep: chart `n` as a standalone SVG, or every chart's
    /// numbers as CSV (the session holds the sweep: `Session::act`).
    ChartSvg(usize),
    SweepCsv,
}

/// Chart `what` of `sweep` (or its numbers) as a file.
pub fn sweep_file(sweep: &crate::view::sweep::SweepVm, what: Export) -> Option<File> {
    use crate::view::chart::{chart_svg, sweep_csv};
    let base =
        offset_lab_sim::render::file_safe(sweep.experiment.as_deref().unwrap_or(&sweep.x_label));
    let (name, mime, text) = match what {
        Export::ChartSvg(i) => (
            format!("{base}-chart-{}.svg", i + 1),
            "image/svg+xml",
            chart_svg(sweep, i)?,
        ),
        Export::SweepCsv => (format!("{base}.csv"), "text/csv", sweep_csv(sweep)),
        _ => return None,
    };
    Some(File {
        name,
        mime: mime.to_string(),
        text,
    })
}

/// A file to save: its name, MIME type and contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub mime: String,
    pub text: String,
}

impl Export {
    /// The file for the run on screen; `None` for a consumer that does not exist.
    pub fn file(self, s: &AppState) -> Option<File> {
        let tl = &s.timeline;
        let name = offset_lab_sim::render::file_safe(&tl.scenario.name);
        let (name, mime, text) = match self {
            Export::Scenario => (
                format!("{name}.json"),
                "application/json",
                tl.scenario.to_json(),
            ),
            Export::TraceJson => (
                format!("{name}-trace.json"),
                "application/json",
                tl.trace_json(),
            ),
            Export::TraceCsv => (format!("{name}-trace.csv"), "text/csv", tl.trace_csv()),
            Export::Embed => (format!("{name}-embed.html"), "text/html", embed_snippet(s)),
            Export::ChartSvg(_) | Export::SweepCsv => return None,
            Export::Python(c) => {
                tl.scenario.consumers.get(c)?;
                (
                    python_file_name(&tl.scenario, c),
                    "text/x-python",
                    offset_lab_sim::render::python_script(&tl.scenario, c),
                )
            }
        };
        Some(File {
            name,
            mime: mime.to_string(),
            text,
        })
    }
}

/// `&`, `<`, `>` and `"` as HTML entities, for an attribute value.
pub(crate) fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The iframe and the element for the scenario and moment on screen, with the panels the
/// playground offers (README, "Embedding in a course").
fn embed_snippet(s: &AppState) -> String {
    let mut framed = s.clone();
    framed.embed = true;
    let query = framed.link();
    let mut element = s.clone();
    element.embed = false;
    let element_link = element.link();
    let title = attr(&s.timeline.scenario.title);
    let (src, link) = (attr(&query), attr(&element_link));
    format!(
        r#"<!-- Offset Lab: "{title}", as on screen when exported.
     Change OFFSET_LAB/ to where the site (dist/) is published, e.g. /courses/kafka/offset-lab/. -->

<!-- 1. An iframe: isolated from the page. Add `&progress=<your page's origin>` to its src to
     receive the student's progress events (README, "Progress events"). -->
<iframe class="offset-lab" title="Offset Lab: {title}"
  style="width: 100%; height: 760px; border: 0; box-sizing: content-box"
  src="OFFSET_LAB/index.html?{src}"></iframe>
<script>
  // Fits the iframe to the playground's height (posted as {{ type: "offset-lab:height", height }}).
  window.addEventListener('message', (event) => {{
    const data = event.data;
    if (!data || data.type !== 'offset-lab:height') return;
    const height = Math.min(4000, Math.max(200, Math.ceil(Number(data.height) || 0)));
    for (const frame of document.querySelectorAll('iframe.offset-lab')) {{
      if (frame.contentWindow === event.source) frame.style.height = `${{height}}px`;
    }}
  }});
</script>

<!-- 2. Or an element of the page: include the bundle once per page. -->
<link rel="stylesheet" href="OFFSET_LAB/style.css">
<script type="module">
  import init from 'OFFSET_LAB/offset-lab-web.js';
  init();
</script>
<div data-offset-lab data-offset-lab-link="?{link}"></div>
"#
    )
}

/// The file name of consumer `consumer`'s script, as the script's own instructions name it.
pub fn python_file_name(sc: &Scenario, consumer: usize) -> String {
    offset_lab_sim::render::script_file_name(sc, consumer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Action;

    /// The value of attribute `name` in `html`, entities decoded.
    fn attribute(html: &str, name: &str) -> String {
        let from = html.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let value = &html[from..from + html[from..].find('"').unwrap()];
        value
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    #[test]
    fn embed_this_gives_an_iframe_and_an_element_at_the_moment_on_screen() {
        let s = std::rc::Rc::new(AppState::new("step2-manual-commit"))
            .reduce(Action::NextNotable)
            .reduce(Action::NextNotable);
        assert!(s.time_ms > 0);
        let file = Export::Embed.file(&s).unwrap();
        assert_eq!(file.name, "step2-manual-commit-embed.html");
        let src = attribute(&file.text, "src");
        let query = src.strip_prefix("OFFSET_LAB/index.html?").unwrap();
        let framed = AppState::from_link(query);
        assert!(
            framed.embed,
            "the iframe's link asks for the compact layout"
        );
        assert_eq!((framed.time_ms, framed.cursor), (s.time_ms, s.cursor));
        assert_eq!(framed.scenario(), s.scenario());
        let link = attribute(&file.text, "data-offset-lab-link");
        let element = crate::session::element_state(&crate::protocol::ElementStart {
            link: Some(link),
            ..Default::default()
        });
        assert_eq!((element.time_ms, element.cursor), (s.time_ms, s.cursor));
        assert_eq!(element.preset, "step2-manual-commit");
    }
}
