//! Where a new volume's structures go: boot regions, FAT, cluster heap, and the bitmap, up-case
//! table and root folder at the start of the heap.

/// How to format a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    /// Size of the volume in bytes (rounded down to whole sectors).
    pub volume_bytes: u64,
    /// Bytes per sector: 512, 1024, 2048 or 4096.
    pub sector_bytes: u32,
    /// Bytes per cluster: a power of two from the sector size up to 32 MiB (Nexar N1 cards use
    /// 128, 256 or 512 KiB).
    pub cluster_bytes: u32,
    /// Volume label (up to 11 characters).
    pub label: Option<String>,
    /// Volume serial number (Nexar firmware writes 0).
    pub serial: u32,
    /// Where the volume starts in the image.
    pub volume_offset: u64,
    /// Also write an MBR in sector 0 with one partition of type 07h around the volume (the
    /// offset must then be a non-zero multiple of 512).
    pub write_mbr: bool,
    /// The FAT and the cluster heap start on multiples of this (or of the cluster, when
    /// larger), as SD card formatters align them to the card's erase blocks. 1 MiB by default.
    pub align_bytes: u64,
}

impl FormatOptions {
    /// A bare volume of `volume_bytes` with 512-byte sectors and `cluster_bytes` clusters.
    pub fn new(volume_bytes: u64, cluster_bytes: u32) -> Self {
        Self {
            volume_bytes,
            sector_bytes: 512,
            cluster_bytes,
            label: None,
            serial: 0,
            volume_offset: 0,
            write_mbr: false,
            align_bytes: 1024 * 1024,
        }
    }
}

/// The planned layout, in bytes from the start of the volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Bytes per sector.
    pub sector_bytes: u32,
    /// Bytes per cluster.
    pub cluster_bytes: u32,
    /// Volume size, whole sectors.
    pub volume_bytes: u64,
    /// Offset of the FAT.
    pub fat_offset: u64,
    /// Size of the FAT (whole sectors).
    pub fat_bytes: u64,
    /// Offset of cluster 2.
    pub heap_offset: u64,
    /// Clusters in the heap.
    pub cluster_count: u32,
    /// Bytes of the allocation bitmap.
    pub bitmap_bytes: u64,
}

/// The most clusters a FAT can describe.
const MAX_CLUSTERS: u64 = (1 << 32) - 11;

fn align_up(value: u64, to: u64) -> u64 {
    value.div_ceil(to) * to
}

impl Layout {
    /// Plans a volume; says why when the options cannot make one.
    pub fn plan(options: &FormatOptions) -> Result<Self, String> {
        let sb = options.sector_bytes as u64;
        let cb = options.cluster_bytes as u64;
        if !(512..=4096).contains(&sb) || !sb.is_power_of_two() {
            return Err(format!("sector size {sb} is not 512, 1024, 2048 or 4096"));
        }
        if cb < sb || cb > 32 * 1024 * 1024 || !cb.is_power_of_two() {
            return Err(format!(
                "cluster size {cb} is not a power of two between the sector size and 32 MiB"
            ));
        }
        let align = options.align_bytes;
        if align < sb || !align.is_power_of_two() {
            return Err(format!(
                "alignment {align} is not a power of two of at least a sector"
            ));
        }
        let volume_bytes = options.volume_bytes / sb * sb;
        let fat_offset = align_up(24 * sb, align);
        // Size the FAT for every cluster the volume could hold: a little generous, never short.
        let upper = (volume_bytes / cb).min(MAX_CLUSTERS);
        let fat_bytes = align_up((upper + 2) * 4, sb);
        let heap_offset = align_up(fat_offset + fat_bytes, align.max(cb));
        let cluster_count = (volume_bytes.saturating_sub(heap_offset) / cb).min(MAX_CLUSTERS);
        let bitmap_bytes = cluster_count.div_ceil(8);
        // Bitmap, up-case table, root folder, and room for at least one file.
        let needed = bitmap_bytes.div_ceil(cb) + 8192u64.div_ceil(cb) + 2;
        if volume_bytes < 1024 * 1024 || cluster_count < needed {
            return Err(format!(
                "a volume of {volume_bytes} bytes is too small for {cb}-byte clusters"
            ));
        }
        Ok(Layout {
            sector_bytes: options.sector_bytes,
            cluster_bytes: options.cluster_bytes,
            volume_bytes,
            fat_offset,
            fat_bytes,
            heap_offset,
            cluster_count: cluster_count as u32,
            bitmap_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_256_gb_card_with_256_kib_clusters() {
        let l = Layout::plan(&FormatOptions::new(256_000_000_000, 256 * 1024)).unwrap();
        assert_eq!(l.fat_offset, 1024 * 1024);
        assert!(l.fat_bytes >= (l.cluster_count as u64 + 2) * 4);
        assert_eq!(l.heap_offset % (1024 * 1024), 0);
        assert!(l.heap_offset + l.cluster_count as u64 * 256 * 1024 <= l.volume_bytes);
        assert!(l.cluster_count > 970_000);
    }

    #[test]
    fn impossible_options_are_refused() {
        assert!(Layout::plan(&FormatOptions::new(1 << 30, 3000)).is_err());
        assert!(Layout::plan(&FormatOptions::new(1 << 30, 64 * 1024 * 1024)).is_err());
        assert!(Layout::plan(&FormatOptions::new(2 << 20, 512 * 1024)).is_err());
        let mut o = FormatOptions::new(1 << 30, 4096);
        o.sector_bytes = 8192;
        assert!(Layout::plan(&o).is_err());
    }
}
