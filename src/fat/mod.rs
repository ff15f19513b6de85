//! The FAT volume: `fatfs` for the listing, and a small read-only layer for what it hides.
