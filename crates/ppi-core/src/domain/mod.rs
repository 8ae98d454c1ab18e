//! The pure domain: time and frame arithmetic, identifiers, crop boxes. No I/O lives here.

pub mod crop;
pub mod entity;
pub mod frames;
pub mod ids;

pub use crop::CropBox;
pub use entity::{EntityId, Role, Username};
pub use frames::{Fps, FrameRange};
pub use ids::ItemId;
