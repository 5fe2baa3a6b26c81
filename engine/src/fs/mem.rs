//! [`MemFs`]: an in-memory, fault-injecting file system for tests. (Being written.)
