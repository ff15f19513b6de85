//! A `File` (or any `Blob`) as `Read + Seek`, read synchronously in the worker through
//! `FileReaderSync` over `Blob.slice`: the image is never loaded whole, only the ranges the
//! core's block reader asks for (it asks in large aligned blocks, because each call costs
//! ~0.6 ms whatever its size).

use std::io::{self, Read, Seek, SeekFrom};

use js_sys::Uint8Array;
use web_sys::{Blob, FileReaderSync};

/// A blob read synchronously. Only usable inside a worker (`FileReaderSync` exists nowhere
/// else).
pub struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
    len: u64,
    pos: u64,
}

impl BlobSource {
    /// Wraps `blob`; fails outside a worker.
    pub fn new(blob: Blob) -> io::Result<Self> {
        let reader =
            FileReaderSync::new().map_err(|e| js_error("FileReaderSync is not available", &e))?;
        let len = blob.size() as u64;
        Ok(Self {
            blob,
            reader,
            len,
            pos: 0,
        })
    }

    /// Size of the blob in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty blob.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// An `io::Error` carrying what the browser said.
pub fn js_error(what: &str, e: &wasm_bindgen::JsValue) -> io::Error {
    let detail = js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    io::Error::other(format!("{what}: {detail}"))
}

impl Read for BlobSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let end = (self.pos + buf.len() as u64).min(self.len);
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.pos as f64, end as f64)
            .map_err(|e| js_error("cannot slice the file", &e))?;
        let data = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|e| js_error("the browser could not read the file", &e))?;
        let bytes = Uint8Array::new(&data);
        let n = (bytes.length() as usize).min(buf.len());
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file got shorter while it was read",
            ));
        }
        bytes.slice(0, n as u32).copy_to(&mut buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = dashcard::seek::resolve(self.pos, self.len, to, "the file")?;
        Ok(self.pos)
    }
}
