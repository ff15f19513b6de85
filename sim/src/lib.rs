//! # dashcard-sim — synthetic Nexar cards
//!
//! Everything that *writes* cards, kept out of the read-only `dashcard` core: a FAT32 card
//! writer ([`CardBuilder`]) that lays out files the way a camera's FAT driver would, an exFAT
//! writer ([`exfat`]) and the card made with it ([`ExfatCard`]), one interface over both
//! ([`CardWriter`]), a camera simulation ([`camera`]) that records days of drives and parking
//! incidents onto either with loop deletions, and a sparse in-memory image
//! ([`memory::SparseMemory`]) for the page's sample card.
//!
//! Directory entries are encoded with the core's own [`dashcard::fat::dir_entry`] encoder and
//! the models' behaviour comes from the core's table ([`dashcard::catalog::models`]), so the
//! writer and the reader share one description of the format and of the cameras. The *truth*
//! each card comes with is what the writer did (which clusters it gave whom, which a later file
//! took), never the reader's rules applied to its output.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
pub mod camera;
mod card_writer;
pub mod exfat;
mod exfat_card;
mod formatted;
pub mod memory;
mod mp4_skeleton;
pub mod rng;
mod short_names;
mod sparse;
mod truth;

pub use builder::{BuildError, CardBuilder, CardLayout, Content, FileSpec};
pub use card_writer::{CardFilesystem, CardWriter};
pub use exfat_card::ExfatCard;
pub use mp4_skeleton::ClipHeader;
pub use truth::{CardTruth, TruthFile};
