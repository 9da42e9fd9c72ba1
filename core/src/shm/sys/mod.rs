//! What the shared-memory layer needs from the operating system, behind one small interface
//! so that the protocol, the writer and the reader stay platform-neutral:
//!
//! - files: [`create_new`] and [`open_existing`] (never following a symlink), and
//!   [`check_trust`] (owner and mode of a region about to receive frames);
//! - locks on single bytes of the region's file that die with their holder:
//!   [`try_lock`], [`unlock`], [`lock_held`] (the writer's lock and the readers' leases);
//! - sleeping on a 32-bit word of the mapping until another process changes it:
//!   [`wait`], [`wake_all`], with [`HAS_WAKE`] false where no such primitive exists (readers
//!   then poll with a bounded sleep).
//!
//! Linux: open file description (OFD) locks and a shared futex. Other Unix systems: POSIX
//! record locks and polling (see [`other`]); Windows needs its own module (named mutexes
//! or `LockFileEx`, and events).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(super) use unix::{check_trust, create_new, is_symlink_refusal, open_existing};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(super) use linux::{lock_held, try_lock, unlock, wait, wake_all, HAS_WAKE};

#[cfg(all(unix, not(target_os = "linux")))]
mod other;
#[cfg(all(unix, not(target_os = "linux")))]
pub(super) use other::{lock_held, try_lock, unlock, wait, wake_all, HAS_WAKE};
