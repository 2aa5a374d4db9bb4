//! The same program under both client models, side by side: how many payments each loses,
//! duplicates or applies once by the end of the run, and one sentence on why they differ.

use crate::backend::Dispatch;
use std::rc::Rc;

use offset_lab_sim::scenario::ClientModel;
use yew::prelude::*;

use crate::edit::Setting;
use crate::state::Action;
use crate::view::clients::{ClientsVm, client_name};

const COLUMNS: [&str; 3] = ["lost", "duplicated", "once"];

/// A plain function, not a component: a component type of its own would weigh more in the
/// bundle than this small table costs to rebuild.
/// Folded until the run has reached its end, so that it does not give away a "predict before
/// you run" answer; the student can still open it at any time.
pub fn client_compare(vm: &Rc<ClientsVm>, dispatch: &Dispatch, at_end: bool) -> Html {
    let switch = |to: ClientModel| {
        let d = dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ChangeSetting(Setting::Client(to))))
    };
    html! {
        <details class="clients" open={at_end} aria-label="The same program under both clients">
            <summary class="clients-summary">{ "Same program, other client: compare the outcomes" }</summary>
            <table class="clients-table">
                <caption>{ "Same program, both clients · at the end of the run" }</caption>
                <thead>
                    <tr>
                        <th scope="col"><span class="sr-only">{ "client" }</span></th>
                        { for COLUMNS.iter().map(|c| html! { <th scope="col">{ *c }</th> }) }
                    </tr>
                </thead>
                <tbody>
                    { for vm.rows.iter().map(|row| html! {
                        <tr class={classes!(row.current.then_some("current"))}
                            data-client={if row.client == ClientModel::Java { "java" } else { "librdkafka" }}>
                            <th scope="row">
                                { client_name(row.client) }
                                if row.current {
                                    <span class="clients-now">{ "this run" }</span>
                                } else {
                                    <button type="button" class="link small" onclick={switch(row.client)}
                                        aria-label={format!("Switch this run to {}", client_name(row.client))}>
                                        { "switch" }
                                    </button>
                                }
                            </th>
                            { match &row.summary {
                                Ok(s) => html! {
                                    <>
                                        <td class={classes!("n", (s.lost > 0).then_some("bad-lost"))}>{ s.lost }</td>
                                        <td class={classes!("n", (s.duplicated > 0).then_some("bad-dup"))}>
                                            { s.duplicated }
                                        </td>
                                        <td class="n">{ s.once }</td>
                                    </>
                                },
                                Err(_) => html! { <td colspan="3" class="muted">{ "cannot run this program" }</td> },
                            } }
                        </tr>
                    }) }
                </tbody>
            </table>
            <p class="clients-why">{ vm.why.clone() }</p>
        </details>
    }
}
