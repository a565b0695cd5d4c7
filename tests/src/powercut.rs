//! Power loss for SQLite files: a VFS that passes everything to the platform's own and keeps, for
//! each file under a watched directory, the bytes a disk would hold after a power cut.
//!
//! A write reaches the disk only when the file is synced: the VFS records each `xWrite` and
//! `xTruncate` of a watched file as pending, and applies the pending ones to the file's durable
//! image when any handle of that file calls `xSync` (as `fsync` flushes a file's dirty pages,
//! whoever wrote them). A file's image starts as its bytes when first opened (what the disk held
//! then), and a deleted file's image goes with it. [`durable_copy`] writes the images out: the
//! files as they would be found after the power came back, with every write that was not yet
//! synced dropped. What SQLite then makes of them (its WAL recovery) is exactly what it would
//! make of a disk after a real power cut, as far as the order of syncs goes; torn sectors are
//! not simulated.
//!
//! [`install`] registers the VFS as the process's default once; files outside every watched
//! directory pass through untouched. The shared-memory index (`-shm`) is never durable: it is
//! rebuilt from the WAL after a crash, and [`durable_copy`] leaves it out.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use rusqlite::ffi;

/// A change to a file not yet synced.
enum Pending {
    Write(u64, Vec<u8>),
    Truncate(u64),
}

/// What the disk holds of one file, and what waits for its next sync.
#[derive(Default)]
struct Image {
    durable: Vec<u8>,
    pending: Vec<Pending>,
}

impl Image {
    fn apply_pending(&mut self) {
        for op in self.pending.drain(..) {
            match op {
                Pending::Write(offset, bytes) => {
                    let (start, end) = (offset as usize, offset as usize + bytes.len());
                    if self.durable.len() < end {
                        self.durable.resize(end, 0);
                    }
                    self.durable[start..end].copy_from_slice(&bytes);
                }
                Pending::Truncate(size) => self.durable.truncate(size as usize),
            }
        }
    }
}

#[derive(Default)]
struct State {
    watched: Vec<PathBuf>,
    images: HashMap<PathBuf, Image>,
}

fn state() -> MutexGuard<'static, State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

impl State {
    fn is_watched(&self, path: &Path) -> bool {
        self.watched.iter().any(|w| path.starts_with(w))
    }
}

/// Registers the VFS as the default of every connection this process opens from now on (once;
/// later calls do nothing).
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // SAFETY: `sqlite3_vfs_find(NULL)` returns the default VFS, which lives as long as the
        // process; the VFS made here is leaked, so it does too, as SQLite requires.
        unsafe {
            let real = ffi::sqlite3_vfs_find(std::ptr::null());
            assert!(!real.is_null(), "SQLite has a default VFS");
            let name = CString::new("trellis-powercut").expect("a name without NUL");
            let vfs = Box::new(ffi::sqlite3_vfs {
                iVersion: (*real).iVersion,
                szOsFile: std::mem::size_of::<ShimFile>() as c_int,
                mxPathname: (*real).mxPathname,
                pNext: std::ptr::null_mut(),
                zName: name.into_raw(),
                pAppData: real.cast(),
                xOpen: Some(open),
                xDelete: Some(delete),
                xAccess: (*real).xAccess,
                xFullPathname: (*real).xFullPathname,
                xDlOpen: (*real).xDlOpen,
                xDlError: (*real).xDlError,
                xDlSym: (*real).xDlSym,
                xDlClose: (*real).xDlClose,
                xRandomness: (*real).xRandomness,
                xSleep: (*real).xSleep,
                xCurrentTime: (*real).xCurrentTime,
                xGetLastError: (*real).xGetLastError,
                xCurrentTimeInt64: (*real).xCurrentTimeInt64,
                xSetSystemCall: (*real).xSetSystemCall,
                xGetSystemCall: (*real).xGetSystemCall,
                xNextSystemCall: (*real).xNextSystemCall,
            });
            let rc = ffi::sqlite3_vfs_register(Box::into_raw(vfs), 1);
            assert_eq!(rc, ffi::SQLITE_OK, "the power-cut VFS registers");
        }
    });
}

/// Tracks every file opened under `dir` from now on.
pub fn watch(dir: &Path) {
    state().watched.push(dir.to_path_buf());
}

/// Stops tracking `dir` and forgets its files' images.
pub fn forget(dir: &Path) {
    let mut s = state();
    s.watched.retain(|w| w != dir);
    s.images.retain(|p, _| !p.starts_with(dir));
}

