package campaigns

// NextSlot exposes nextSlot to the tests.
var NextSlot = nextSlot
