//! Windows: a region named `NAME` is a named section backed by the page file, the object
//! C#'s `MemoryMappedFile.CreateOrOpen("NAME", len)` and Python's `mmap.mmap(-1, len,
//! "NAME")` create: `CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, ..)`.
//!
//! - A section exists only while some process holds a handle to it (or a view of it): when
//!   its last holder exits, the name is gone. There is nothing to unlink.
//! - `NAME` and `Local\NAME` are the same object (the session's namespace); `Global\NAME`
//!   is another one (creating it needs `SeCreateGlobalPrivilege` outside session 0).
//! - Sections, events, mutexes and semaphores share one namespace: the locks and wake-up
//!   events of a region are named `NAME` plus a suffix (`.shmbmp-lock-BYTE`,
//!   `.shmbmp-wake-0`/`-1`), in the same namespace as the section.
//! - A view is as long as the section rounded up to whole pages (`VirtualQuery` tells):
//!   protocols carry their own length (`bfSize`, the framed header).
//! - New objects get the default security descriptor of the creating process's token
//!   (normally: that user and SYSTEM may open them, other users may not). Creation modes do
//!   not apply.
//!
//! Locks of a named region (the writer's, the readers' leases) are named events held by
//! *existing*: taking one creates the event and fails if it exists already; the holder keeps
//! its handle, and the kernel deletes the object when the last handle closes, so a lock dies
//! with its process (a crash or kill included). Unlike a mutex it belongs to no thread: a
//! `Writer` may be dropped on any thread. Asking whether a lock is held opens the event for
//! an instant, during which a concurrent attempt to take it fails (a writer is refused, a
//! reader copies instead of pinning); both are retried or harmless.
//!
//! Regions at a path are files, mapped with memmap2, and locked with `LockFileEx` (per handle,
//! released when the handle closes or the process dies) at `LOCK_BASE` + byte, past any data,
//! so that the locks never block an ordinary read of the file. Their readers poll.
//!
//! Wake-ups of a named region: two named manual-reset events, one per parity of the wake
//! word (see [`Wake`]).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::io::AsRawHandle;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_ALREADY_EXISTS, ERROR_LOCK_VIOLATION, HANDLE,
    INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    LockFileEx, UnlockFileEx, LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY,
};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, MapViewOfFile, OpenFileMappingW, UnmapViewOfFile, VirtualQuery,
    FILE_MAP_READ, FILE_MAP_WRITE, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS,
    PAGE_READWRITE,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, OpenEventW, ResetEvent, SetEvent, WaitForSingleObject,
    SYNCHRONIZATION_SYNCHRONIZE,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use crate::shm::region::Place;

/// An open region: a file, or a named section with the locks this process holds on it and
/// its wake-up events (opened on first use).
pub(in crate::shm) enum Object {
    /// A region at a path.
    File(File),
    /// A named section.
    Section {
        section: Section,
        name: String,
        locks: Mutex<Vec<(u64, NamedLock)>>,
        wake: OnceLock<Option<Wake>>,
    },
}

/// A mapping of a region: memmap2's of a file, or a section's own view.
pub(in crate::shm) enum Map {
    File(memmap2::MmapRaw),
    View(NonNull<u8>),
}

// SAFETY: a view address is a process-wide value; the view lives as long as the `Object`
// the `Region` holds beside this `Map`, and its bytes are touched only as `Region` says.
unsafe impl Send for Map {}
// SAFETY: as above; `&Map` gives out only the address.
unsafe impl Sync for Map {}

impl Map {
    /// The first mapped byte.
    pub(in crate::shm) fn as_mut_ptr(&self) -> *mut u8 {
        match self {
            Map::File(m) => m.as_mut_ptr(),
            Map::View(p) => p.as_ptr(),
        }
    }
}

/// What region `name` is here: a named section (see the module docs for the namespaces).
pub(in crate::shm) fn named(name: &str) -> Result<Place, &'static str> {
    match name_problem(name) {
        Some(reason) => Err(reason),
        None => Ok(Place::Named(name.to_string())),
    }
}

