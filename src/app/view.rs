//! The latest screen, merged: the worker sends the run, the code view and the lab progress only
//! when they change, and the frame every time; this keeps the last of each. Plus what the
//! worker is doing (building a long run) and whether it failed.

use std::rc::Rc;

use offset_lab_session::builder::BuilderVm;
use offset_lab_session::protocol::FromWorker;
use offset_lab_session::screen::{CodeVm, Frame, LabPart, RunView};
use yew::Reducible;

use crate::backend::Heard;

/// What is on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub run: Rc<RunView>,
    pub code: Rc<CodeVm>,
    pub builder: Rc<BuilderVm>,
    pub lab: Rc<LabPart>,
    /// The link to the moment on screen (query string).
    pub link: String,
    pub frame: Rc<Frame>,
    /// The Experiments panel's last sweep.
    pub sweep: Option<Rc<offset_lab_session::view::sweep::SweepVm>>,
    /// The last comparison of two runs.
    pub side_by_side: Option<Rc<offset_lab_session::side_by_side::SideBySideVm>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewState {
    /// `None` until the first screen arrives.
    pub view: Option<Rc<View>>,
    /// A run being built: how far, in per mille.
    pub progress: Option<u32>,
    /// The simulator cannot run: why.
    pub failed: Option<String>,
}

pub enum ViewAction {
    Heard(Heard),
}

impl Reducible for ViewState {
    type Action = ViewAction;

    fn reduce(self: Rc<Self>, action: ViewAction) -> Rc<Self> {
        let ViewAction::Heard(heard) = action;
        let mut s = (*self).clone();
        match heard {
            Heard::Message(m) => match &*m {
                FromWorker::Screen { screen, .. } => {
                    let prev = s.view.as_deref();
                    let (Some(run), Some(code), Some(builder), Some(lab)) = (
                        screen.run.clone().or_else(|| prev.map(|p| p.run.clone())),
                        screen.code.clone().or_else(|| prev.map(|p| p.code.clone())),
                        screen
                            .builder
                            .clone()
                            .or_else(|| prev.map(|p| p.builder.clone())),
                        screen.lab.clone().or_else(|| prev.map(|p| p.lab.clone())),
                    ) else {
                        // A screen that assumes one before it: nothing to draw it on.
                        return self;
                    };
                    s.view = Some(Rc::new(View {
                        run,
                        code,
                        builder,
                        lab,
                        link: screen
                            .link
                            .clone()
                            .or_else(|| prev.map(|p| p.link.clone()))
                            .unwrap_or_default(),
                        frame: Rc::new(screen.frame.clone()),
                        sweep: screen
                            .sweep
                            .clone()
                            .or_else(|| prev.and_then(|p| p.sweep.clone())),
                        side_by_side: screen
                            .side_by_side
                            .clone()
                            .or_else(|| prev.and_then(|p| p.side_by_side.clone())),
                    }));
                    s.progress = None;
                    s.failed = None;
                }
                FromWorker::Progress { permille, .. } => s.progress = Some(*permille),
                _ => return self,
            },
            Heard::Restarting { .. } => s.progress = None,
            Heard::Failed(why) => {
                s.progress = None;
                s.failed = Some(why);
            }
        }
        Rc::new(s)
    }
}
