package spintax

import (
	"errors"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		// want lists every output the input can produce.
		want []string
	}{
		{"empty", "", []string{""}},
		{"plain", "Hello, world.", []string{"Hello, world."}},
		{"single group", "{a|b|c}", []string{"a", "b", "c"}},
		{"group in text", "Say {hi|hello}!", []string{"Say hi!", "Say hello!"}},
		{"two groups", "{a|b}{c|d}", []string{"ac", "ad", "bc", "bd"}},
		{"nested", "{a|b|{c|d}}", []string{"a", "b", "c", "d"}},
		{"nested in text", "x{a|y{b|c}z}w", []string{"xaw", "xybzw", "xyczw"}},
		{"one alternative", "{a}", []string{"a"}},
		{"empty group", "{}", []string{""}},
		{"empty alternative", "{a|}", []string{"a", ""}},
		{"only empty alternatives", "{|}", []string{""}},
		{"escaped braces", `\{a|b\}`, []string{"{a|b}"}},
		{"escaped pipe in group", `{a\|b|c}`, []string{"a|b", "c"}},
		{"escaped backslash", `a\\b`, []string{`a\b`}},
		{"escaped backslash before group", `\\{a|b}`, []string{`\a`, `\b`}},
		{"lone backslash", `C:\Users\x`, []string{`C:\Users\x`}},
		{"trailing backslash", `a\`, []string{`a\`}},
		{"escape at group end", `{a\}|b}`, []string{"a}", "b"}},
		{"literal pipe outside braces", "a|b {c|d} e|f", []string{"a|b c e|f", "a|b d e|f"}},
		{"unicode", "{héllo|wörld} 👋", []string{"héllo 👋", "wörld 👋"}},
		{"vietnamese", "{Xin chào|Chào bạn} {thế giới|mọi người}!", []string{
			"Xin chào thế giới!", "Xin chào mọi người!", "Chào bạn thế giới!", "Chào bạn mọi người!",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]bool{}
			for seed := range uint64(200) {
				got, err := Expand(tt.in, seed)
				if err != nil {
					t.Fatalf("Expand(%q, %d): %v", tt.in, seed, err)
				}
				if !slices.Contains(tt.want, got) {
					t.Fatalf("Expand(%q, %d) = %q, want one of %q", tt.in, seed, got, tt.want)
				}
				seen[got] = true
			}
			for _, w := range tt.want {
				if !seen[w] {
					t.Errorf("Expand(%q) never produced %q in 200 seeds", tt.in, w)
				}
			}
		})
	}
}

// TestExpandGolden pins the exact choices for fixed seeds. A failure means
// the generator or the way it is consumed changed, and retries of tasks
// created before the change would publish different text: do not update the
// expectations casually.
func TestExpandGolden(t *testing.T) {
	t.Parallel()
	const in = "{Hi|Hello|Hey} {there|friend|all}{!|.|}"
	tests := []struct {
		seed uint64
		want string
	}{
		{0, "Hi all."},
		{1, "Hey there"},
		{42, "Hello all."},
		{Seed("0b5e7f3e-1c2d-4a5b-8c9d-0e1f2a3b4c5d", "title"), "Hey friend"},
	}
	for _, tt := range tests {
		got, err := Expand(in, tt.seed)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Expand(%q, %d) = %q, want %q", in, tt.seed, got, tt.want)
		}
	}
}

// TestPickMatchesUint64N cross-checks pick's reduction against the standard
// library's on 64-bit platforms, where both are Lemire's method; pick exists
// so that 32-bit platforms give the same answers too.
func TestPickMatchesUint64N(t *testing.T) {
	t.Parallel()
	if bits.UintSize != 64 {
		t.Skip("Uint64N uses a different reduction on 32-bit platforms")
	}
	for _, n := range []int{3, 5, 7, 1000, 1<<40 + 1} {
		for seed := range uint64(100) {
			e := expander{pcg: rand.NewPCG(seed, pcgStream)}
			r := rand.New(rand.NewPCG(seed, pcgStream))
			for range 10 {
				if got, want := e.pick(n), r.Uint64N(uint64(n)); uint64(got) != want {
					t.Fatalf("n %d seed %d: pick %d, Uint64N %d", n, seed, got, want)
				}
			}
		}
	}
}

func TestExpandDeterministic(t *testing.T) {
	t.Parallel()
	const in = "{a|b|c} {d|{e|f}|g} {h|i|j|k|l}"
	for seed := range uint64(200) {
		first, err := Expand(in, seed)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			again, err := Expand(in, seed)
			if err != nil {
				t.Fatal(err)
			}
			if again != first {
				t.Fatalf("seed %d: got %q then %q", seed, first, again)
			}
		}
	}
}

func TestExpandSingletonGroupDrawsNothing(t *testing.T) {
	t.Parallel()
	for seed := range uint64(50) {
		plain, _ := Expand("x {a|b} {c|d}", seed)
		braced, _ := Expand("{x} {a|b} {c|d}", seed)
		if plain != braced {
			t.Fatalf("seed %d: %q vs %q: a one-alternative group shifted later choices", seed, plain, braced)
		}
	}
}

// TestExpandUniform checks each alternative's share with a chi-square test.
// Seeds are fixed, so the test is deterministic; the threshold is the 0.1%
// critical value, loose enough that it only fails for real bias.
func TestExpandUniform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alts     []string
		critical float64 // chi-square at p = 0.001 for len(alts)-1 degrees of freedom
	}{
		{[]string{"a", "b", "c"}, 13.82},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, 22.46},
	}
	for _, tt := range tests {
		in := "{" + strings.Join(tt.alts, "|") + "}"
		const n = 7000
		counts := map[string]int{}
		for i := range n {
			// Sequential seeds and hashed seeds are both used in practice.
			for _, seed := range []uint64{uint64(i), Seed("task", string(rune(i)))} {
				got, err := Expand(in, seed)
				if err != nil {
					t.Fatal(err)
				}
				counts[got]++
			}
		}
		expected := float64(2*n) / float64(len(tt.alts))
		var chi2 float64
		for _, a := range tt.alts {
			d := float64(counts[a]) - expected
			chi2 += d * d / expected
		}
		if chi2 > tt.critical {
			t.Errorf("%s: chi-square %.2f > %.2f, counts %v", in, chi2, tt.critical, counts)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantErr string
		offset  int
	}{
		{"{a|b", `spintax: unclosed "{" at offset 0`, 0},
		{"Hello {world", `spintax: unclosed "{" at offset 6`, 6},
		{"Hello, {friend|pal", `spintax: unclosed "{" at offset 7`, 7},
		{"{a|{b}", `spintax: unclosed "{" at offset 0`, 0},
		{"{a|{b", `spintax: unclosed "{" at offset 3`, 3},
		{"ab}", `spintax: unexpected "}" at offset 2`, 2},
		{"abc}", `spintax: unexpected "}" at offset 3`, 3},
		{"{a}}", `spintax: unexpected "}" at offset 3`, 3},
		{`a\}}`, `spintax: unexpected "}" at offset 3`, 3},
		{`{a\}`, `spintax: unclosed "{" at offset 0`, 0},
		{"}{", `spintax: unexpected "}" at offset 0`, 0},
		// Offsets count bytes: "Chào " is 6 bytes but 5 runes.
		{"Chào {bạn", `spintax: unclosed "{" at offset 6`, 6},
	}
	for _, tt := range tests {
		for name, err := range map[string]error{
			"Expand":   second(Expand(tt.in, 1)),
			"Validate": Validate(tt.in),
			"Count":    second(Count(tt.in)),
		} {
			var serr *SyntaxError
			if !errors.As(err, &serr) {
				t.Errorf("%s(%q) = %v, want *SyntaxError", name, tt.in, err)
				continue
			}
			if err.Error() != tt.wantErr || serr.Offset != tt.offset {
				t.Errorf("%s(%q) = %q (offset %d), want %q", name, tt.in, err, serr.Offset, tt.wantErr)
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

func nested(depth int) string {
	return strings.Repeat("{a|", depth) + strings.Repeat("}", depth)
}

func TestDepthLimit(t *testing.T) {
	t.Parallel()
	if err := Validate(nested(20)); err != nil {
		t.Errorf("depth 20: %v", err)
	}
	if _, err := Expand(nested(20), 7); err != nil {
		t.Errorf("depth 20: %v", err)
	}
	err := Validate(nested(21))
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("depth 21: got %v, want ErrTooDeep", err)
	}
	// The 21st "{" is the one at fault; each level is 3 bytes.
	if want := "spintax: nesting too deep: more than 20 levels at offset 60"; err.Error() != want {
		t.Errorf("depth 21: %q, want %q", err, want)
	}
	if _, err := Expand(nested(21), 7); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Expand depth 21: got %v, want ErrTooDeep", err)
	}
	if _, err := Count(nested(21)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Count depth 21: got %v, want ErrTooDeep", err)
	}
	if err := Validate(nested(21), Options{MaxDepth: 21}); err != nil {
		t.Errorf("depth 21 with MaxDepth 21: %v", err)
	}
	if err := Validate(nested(3), Options{MaxDepth: 2}); !errors.Is(err, ErrTooDeep) {
		t.Errorf("depth 3 with MaxDepth 2: got %v, want ErrTooDeep", err)
	}
	// Far past the ceiling, a hostile input is refused rather than recursed.
	deep := nested(50_000)
	if err := Validate(deep, Options{MaxDepth: math.MaxInt, MaxInput: len(deep)}); !errors.Is(err, ErrTooDeep) {
		t.Errorf("depth 50000 with MaxDepth MaxInt: got %v, want ErrTooDeep", err)
	}
}

func TestInputLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", DefaultMaxInput+1)
	if _, err := Expand(big, 1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Expand: got %v, want ErrTooLarge", err)
	}
	if err := Validate(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Validate: got %v, want ErrTooLarge", err)
	}
	if _, err := Count(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Count: got %v, want ErrTooLarge", err)
	}
	if _, err := Expand(big, 1, Options{MaxInput: len(big) + 1, MaxOutput: len(big)}); err != nil {
		t.Errorf("Expand with raised limits: %v", err)
	}
}

func TestOutputLimit(t *testing.T) {
	t.Parallel()
	if got, err := Expand("{abcd|efgh}", 1, Options{MaxOutput: 4}); err != nil || len(got) != 4 {
		t.Errorf("exactly at limit: %q, %v", got, err)
	}
	if _, err := Expand("x{abcd|efgh}", 1, Options{MaxOutput: 4}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("one past limit: got %v, want ErrTooLarge", err)
	}
	// The limit applies to the chosen text, not the longest possible one.
	var fit, over int
	for seed := range uint64(50) {
		switch got, err := Expand("{|abcdefgh}", seed, Options{MaxOutput: 1}); {
		case err == nil && got == "":
			fit++
		case errors.Is(err, ErrTooLarge):
			over++
		default:
			t.Fatalf("seed %d: %q, %v", seed, got, err)
		}
	}
	if fit == 0 || over == 0 {
		t.Errorf("fit %d, over %d: want both", fit, over)
	}
}

// TestOutputLimitMemory expands a megabyte of groups against a small output
// limit: it must fail with ErrTooLarge, and the output buffer must stay near
// the limit rather than the input's size.
func TestOutputLimitMemory(t *testing.T) {
	in := strings.Repeat("{spin|tax}", 100_000) // 1,000,000 bytes
	opts := Options{MaxInput: len(in), MaxOutput: 1000}

	// The parsed tree is the baseline cost; only the expansion's own
	// allocations beyond it are under test.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := Validate(in, opts); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	parseBytes := after.TotalAlloc - before.TotalAlloc

	runtime.GC()
	runtime.ReadMemStats(&before)
	out, err := Expand(in, 1, opts)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || out != "" {
		t.Fatalf("got %d bytes, %v; want ErrTooLarge", len(out), err)
	}
	if extra := int64(after.TotalAlloc-before.TotalAlloc) - int64(parseBytes); extra > 64<<10 {
		t.Errorf("Expand allocated %d bytes beyond parsing (%d); want the output buffer bounded by MaxOutput", extra, parseBytes)
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want uint64
	}{
		{"", 1},
		{"plain text | with pipe", 1},
		{"{a}", 1},
		{"{}", 1},
		{"{a|b|c}", 3},
		{"{a|}", 2},
		{"{a|b}{c|d}", 4},
		{"{a|b|{c|d}}", 4},
		{"{a|{b|c}{d|e|f}}", 7},
		{"{{a|b}|{c|d}} {e|f|g}", 12},
		{`\{a|b\}`, 1},
		{"{Xin chào|Chào bạn} {thế giới|mọi người}", 4},
		// 2^63 fits exactly; 2^64 saturates.
		{strings.Repeat("{a|b}", 63), 1 << 63},
		{strings.Repeat("{a|b}", 64), math.MaxUint64},
		{strings.Repeat("{a|b|c}", 1000), math.MaxUint64},
		// Saturation inside a group's sum, not only in a product.
		{"{" + strings.Repeat("{a|b}", 64) + "|x}", math.MaxUint64},
	}
	for _, tt := range tests {
		got, err := Count(tt.in)
		if err != nil {
			t.Errorf("Count(%.40q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Count(%.40q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestCountMatchesExpand checks Count against the outputs actually seen,
// for inputs whose alternatives are all distinct strings.
func TestCountMatchesExpand(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"{a|b|c}", "{a|b}{c|d|e}", "{a|{b|c}{d|e}}", "{x|}{y|}"} {
		n, err := Count(in)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for seed := range uint64(2000) {
			out, _ := Expand(in, seed)
			seen[out] = true
		}
		if uint64(len(seen)) != n {
			t.Errorf("%q: Count %d, saw %d distinct outputs", in, n, len(seen))
		}
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	// FNV-1a 64 reference values.
	if got := Seed(); got != 0xcbf29ce484222325 {
		t.Errorf("Seed() = %#x, want the FNV offset basis", got)
	}
	if got := Seed("a"); got != 0xaf63dc4c8601ec8c {
		t.Errorf(`Seed("a") = %#x`, got)
	}
	if Seed("a", "b") != Seed("a\x00b") {
		t.Error("parts are not joined with a zero byte")
	}
	if Seed("ab", "c") == Seed("a", "bc") {
		t.Error(`Seed("ab", "c") == Seed("a", "bc")`)
	}
	if Seed("task", "title") == Seed("task", "body") {
		t.Error("title and body seeds collide")
	}
}

func BenchmarkExpand(b *testing.B) {
	inputs := map[string]string{
		"plain": strings.Repeat("Plain caption text without any groups. ", 25),
		"post": "{Hi|Hello|Hey} {everyone|friends|folks}! {Check out|Take a look at|Don't miss} " +
			"our {new|latest} {collection|drop|release}. {Link in bio|Tap the link|See link below}. " +
			"{Xin chào|Chào bạn} {thế giới|mọi người}! #{sale|deal|offer}",
		"large": strings.Repeat("{Great|Nice|Awesome} {day|morning|evening}, {friends|folks|{all|everyone}}! ", 1000),
	}
	for _, name := range []string{"plain", "post", "large"} {
		in := inputs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			var seed uint64
			for b.Loop() {
				if _, err := Expand(in, seed); err != nil {
					b.Fatal(err)
				}
				seed++
			}
		})
	}
}