/// Creates the region exclusively: a file (mode does not apply), or a section of `len`
/// bytes (zeroed: a section cannot be resized).
pub(in crate::shm) fn create_new(place: &Place, _mode: u32, len: usize) -> io::Result<Object> {
    Ok(match place {
        Place::File(path) => Object::File(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(path)?,
        ),
        Place::Named(name) => Object::section(Section::create(name, len.max(1))?, name),
    })
}

/// Opens an existing region, for writing too when `write`; `NotFound` for a section no
/// process holds.
pub(in crate::shm) fn open_existing(place: &Place, write: bool) -> io::Result<Object> {
    Ok(match place {
        Place::File(path) => Object::File(OpenOptions::new().read(true).write(write).open(path)?),
        Place::Named(name) => Object::section(Section::open(name, write)?, name),
    })
}

impl Object {
    fn section(section: Section, name: &str) -> Object {
        Object::Section {
            section,
            name: name.to_string(),
            locks: Mutex::new(Vec::new()),
            wake: OnceLock::new(),
        }
    }
}

/// Deletes a region file; a named section has no name to delete.
pub(in crate::shm) fn remove(place: &Place) -> io::Result<()> {
    match place {
        Place::File(path) => std::fs::remove_file(path),
        Place::Named(_) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a named block on Windows has no name to remove: it vanishes when the last \
             process that holds it open exits",
        )),
    }
}

/// Why a region must not receive frames, if it must not: a path that is no regular file.
/// (Windows has no modes; sections and files get the default security descriptor.)
pub(in crate::shm) fn check_trust(object: &Object, _mode: u32) -> io::Result<Option<String>> {
    Ok(match object {
        Object::File(file) if !file.metadata()?.is_file() => {
            Some("it is not a regular file".into())
        }
        _ => None,
    })
}

/// Windows opens do not refuse symlinks: never such an error.
pub(in crate::shm) fn is_symlink_refusal(_e: &io::Error) -> bool {
    false
}

/// The region's size: the file's, or the section's view (whole pages).
pub(in crate::shm) fn size(object: &Object) -> io::Result<u64> {
    match object {
        Object::File(file) => Ok(file.metadata()?.len()),
        Object::Section { section, .. } => Ok(section.len() as u64),
    }
}

/// Sizes a region file; a section has its size from creation, and cannot grow.
pub(in crate::shm) fn set_len(object: &Object, len: u64) -> io::Result<()> {
    match object {
        Object::File(file) => file.set_len(len),
        Object::Section { section, .. } if len <= section.len() as u64 => Ok(()),
        Object::Section { section, .. } => Err(io::Error::other(format!(
            "a named block cannot grow: this one has {} bytes, {len} are needed",
            section.len()
        ))),
    }
}

/// Sections are created at their size, all zeros.
pub(in crate::shm) fn sized_at_creation(object: &Object) -> bool {
    matches!(object, Object::Section { .. })
}

/// A section exists only while someone holds it open.
pub(in crate::shm) fn held_only(place: &Place) -> bool {
    matches!(place, Place::Named(_))
}

/// Maps `len` bytes of the region (a section: its view, mapped when opened).
pub(in crate::shm) fn map(object: &Object, len: usize, writable: bool) -> io::Result<Map> {
    match object {
        Object::File(file) => super::map_file(file, len, writable).map(Map::File),
        Object::Section { section, .. } => {
            assert!(len <= section.len(), "a view is mapped whole");
            NonNull::new(section.ptr())
                .map(Map::View)
                .ok_or_else(|| io::Error::other("a section view at address 0"))
        }
    }
}

/// Where the locks of a region file lie: past any data, so that they never block a read.
const LOCK_BASE: u64 = 1 << 62;

