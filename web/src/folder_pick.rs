//! Getting a card folder's files in the browser, three ways: the File System Access API's
//! `showDirectoryPicker` (read permission only; Chromium), a `<input webkitdirectory>` where it
//! is missing, and a dropped folder through `webkitGetAsEntry`. Each gives the folder's name and
//! its files with "/"-separated paths from the folder root.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileList};

use crate::protocol::{Failure, FailureKind};
use crate::worker_client::describe;

/// Bounds, as for the CLI's folder walk: a card folder is shallow and small; a huge tree picked
/// by mistake must not run forever.
const MAX_DEPTH: usize = 32;
const MAX_FILES: usize = 2_000_000;

/// A folder's name and its files.
#[derive(Clone)]
pub struct PickedFolder {
    /// The folder's own name.
    pub name: String,
    /// Each file with its path from the folder root.
    pub files: Vec<(String, File)>,
}

/// Whether this browser has `showDirectoryPicker`.
pub fn has_directory_picker() -> bool {
    web_sys::window()
        .and_then(|w| Reflect::get(&w, &"showDirectoryPicker".into()).ok())
        .is_some_and(|f| f.is_function())
}

fn get(target: &JsValue, key: &str) -> Result<JsValue, String> {
    Reflect::get(target, &key.into()).map_err(|e| describe(&e))
}

async fn call_async(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let array: js_sys::Array = args.iter().collect();
    let promise: Promise = f.apply(target, &array)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// Asks for a folder with `showDirectoryPicker` (read only). `Ok(None)` when the user cancels.
pub async fn pick_with_directory_picker() -> Result<Option<PickedFolder>, Failure> {
    let unreadable = |message: String| Failure::new(FailureKind::FolderUnreadable, message);
    let window = web_sys::window().ok_or_else(|| unreadable("no window".to_string()))?;
    let options = Object::new();
    let _ = Reflect::set(&options, &"mode".into(), &"read".into());
    let handle = match call_async(&window, "showDirectoryPicker", &[options.into()]).await {
        Ok(h) => h,
        Err(e)
            if get(&e, "name").ok().and_then(|n| n.as_string()).as_deref()
                == Some("AbortError") =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(Failure::new(
                FailureKind::Permission,
                format!(
                    "the browser did not give access to the folder ({})",
                    describe(&e)
                ),
            ));
        }
    };
    list_picked(handle).await.map(Some).map_err(unreadable)
}

/// The files under a folder handle from `showDirectoryPicker`.
async fn list_picked(handle: JsValue) -> Result<PickedFolder, String> {
    let name = get(&handle, "name")?.as_string().unwrap_or_default();
    let mut files = Vec::new();
    let mut stack = vec![(String::new(), handle, 0usize)];
    while let Some((prefix, dir, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(format!("{prefix}: folders nested too deeply"));
        }
        let values: Function = get(&dir, "values")?
            .dyn_into()
            .map_err(|_| "this browser cannot list folders".to_string())?;
        let iterator = values.call0(&dir).map_err(|e| describe(&e))?;
        loop {
            let step = call_async(&iterator, "next", &[])
                .await
                .map_err(|e| format!("cannot list {prefix}: {}", describe(&e)))?;
            if get(&step, "done")?.is_truthy() {
                break;
            }
            let entry = get(&step, "value")?;
            let entry_name = get(&entry, "name")?.as_string().unwrap_or_default();
            let path = format!("{prefix}{entry_name}");
            match get(&entry, "kind")?.as_string().as_deref() {
                Some("directory") => stack.push((format!("{path}/"), entry, depth + 1)),
                Some("file") => {
                    let file: File = call_async(&entry, "getFile", &[])
                        .await
                        .map_err(|e| format!("cannot open {path}: {}", describe(&e)))?
                        .dyn_into()
                        .map_err(|_| format!("{path} is not a file"))?;
                    files.push((path, file));
                    if files.len() > MAX_FILES {
                        return Err(format!("the folder has more than {MAX_FILES} files"));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(PickedFolder { name, files })
}

/// The files of a `<input webkitdirectory>`: their `webkitRelativePath` starts with the
/// folder's name, which is cut off.
pub fn from_file_list(list: &FileList) -> Option<PickedFolder> {
    let mut name = String::new();
    let mut files = Vec::new();
    for i in 0..list.length() {
        let Some(file) = list.get(i) else { continue };
        let relative = Reflect::get(&file, &"webkitRelativePath".into())
            .ok()
            .and_then(|p| p.as_string())
            .unwrap_or_else(|| file.name());
        let (root, rest) = relative.split_once('/').unwrap_or(("", relative.as_str()));
        if name.is_empty() {
            name = root.to_string();
        }
        files.push((rest.to_string(), file));
    }
    (!files.is_empty()).then_some(PickedFolder { name, files })
}

/// Wraps a callback-style entry API call (`readEntries`, `file`) as a future.
async fn callback_call(target: &JsValue, method: &str) -> Result<JsValue, String> {
    let f: Function = get(target, method)?
        .dyn_into()
        .map_err(|_| format!("this browser cannot {method}"))?;
    let target = target.clone();
    let promise = Promise::new(&mut |resolve, reject| {
        if let Err(e) = f.call2(&target, &resolve, &reject) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    JsFuture::from(promise).await.map_err(|e| describe(&e))
}

/// The files under a dropped folder (`FileSystemDirectoryEntry`).
pub async fn from_dropped_entry(root: JsValue) -> Result<PickedFolder, String> {
    let name = get(&root, "name")?.as_string().unwrap_or_default();
    let mut files = Vec::new();
    let mut stack = vec![(String::new(), root, 0usize)];
    while let Some((prefix, dir, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(format!("{prefix}: folders nested too deeply"));
        }
        let create: Function = get(&dir, "createReader")?
            .dyn_into()
            .map_err(|_| "this browser cannot list dropped folders".to_string())?;
        let reader = create.call0(&dir).map_err(|e| describe(&e))?;
        // readEntries gives a batch at a time, and an empty batch at the end.
        loop {
            let batch: js_sys::Array = callback_call(&reader, "readEntries")
                .await
                .map_err(|e| format!("cannot list {prefix}: {e}"))?
                .dyn_into()
                .map_err(|_| "unexpected folder listing".to_string())?;
            if batch.length() == 0 {
                break;
            }
            for entry in batch.iter() {
                let entry_name = get(&entry, "name")?.as_string().unwrap_or_default();
                let path = format!("{prefix}{entry_name}");
                if get(&entry, "isDirectory")?.is_truthy() {
                    stack.push((format!("{path}/"), entry, depth + 1));
                } else {
                    let file: File = callback_call(&entry, "file")
                        .await
                        .map_err(|e| format!("cannot open {path}: {e}"))?
                        .dyn_into()
                        .map_err(|_| format!("{path} is not a file"))?;
                    files.push((path, file));
                    if files.len() > MAX_FILES {
                        return Err(format!("the folder has more than {MAX_FILES} files"));
                    }
                }
            }
        }
    }
    Ok(PickedFolder { name, files })
}
