//! Soft resource limits (spec: chpst.md §2.2): a requested value above the
//! hard limit is clamped to it, and the hard limit is never changed.

use sys::procstate::{getrlimit, setrlimit, Resource};

use crate::common::msg::Fatal;

/// The requested soft limits, applied in runit's order.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// RLIMIT_DATA
    pub data: Option<u64>,
    /// RLIMIT_STACK
    pub stack: Option<u64>,
    /// RLIMIT_MEMLOCK
    pub memlock: Option<u64>,
    /// RLIMIT_AS
    pub as_: Option<u64>,
    /// RLIMIT_NOFILE
    pub nofile: Option<u64>,
    /// RLIMIT_NPROC
    pub nproc: Option<u64>,
    /// RLIMIT_FSIZE
    pub fsize: Option<u64>,
    /// RLIMIT_CORE
    pub core: Option<u64>,
    /// RLIMIT_RSS
    pub rss: Option<u64>,
    /// RLIMIT_CPU
    pub cpu: Option<u64>,
}

impl Limits {
    /// `-m`: data, stack, memlock and address space at once.
    pub fn all_memory(&mut self, v: u64) {
        self.data = Some(v);
        self.stack = Some(v);
        self.memlock = Some(v);
        self.as_ = Some(v);
    }

    /// Applies every requested limit: data, stack, memlock, as, nofile,
    /// nproc, fsize, core, rss, cpu.
    pub fn apply(&self) -> Result<(), Fatal> {
        let order = [
            (Resource::Data, self.data),
            (Resource::Stack, self.stack),
            (Resource::Memlock, self.memlock),
            (Resource::As, self.as_),
            (Resource::Nofile, self.nofile),
            (Resource::Nproc, self.nproc),
            (Resource::Fsize, self.fsize),
            (Resource::Core, self.core),
            (Resource::Rss, self.rss),
            (Resource::Cpu, self.cpu),
        ];
        for (r, v) in order {
            if let Some(v) = v {
                set_soft(r, v)?;
            }
        }
        Ok(())
    }
}

/// Sets the soft limit of `r` to `v`, or to the hard limit if `v` exceeds it
/// (`u64::MAX` thus means "as high as allowed", softlimit's `=`).
fn set_soft(r: Resource, v: u64) -> Result<(), Fatal> {
    let (_, hard) = getrlimit(r).map_err(|e| Fatal::sys("unable to getrlimit()", e))?;
    setrlimit(r, v.min(hard), hard).map_err(|e| Fatal::sys("unable to setrlimit()", e))
}