/// `LockFileEx`/`UnlockFileEx` on one byte of `file`: `Ok(false)` when another handle
/// holds it.
fn file_lock(file: &File, byte: u64, lock: bool) -> io::Result<bool> {
    let at = LOCK_BASE + byte;
    // SAFETY: all-zero is a valid OVERLAPPED (no event); the offset goes in its union.
    let mut ov: OVERLAPPED = unsafe { std::mem::zeroed() };
    ov.Anonymous.Anonymous.Offset = at as u32;
    ov.Anonymous.Anonymous.OffsetHigh = (at >> 32) as u32;
    let h = file.as_raw_handle() as HANDLE;
    // SAFETY: `h` is the open file's handle and `ov` outlives the synchronous call (the file
    // is not opened for overlapped I/O, and FAIL_IMMEDIATELY never waits).
    let ok = unsafe {
        if lock {
            LockFileEx(
                h,
                LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
                0,
                1,
                0,
                &mut ov,
            )
        } else {
            UnlockFileEx(h, 0, 1, 0, &mut ov)
        }
    };
    if ok != 0 {
        return Ok(true);
    }
    let e = last_error();
    if lock && e.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Takes lock `byte` without waiting: `Ok(false)` if anyone holds it (this process included).
pub(in crate::shm) fn try_lock(object: &Object, byte: u64) -> io::Result<bool> {
    match object {
        Object::File(file) => file_lock(file, byte, true),
        Object::Section { name, locks, .. } => match NamedLock::try_acquire(name, byte)? {
            Some(lock) => {
                locks
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((byte, lock));
                Ok(true)
            }
            None => Ok(false),
        },
    }
}

/// Releases this region's lock `byte`.
pub(in crate::shm) fn unlock(object: &Object, byte: u64) -> io::Result<()> {
    match object {
        Object::File(file) => file_lock(file, byte, false).map(drop),
        Object::Section { locks, .. } => {
            // Dropping the handle deletes the event (we are its only holder).
            locks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(b, _)| *b != byte);
            Ok(())
        }
    }
}

/// Whether another holder has lock `byte`.
pub(in crate::shm) fn lock_held(object: &Object, byte: u64) -> io::Result<bool> {
    match object {
        Object::File(file) => {
            // Take it and give it back at once: free if that worked.
            let got = file_lock(file, byte, true)?;
            if got {
                file_lock(file, byte, false)?;
            }
            Ok(!got)
        }
        Object::Section { name, locks, .. } => {
            let ours = locks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|(b, _)| *b == byte);
            Ok(!ours && named_lock_held(name, byte)?)
        }
    }
}

/// Whether readers can sleep until the writer wakes them: for named sections.
pub(in crate::shm) fn has_wake(object: &Object) -> bool {
    wake_of(object).is_some()
}

fn wake_of(object: &Object) -> Option<&Wake> {
    match object {
        Object::File(_) => None,
        Object::Section { name, wake, .. } => wake.get_or_init(|| Wake::open(name).ok()).as_ref(),
    }
}

/// Sleeps while `word` holds `expected`, at most `timeout` (a bounded sleep without events).
pub(in crate::shm) fn wait(object: &Object, word: &AtomicU32, expected: u32, timeout: Duration) {
    match wake_of(object) {
        Some(w) => w.wait(word, expected, timeout),
        None => std::thread::sleep(timeout.min(Duration::from_millis(1))),
    }
}

