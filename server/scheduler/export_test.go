package scheduler

// SweepLock is the session lock's name, so a test can hold it as another
// replica would.
const SweepLock = sweepLock
