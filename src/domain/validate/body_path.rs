//! Where a value is in the body being checked.

use crate::domain::PathSegment;

/// Where a value is in the body: a chain of steps back to the root, shared by every path below
/// it, so a step down costs one small allocation and no copy of the steps above (a valid body
/// visits every field; only a problem turns its path into segments).
#[derive(Clone, Default)]
pub(super) struct Path(Option<std::rc::Rc<Link>>);

/// One step of a `Path`: the path above it and the segment down.
struct Link {
    up: Path,
    segment: PathSegment,
}

impl Path {
    pub(super) fn root() -> Self {
        Path(None)
    }

    pub(super) fn key(&self, key: &str) -> Path {
        self.then(PathSegment::Key(key.to_owned()))
    }

    pub(super) fn at(&self, index: usize) -> Path {
        self.then(PathSegment::Index(index))
    }

    pub(super) fn then(&self, segment: PathSegment) -> Path {
        let up = self.clone();
        Path(Some(std::rc::Rc::new(Link { up, segment })))
    }

    /// The path's segments, from the root down.
    pub(super) fn segments(&self) -> Vec<PathSegment> {
        let mut segments = Vec::new();
        let mut at = &self.0;
        while let Some(link) = at {
            segments.push(link.segment.clone());
            at = &link.up.0;
        }
        segments.reverse();
        segments
    }
}