/// Adds one to `word` and wakes every process sleeping on it.
pub(in crate::shm) fn bump_and_wake(object: &Object, word: &AtomicU32) {
    match wake_of(object) {
        Some(w) => w.publish(word),
        None => {
            word.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The namespace prefixes a name may start with.
const PREFIXES: [&str; 2] = ["Local\\", "Global\\"];

/// Longest name accepted, in UTF-16 units (`MAX_PATH`), suffixes of companion objects
/// included.
const MAX_NAME: usize = 260 - 24;

/// Why `name` cannot name a section, if it cannot: empty after its prefix, a `\` other than
/// the prefix's, or too long.
fn name_problem(name: &str) -> Option<&'static str> {
    let rest = PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    if rest.is_empty() {
        Some("empty after the namespace prefix")
    } else if rest.contains('\\') {
        Some("contains '\\' (only a Local\\ or Global\\ prefix may)")
    } else if name.contains('\0') {
        Some("contains NUL")
    } else if name.encode_utf16().count() > MAX_NAME {
        Some("longer than 236 UTF-16 units")
    } else {
        None
    }
}

/// `s` as a NUL-terminated UTF-16 string.
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

/// The error of the call that just failed.
fn last_error() -> io::Error {
    io::Error::last_os_error()
}

/// Closes a handle this module owns.
fn close(h: HANDLE) {
    // SAFETY: `h` is an open handle owned by the caller, closed exactly once.
    unsafe { CloseHandle(h) };
}

/// A mapped view of a named section, and the section's handle (which keeps it alive).
pub(in crate::shm) struct Section {
    handle: HANDLE,
    view: MEMORY_MAPPED_VIEW_ADDRESS,
    len: usize,
}

// SAFETY: a section handle and a view address are process-wide values, usable from any
// thread; the bytes are touched only as the shm module's `Region` rules say.
unsafe impl Send for Section {}
// SAFETY: as above; `&Section` gives out only the address and length.
unsafe impl Sync for Section {}

impl Drop for Section {
    fn drop(&mut self) {
        // SAFETY: the view was mapped by `Section::map` and is unmapped exactly once.
        unsafe { UnmapViewOfFile(self.view) };
        close(self.handle);
    }
}

impl Section {
    /// Creates the section `name` of `len` bytes (zeroed) and maps it read-write; fails with
    /// `AlreadyExists` when a section (or another object) of that name exists.
    pub(in crate::shm) fn create(name: &str, len: usize) -> io::Result<Section> {
        let w = wide(name);
        let len = len as u64;
        // SAFETY: `w` is NUL-terminated and outlives the call; a null security pointer asks
        // for the default descriptor, not inheritable.
        let handle = unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE,
                (len >> 32) as u32,
                len as u32,
                w.as_ptr(),
            )
        };
        // Read at once: ERROR_ALREADY_EXISTS comes with a valid handle to the existing one.
        // SAFETY: no preconditions.
        let err = unsafe { GetLastError() };
        if handle.is_null() {
            return Err(io::Error::from_raw_os_error(err as i32));
        }
        if err == ERROR_ALREADY_EXISTS {
            close(handle);
            return Err(io::Error::from_raw_os_error(err as i32));
        }
        Section::map(handle, true)
    }

    /// Opens the existing section `name` and maps all of it; `NotFound` when no process
    /// holds one of that name.
    pub(in crate::shm) fn open(name: &str, write: bool) -> io::Result<Section> {
        let w = wide(name);
        // SAFETY: `w` is NUL-terminated and outlives the call.
        let handle = unsafe { OpenFileMappingW(access(write), 0, w.as_ptr()) };
        if handle.is_null() {
            return Err(last_error());
        }
        Section::map(handle, write)
    }

    fn map(handle: HANDLE, write: bool) -> io::Result<Section> {
        // SAFETY: `handle` is a section handle we own; length 0 maps the whole section.
        let view = unsafe { MapViewOfFile(handle, access(write), 0, 0, 0) };
        if view.Value.is_null() {
            let e = last_error();
            close(handle);
            return Err(e);
        }
        // SAFETY: all-zero is a valid MEMORY_BASIC_INFORMATION, and its size is passed.
        let mut mbi: MEMORY_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: the view address is mapped; `mbi` is writable for its size.
        let got = unsafe { VirtualQuery(view.Value, &mut mbi, std::mem::size_of_val(&mbi)) };
        let section = Section {
            handle,
            view,
            len: mbi.RegionSize,
        };
        if got == 0 {
            return Err(last_error());
        }
        Ok(section)
    }

    /// The view's first byte (page-aligned).
    pub(in crate::shm) fn ptr(&self) -> *mut u8 {
        self.view.Value.cast()
    }

    /// Bytes mapped: the section's size rounded up to whole pages.
    pub(in crate::shm) fn len(&self) -> usize {
        self.len
    }
}

fn access(write: bool) -> u32 {
    if write {
        FILE_MAP_READ | FILE_MAP_WRITE
    } else {
        FILE_MAP_READ
    }
}

/// The name of lock `byte` of region `name` (suffixed: objects of all kinds share one
/// namespace with the section).
fn lock_name(name: &str, byte: u64) -> Vec<u16> {
    wide(&format!("{name}.shmbmp-lock-{byte}"))
}

/// A lock held by this process: the event exists while this handle is open.
pub(in crate::shm) struct NamedLock(HANDLE);

// SAFETY: an event handle is usable from any thread, and the lock belongs to no thread.
unsafe impl Send for NamedLock {}
// SAFETY: `&NamedLock` exposes nothing.
unsafe impl Sync for NamedLock {}

