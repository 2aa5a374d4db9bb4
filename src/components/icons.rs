//! Small inline SVG icons (system fonts do not all have the media-control glyphs).

use yew::prelude::*;

fn icon(d: &'static str) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path d={d} /></svg>
    }
}

pub fn to_start() -> Html {
    icon("M3 3h2v10H3z M13 3v10L6 8z")
}
pub fn to_end() -> Html {
    icon("M11 3h2v10h-2z M3 3v10l7-5z")
}
pub fn prev_key() -> Html {
    icon("M8 3v10L2 8z M15 3v10L9 8z")
}
pub fn next_key() -> Html {
    icon("M1 3v10l6-5z M8 3v10l6-5z")
}
pub fn step_back() -> Html {
    icon("M11 3h2v10h-2z M10 3v10L4 8z")
}
pub fn step_forward() -> Html {
    icon("M3 3h2v10H3z M6 3v10l6-5z")
}
pub fn play() -> Html {
    icon("M4 2.5v11l9.5-5.5z")
}
pub fn pause() -> Html {
    icon("M3.5 2.5h3v11h-3z M9.5 2.5h3v11h-3z")
}
pub fn import() -> Html {
    icon("M7 1h2v7.2l2.6-2.6 1.4 1.4L8 12 3 7l1.4-1.4L7 8.2z M2 13h12v2H2z")
}
pub fn export() -> Html {
    icon("M7 12h2V4.8l2.6 2.6L13 6 8 1 3 6l1.4 1.4L7 4.8z M2 13h12v2H2z")
}
