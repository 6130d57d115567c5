package spintax

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExpand checks properties that hold for any input, so the fuzzer needs
// no oracle: Expand and Validate agree, expansion is deterministic, and
// output is never longer than input.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		"", "plain", "{a|b|c}", "{a|b|{c|d}}", "{a|}", "{}", "{|}",
		`\{a\|b\}`, `a\\{b|c}`, `C:\path\`, "a|b {c|d} e|f",
		"{Xin chào|Chào bạn} {thế giới|mọi người}!",
		"{a|b", "ab}", "}{", "{a|{b}", `{a\}`, nested(20), nested(21),
	} {
		f.Add(s, uint64(0))
	}
	// Limits small enough that the fuzzer reaches them.
	opts := Options{MaxDepth: 8, MaxInput: 4096, MaxOutput: 4096}
	f.Fuzz(func(t *testing.T, in string, seed uint64) {
		out, err := Expand(in, seed, opts)
		verr := Validate(in, opts)

		// Output never exceeds input, so MaxOutput == MaxInput can never
		// be what fails, and Validate must predict Expand exactly.
		if (err == nil) != (verr == nil) || err != nil && err.Error() != verr.Error() {
			t.Fatalf("Expand error %v, Validate error %v", err, verr)
		}
		if err != nil {
			var serr *SyntaxError
			if !errors.As(err, &serr) && !errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if serr != nil && (serr.Offset < 0 || serr.Offset >= len(in) || !strings.ContainsRune("{}", rune(in[serr.Offset]))) {
				t.Fatalf("syntax error offset %d does not point at a brace: %v", serr.Offset, err)
			}
			if out != "" {
				t.Fatalf("output %q alongside error %v", out, err)
			}
			return
		}

		if len(out) > len(in) {
			t.Fatalf("output %d bytes from input %d bytes", len(out), len(in))
		}
		if again, _ := Expand(in, seed, opts); again != out {
			t.Fatalf("same seed gave %q then %q", out, again)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("valid UTF-8 input gave invalid output %q", out)
		}
		if !strings.Contains(in, `\`) {
			// Without escapes every brace is syntax, and text without
			// braces passes through untouched.
			if strings.ContainsAny(out, "{}") {
				t.Fatalf("brace left in output %q", out)
			}
			if !strings.ContainsAny(in, "{}") && out != in {
				t.Fatalf("plain text changed: %q", out)
			}
		}
		if n, cerr := Count(in); cerr == nil && n == 1 {
			// With a single variant, the seed cannot matter.
			if other, _ := Expand(in, ^seed, opts); other != out {
				t.Fatalf("Count 1 but seeds gave %q and %q", out, other)
			}
		}
		// A limit of exactly the output's length admits it; one less refuses.
		tight := opts
		tight.MaxOutput = max(len(out), 1)
		if again, err := Expand(in, seed, tight); err != nil || again != out {
			t.Fatalf("MaxOutput %d: %q, %v", tight.MaxOutput, again, err)
		}
		if len(out) > 1 {
			tight.MaxOutput = len(out) - 1
			if _, err := Expand(in, seed, tight); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("MaxOutput %d for %d bytes: %v", tight.MaxOutput, len(out), err)
			}
		}
	})
}
