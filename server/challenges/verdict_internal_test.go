package challenges

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReportedTextIsCutOnACharacterBoundary(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int // bytes kept
	}{
		{"short", 5},
		{strings.Repeat("a", maxReported+10), maxReported},
		{strings.Repeat("a", maxReported-1) + "ệ", maxReported - 1}, // the 3-byte ệ straddles the cut
	} {
		got := truncate(tc.in)
		if len(got) != tc.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%d bytes) kept %d bytes (valid %v), want %d", len(tc.in), len(got), utf8.ValidString(got), tc.want)
		}
	}
}