/// Writes what a power cut now would leave of each tracked file whose path starts with `from`
/// (a directory, or a file name prefix such as `relay.sqlite3`) to the same path with that
/// prefix replaced by `to`; returns how many files. Files written but never synced come out
/// empty; shared-memory files are left out.
pub fn durable_copy(from: &Path, to: &Path) -> std::io::Result<usize> {
    let copies: Vec<(PathBuf, Vec<u8>)> = {
        let s = state();
        let from = from.to_string_lossy().into_owned();
        s.images
            .iter()
            .filter_map(|(path, image)| {
                let p = path.to_string_lossy();
                let rest = p.strip_prefix(from.as_str())?;
                if p.ends_with("-shm") {
                    return None;
                }
                let target = PathBuf::from(format!("{}{rest}", to.to_string_lossy()));
                Some((target, image.durable.clone()))
            })
            .collect()
    };
    for (path, bytes) in &copies {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(copies.len())
}

/// One open file: SQLite's handle (whose methods are ours), the platform VFS's handle it wraps,
/// and the path when it is tracked.
#[repr(C)]
struct ShimFile {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    real_size: usize,
    /// A leaked `PathBuf` when the file is tracked; null otherwise.
    path: *mut PathBuf,
}

const ALIGN: usize = 16;

fn layout(size: usize) -> std::alloc::Layout {
    std::alloc::Layout::from_size_align(size.max(1), ALIGN).expect("a valid layout")
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

/// The wrapped handle and its methods.
///
/// # Safety
/// `f` is a handle this VFS opened and has not closed.
unsafe fn inner(
    f: *mut ffi::sqlite3_file,
) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    let real = (*f.cast::<ShimFile>()).real;
    (real, &*(*real).pMethods)
}

/// The tracked path of a handle, if any.
///
/// # Safety
/// As [`inner`].
unsafe fn tracked(f: *mut ffi::sqlite3_file) -> Option<&'static Path> {
    let p = (*f.cast::<ShimFile>()).path;
    (!p.is_null()).then(|| (*p).as_path())
}

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real_vfs: *mut ffi::sqlite3_vfs = (*vfs).pAppData.cast();
    let real_size = (*real_vfs).szOsFile as usize;
    let real: *mut ffi::sqlite3_file = std::alloc::alloc_zeroed(layout(real_size)).cast();
    let shim = file.cast::<ShimFile>();
    (*shim).base.pMethods = std::ptr::null();
    if real.is_null() {
        return ffi::SQLITE_NOMEM;
    }
    let Some(x_open) = (*real_vfs).xOpen else {
        std::alloc::dealloc(real.cast(), layout(real_size));
        return ffi::SQLITE_ERROR;
    };
    let rc = x_open(real_vfs, name, real, flags, out_flags);
    if rc != ffi::SQLITE_OK {
        if !(*real).pMethods.is_null() {
            if let Some(close) = (*(*real).pMethods).xClose {
                close(real);
            }
        }
        std::alloc::dealloc(real.cast(), layout(real_size));
        return rc;
    }
    let mut path = std::ptr::null_mut();
    if !name.is_null() && flags & ffi::SQLITE_OPEN_DELETEONCLOSE == 0 {
        let p = PathBuf::from(CStr::from_ptr(name).to_string_lossy().into_owned());
        let mut s = state();
        if s.is_watched(&p) {
            if !s.images.contains_key(&p) {
                let durable = std::fs::read(&p).unwrap_or_default();
                s.images.insert(
                    p.clone(),
                    Image {
                        durable,
                        pending: Vec::new(),
                    },
                );
            }
            path = Box::into_raw(Box::new(p));
        }
    }
    (*shim).real = real;
    (*shim).real_size = real_size;
    (*shim).path = path;
    (*shim).base.pMethods = &METHODS;
    rc
}

unsafe extern "C" fn delete(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    let real_vfs: *mut ffi::sqlite3_vfs = (*vfs).pAppData.cast();
    let Some(x_delete) = (*real_vfs).xDelete else {
        return ffi::SQLITE_ERROR;
    };
    let rc = x_delete(real_vfs, name, sync_dir);
    if rc == ffi::SQLITE_OK && !name.is_null() {
        let p = PathBuf::from(CStr::from_ptr(name).to_string_lossy().into_owned());
        state().images.remove(&p);
    }
    rc
}

unsafe extern "C" fn close(f: *mut ffi::sqlite3_file) -> c_int {
    let shim = f.cast::<ShimFile>();
    let (real, m) = inner(f);
    let rc = m.xClose.map_or(ffi::SQLITE_OK, |x| x(real));
    std::alloc::dealloc(real.cast(), layout((*shim).real_size));
    if !(*shim).path.is_null() {
        drop(Box::from_raw((*shim).path));
        (*shim).path = std::ptr::null_mut();
    }
    rc
}

unsafe extern "C" fn read(
    f: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    n: c_int,
    off: i64,
) -> c_int {
    let (real, m) = inner(f);
    m.xRead.map_or(ffi::SQLITE_IOERR, |x| x(real, buf, n, off))
}

unsafe extern "C" fn write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    n: c_int,
    off: i64,
) -> c_int {
    let (real, m) = inner(f);
    let rc = m.xWrite.map_or(ffi::SQLITE_IOERR, |x| x(real, buf, n, off));
    if rc == ffi::SQLITE_OK {
        if let Some(p) = tracked(f) {
            let bytes = std::slice::from_raw_parts(buf.cast::<u8>(), n.max(0) as usize).to_vec();
            if let Some(image) = state().images.get_mut(p) {
                image.pending.push(Pending::Write(off.max(0) as u64, bytes));
            }
        }
    }
    rc
}

