//! Where a value is in the body being checked.

use crate::domain::PathSegment;

/// Where a value is in the body: a chain of steps back to the root, each borrowed from the caller
/// a level up, so a step down allocates nothing (a valid body visits every field; only a problem
/// turns its path into owned segments).
#[derive(Clone, Copy, Default)]
pub(super) struct Path<'a> {
    up: Option<&'a Path<'a>>,
    step: Option<Step<'a>>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub(super) fn root() -> Path<'static> {
        Path::default()
    }

    pub(super) fn key(&'a self, key: &'a str) -> Path<'a> {
        self.then(Step::Key(key))
    }

    pub(super) fn at(&'a self, index: usize) -> Path<'a> {
        self.then(Step::Index(index))
    }

    fn then(&'a self, step: Step<'a>) -> Path<'a> {
        Path {
            up: Some(self),
            step: Some(step),
        }
    }

    /// The path's segments, from the root down.
    pub(super) fn segments(&self) -> Vec<PathSegment> {
        let mut segments = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            match path.step {
                Some(Step::Key(key)) => segments.push(PathSegment::Key(key.to_owned())),
                Some(Step::Index(index)) => segments.push(PathSegment::Index(index)),
                None => {}
            }
            at = path.up;
        }
        segments.reverse();
        segments
    }
}
