//! The space the loop works in: capacity, free space, what is held back and the allocation
//! unit, each from the card or a what-if input, with where it came from.

use crate::catalog::CatalogFile;
use crate::catalog::bounds::counted_bytes;
use crate::catalog::classify::Pool;
use crate::listing::{Listing, SourceKind};

use super::{Input, WhatIf};

/// Cluster size assumed when the source does not tell (a folder): what SDXC cards are
/// formatted with.
pub const ASSUMED_CLUSTER_BYTES: u64 = 32 * 1024;

/// Capacity, free space and allocation unit, from the card or the what-if inputs.
pub(super) struct Space {
    pub capacity: Input<u64>,
    pub free: Input<u64>,
    pub reserved: Input<u64>,
    pub cluster: Input<u64>,
}

impl Space {
    /// The space of `listing`, with the what-if inputs; `family_reserve` is what the family's
    /// loop keeps free (3 GiB on the newer cameras, 0 before).
    pub fn of(
        listing: &Listing,
        files: &[CatalogFile],
        what_if: &WhatIf,
        family_reserve: u64,
    ) -> Self {
        let volume = &listing.volume;
        let cluster = match volume.cluster_bytes {
            Some(c) if c > 0 => Input::new(Some(u64::from(c)), "card"),
            _ => Input::new(
                Some(ASSUMED_CLUSTER_BYTES),
                "assumed: 32 KiB, how SDXC cards are formatted (a folder does not tell)",
            ),
        };
        let unit = cluster.value.unwrap_or(ASSUMED_CLUSTER_BYTES);
        let used = saturating_sum(
            listing
                .files
                .iter()
                .zip(files)
                .filter(|(l, _)| !l.deleted)
                .map(|(l, f)| round_up(counted_bytes(l, f), unit)),
        );
        let (capacity, free) = match (what_if.capacity_bytes, volume.capacity_bytes) {
            (Some(c), measured) if measured != Some(c) => (
                Input::new(Some(c), "what-if"),
                Input::new(
                    Some(c.saturating_sub(used)),
                    "capacity minus the files on the card",
                ),
            ),
            (_, Some(c)) => {
                let capacity = if listing.source.kind == SourceKind::Folder {
                    Input::new(Some(c), "given for the folder")
                } else {
                    Input::new(Some(c), "card")
                };
                let free = match volume.free_bytes {
                    Some(f) => Input::new(Some(f), volume.free_space_source()),
                    None => Input::new(
                        Some(c.saturating_sub(used)),
                        "capacity minus the files on the card",
                    ),
                };
                (capacity, free)
            }
            (_, None) => (
                Input::new(None, "unknown: give the card size"),
                Input::new(None, "unknown: give the card size"),
            ),
        };
        let reserved = match (what_if.reserved_bytes, family_reserve) {
            (Some(r), _) => Input::new(Some(r), "what-if"),
            (None, 0) => Input::new(Some(0), "none"),
            (None, r) => Input::new(
                Some(r),
                "the camera's own: it deletes the oldest clips until 3 GiB (3,221,225,472 bytes) are free (Nexar Beam 2K, Zero and N1 firmware)",
            ),
        };
        Self {
            capacity,
            free,
            reserved,
            cluster,
        }
    }

    /// The allocation unit every file's size is rounded up to.
    pub fn unit(&self) -> u64 {
        self.cluster.value.unwrap_or(ASSUMED_CLUSTER_BYTES)
    }

    /// Free space the loop can still fill before deleting.
    pub fn usable_free(&self) -> Option<u64> {
        Some(
            self.free
                .value?
                .saturating_sub(self.reserved.value.unwrap_or(0)),
        )
    }

    /// True when the loop pool has no room for another recording: the usable free space is
    /// under two of the card's largest loop recordings, so the camera must delete to write the
    /// next one.
    pub fn is_full(&self, listing: &Listing, files: &[CatalogFile]) -> bool {
        let Some(free) = self.usable_free() else {
            return false;
        };
        let largest = listing
            .files
            .iter()
            .zip(files)
            .filter(|(l, f)| !l.deleted && f.excluded.is_none() && f.pool == Some(Pool::Loop))
            .map(|(l, _)| round_up(l.bytes, self.unit()))
            .max();
        largest.is_some_and(|l| free < l.saturating_mul(2))
    }
}

/// A sum of byte counts that stops at `u64::MAX` instead of overflowing on a hostile listing.
pub(super) fn saturating_sum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}

/// `bytes` in whole allocation units.
pub(super) fn round_up(bytes: u64, unit: u64) -> u64 {
    bytes.div_ceil(unit.max(1)).saturating_mul(unit.max(1))
}
