//! MP4/MOV header reading: duration, creation time and picture size from `moov`.