unsafe extern "C" fn truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
    let (real, m) = inner(f);
    let rc = m.xTruncate.map_or(ffi::SQLITE_IOERR, |x| x(real, size));
    if rc == ffi::SQLITE_OK {
        if let Some(p) = tracked(f) {
            if let Some(image) = state().images.get_mut(p) {
                image.pending.push(Pending::Truncate(size.max(0) as u64));
            }
        }
    }
    rc
}

unsafe extern "C" fn sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    let (real, m) = inner(f);
    let rc = m.xSync.map_or(ffi::SQLITE_IOERR, |x| x(real, flags));
    if rc == ffi::SQLITE_OK {
        if let Some(p) = tracked(f) {
            if let Some(image) = state().images.get_mut(p) {
                image.apply_pending();
            }
        }
    }
    rc
}

unsafe extern "C" fn file_size(f: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    let (real, m) = inner(f);
    m.xFileSize.map_or(ffi::SQLITE_IOERR, |x| x(real, size))
}

unsafe extern "C" fn lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (real, m) = inner(f);
    m.xLock.map_or(ffi::SQLITE_IOERR, |x| x(real, level))
}

unsafe extern "C" fn unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (real, m) = inner(f);
    m.xUnlock.map_or(ffi::SQLITE_IOERR, |x| x(real, level))
}

unsafe extern "C" fn check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    let (real, m) = inner(f);
    m.xCheckReservedLock
        .map_or(ffi::SQLITE_IOERR, |x| x(real, out))
}

unsafe extern "C" fn file_control(f: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    let (real, m) = inner(f);
    m.xFileControl
        .map_or(ffi::SQLITE_NOTFOUND, |x| x(real, op, arg))
}

unsafe extern "C" fn sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    let (real, m) = inner(f);
    m.xSectorSize.map_or(4096, |x| x(real))
}

unsafe extern "C" fn device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    let (real, m) = inner(f);
    m.xDeviceCharacteristics.map_or(0, |x| x(real))
}

unsafe extern "C" fn shm_map(
    f: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (real, m) = inner(f);
    if m.iVersion < 2 {
        return ffi::SQLITE_IOERR;
    }
    m.xShmMap
        .map_or(ffi::SQLITE_IOERR, |x| x(real, region, size, extend, out))
}

unsafe extern "C" fn shm_lock(
    f: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    let (real, m) = inner(f);
    m.xShmLock
        .map_or(ffi::SQLITE_IOERR, |x| x(real, offset, n, flags))
}

unsafe extern "C" fn shm_barrier(f: *mut ffi::sqlite3_file) {
    let (real, m) = inner(f);
    if let Some(x) = m.xShmBarrier {
        x(real);
    }
}

unsafe extern "C" fn shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    let (real, m) = inner(f);
    m.xShmUnmap.map_or(ffi::SQLITE_OK, |x| x(real, delete))
}

unsafe extern "C" fn fetch(
    f: *mut ffi::sqlite3_file,
    off: i64,
    n: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (real, m) = inner(f);
    if m.iVersion < 3 {
        *out = std::ptr::null_mut();
        return ffi::SQLITE_OK;
    }
    m.xFetch.map_or_else(
        || {
            *out = std::ptr::null_mut();
            ffi::SQLITE_OK
        },
        |x| x(real, off, n, out),
    )
}

unsafe extern "C" fn unfetch(f: *mut ffi::sqlite3_file, off: i64, p: *mut c_void) -> c_int {
    let (real, m) = inner(f);
    if m.iVersion < 3 {
        return ffi::SQLITE_OK;
    }
    m.xUnfetch.map_or(ffi::SQLITE_OK, |x| x(real, off, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit with `synchronous=FULL` survives a power cut; with `synchronous=OFF` (no sync
    /// at all) the rows written since the file was last synced do not.
    #[test]
    fn what_was_synced_survives_a_power_cut_and_nothing_else_does() {
        install();
        let dir = tempfile::tempdir().unwrap();
        watch(dir.path());
        let db = dir.path().join("a.sqlite3");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        conn.pragma_update(None, "synchronous", "OFF").unwrap();
        conn.execute("INSERT INTO t VALUES (2)", []).unwrap();
        let after = dir.path().join("after");
        std::fs::create_dir_all(&after).unwrap();
        let copied = durable_copy(&db, &after.join("a.sqlite3")).unwrap();
        assert!(copied >= 1);
        let back = rusqlite::Connection::open(after.join("a.sqlite3")).unwrap();
        let rows: Vec<i64> = back
            .prepare("SELECT x FROM t ORDER BY x")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [1],
            "the synced row is there and the unsynced one is not"
        );
        // The live file, meanwhile, holds both (the page cache has them).
        let live: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(live, 2);
        drop(back);
        forget(dir.path());
    }
}
