package posts

// StartedEntry exposes the start shortcut to the external tests, which
// check that it applies (the general roll-up would hide a shortcut that
// never matches).
var StartedEntry = startedEntry