impl Drop for NamedLock {
    fn drop(&mut self) {
        close(self.0);
    }
}

impl NamedLock {
    /// Takes lock `byte` of region `name` without waiting: `None` if anyone holds it (this
    /// process included).
    pub(in crate::shm) fn try_acquire(name: &str, byte: u64) -> io::Result<Option<NamedLock>> {
        let w = lock_name(name, byte);
        // SAFETY: `w` is NUL-terminated and outlives the call; default security.
        let h = unsafe { CreateEventW(std::ptr::null(), 1, 0, w.as_ptr()) };
        // SAFETY: no preconditions.
        let err = unsafe { GetLastError() };
        if h.is_null() {
            return Err(io::Error::from_raw_os_error(err as i32));
        }
        if err == ERROR_ALREADY_EXISTS {
            close(h);
            return Ok(None);
        }
        Ok(Some(NamedLock(h)))
    }
}

/// Whether anyone holds lock `byte` of region `name`.
fn named_lock_held(name: &str, byte: u64) -> io::Result<bool> {
    let w = lock_name(name, byte);
    // SAFETY: `w` is NUL-terminated and outlives the call.
    let h = unsafe { OpenEventW(SYNCHRONIZATION_SYNCHRONIZE, 0, w.as_ptr()) };
    if h.is_null() {
        let e = last_error();
        return if e.kind() == io::ErrorKind::NotFound {
            Ok(false)
        } else {
            Err(e)
        };
    }
    close(h);
    Ok(true)
}

/// Cross-process wake-ups of one region: two named manual-reset events, one per parity of
/// the wake word. Publishing value `v` resets event `(v + 1) % 2`, stores `v`, and sets event
/// `v % 2`; a reader that saw `s` waits on event `(s + 1) % 2`. A reader descheduled across
/// two whole publishes waits for the next one (or its timeout), never longer. One writer
/// bumps the word, by one a publish (the writer lock sees to it).
pub(in crate::shm) struct Wake {
    events: [HANDLE; 2],
}

// SAFETY: event handles are usable from any thread; Set/Reset/Wait are thread-safe.
unsafe impl Send for Wake {}
// SAFETY: as above.
unsafe impl Sync for Wake {}

impl Drop for Wake {
    fn drop(&mut self) {
        self.events.into_iter().for_each(close);
    }
}

impl Wake {
    /// Opens (creating when needed) the wake-up events of region `name`.
    pub(in crate::shm) fn open(name: &str) -> io::Result<Wake> {
        let mut events = [std::ptr::null_mut(); 2];
        for (i, slot) in events.iter_mut().enumerate() {
            let w = wide(&format!("{name}.shmbmp-wake-{i}"));
            // Manual reset, not signalled; opens the existing event if there is one.
            // SAFETY: `w` is NUL-terminated and outlives the call; default security.
            let h = unsafe { CreateEventW(std::ptr::null(), 1, 0, w.as_ptr()) };
            if h.is_null() {
                let e = last_error();
                events[..i].iter().copied().for_each(close);
                return Err(e);
            }
            *slot = h;
        }
        Ok(Wake { events })
    }

    /// Bumps `word` by one and wakes every reader waiting for it to change.
    pub(in crate::shm) fn publish(&self, word: &AtomicU32) {
        let v = word.load(Ordering::Relaxed).wrapping_add(1);
        // SAFETY: our event handle, open while `self` lives.
        unsafe { ResetEvent(self.events[(v.wrapping_add(1) % 2) as usize]) };
        word.store(v, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { SetEvent(self.events[(v % 2) as usize]) };
    }

    /// Sleeps while `word` holds `expected`, at most `timeout` (rounded up to whole
    /// milliseconds); returns early when woken.
    pub(in crate::shm) fn wait(&self, word: &AtomicU32, expected: u32, timeout: Duration) {
        if word.load(Ordering::SeqCst) != expected {
            return;
        }
        let ms = timeout
            .as_micros()
            .div_ceil(1000)
            .min(u128::from(u32::MAX - 1)) as u32;
        let event = self.events[(expected.wrapping_add(1) % 2) as usize];
        // SAFETY: our event handle; a timeout or failure means "look again", as the caller does.
        unsafe { WaitForSingleObject(event, ms) };
    }
}
