// Package spintax owns spintax expansion of post titles and bodies, so that
// one post published to many accounts does not read identically on each.
//
// Syntax:
//
//	{a|b|c}      one of the alternatives, chosen by the seed
//	{a|b|{c|d}}  groups nest
//	{a|}         alternatives may be empty
//	\{ \} \| \\  the literal character
//
// A "|" outside braces is plain text, and so is a backslash before any other
// character (post bodies quote Windows paths and emoticons far more often
// than they mean an escape). Offsets in errors count bytes, not runes,
// because that is what editors built on UTF-8 strings index by.
package spintax

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
)

// Defaults applied to zero (or negative) Options fields. MaxInput matches the
// longest post body the posts service stores.
const (
	DefaultMaxOutput = 100_000
	DefaultMaxDepth  = 20
	DefaultMaxInput  = 100_000
)

// maxDepthCeiling bounds the recursion of parsing, expanding and counting
// whatever MaxDepth a caller asks for: no person writes spintax this deep,
// and a goroutine stack must not be what stops a hostile input.
const maxDepthCeiling = 10_000

// pcgStream is the second PCG seed word. It is fixed forever: changing it
// would give every retried task different text from its first attempt.
const pcgStream = 0x5370696e74617821 // "Spintax!"

// Errors reported for input that is well formed but beyond a limit. Syntax
// errors are *SyntaxError values instead, carrying the offset a UI can point
// at.
var (
	ErrTooLarge = errors.New("spintax: text too large")
	ErrTooDeep  = errors.New("spintax: nesting too deep")
)

// Options bounds the work one call may do; the zero value selects the
// defaults. Only the first Options passed to a function is used.
type Options struct {
	// MaxOutput is the most bytes an expansion may produce.
	MaxOutput int
	// MaxDepth is the deepest nesting of groups accepted; "{a}" has depth 1.
	// Values above 10,000 are treated as 10,000.
	MaxDepth int
	// MaxInput is the longest text, in bytes, accepted at all.
	MaxInput int
}

func options(opts []Options) Options {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = DefaultMaxOutput
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	o.MaxDepth = min(o.MaxDepth, maxDepthCeiling)
	if o.MaxInput <= 0 {
		o.MaxInput = DefaultMaxInput
	}
	return o
}

// SyntaxError reports malformed spintax. Offset is the byte offset of the
// offending brace, so an editor can place the cursor there.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("spintax: %s at offset %d", e.Msg, e.Offset)
}

// Expand returns one expansion of text, choosing each group's alternative
// with a PCG generator seeded from seed. The same text and seed give the same
// output on every platform and release, which is what lets a retried task
// publish exactly the text its first attempt would have; derive the seed
// with [Seed].
func Expand(text string, seed uint64, opts ...Options) (string, error) {
	o := options(opts)
	root, err := parse(text, o)
	if err != nil {
		return "", err
	}
	e := expander{
		pcg: rand.NewPCG(seed, pcgStream),
		max: o.MaxOutput,
	}
	// Output never exceeds input: every literal is emitted at most once.
	e.out.Grow(min(len(text), o.MaxOutput))
	if err := e.seq(root); err != nil {
		return "", err
	}
	return e.out.String(), nil
}

// Validate reports whether text would expand: the same syntax, depth and
// input-size errors Expand returns, without choosing anything. Expand with
// the same Options can then fail only with ErrTooLarge for the output.
func Validate(text string, opts ...Options) error {
	_, err := parse(text, options(opts))
	return err
}

// Count returns how many ways text can expand, saturating at
// math.MaxUint64, for a "N variants" hint. It counts choices, not strings:
// "{a|a}" counts 2. Text beyond the default Options limits is an error, as
// it would be for Expand with no Options.
func Count(text string) (uint64, error) {
	root, err := parse(text, options(nil))
	if err != nil {
		return 0, err
	}
	return countSeq(root), nil
}

// Seed hashes parts into an expansion seed with 64-bit FNV-1a, joining them
// with zero bytes so that ("ab", "c") and ("a", "bc") differ. Seeding from
// stable identifiers, e.g. Seed(taskID, "title"), keeps retries identical
// while titles and bodies vary independently.
func Seed(parts ...string) uint64 {
	h := fnv.New64a()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return h.Sum64()
}

// node is a literal when alts is nil, otherwise a group holding at least
// one alternative.
type node struct {
	text string
	alts []seq
}

type seq []node

func parse(text string, o Options) (seq, error) {
	if len(text) > o.MaxInput {
		return nil, fmt.Errorf("%w: input is %d bytes, limit %d", ErrTooLarge, len(text), o.MaxInput)
	}
	p := parser{
		src:      text,
		maxDepth: o.MaxDepth,
		// Sized for a short post; longer ones regrow as usual.
		nodes: make([]node, 0, 16),
		alts:  make([]seq, 0, 8),
	}
	s, err := p.seq(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(text) {
		// seq at depth 0 stops early only at a stray closing brace.
		return nil, &SyntaxError{Offset: p.pos, Msg: `unexpected "}"`}
	}
	return s, nil
}

// parser builds each sequence and group on a scratch stack and then copies
// it, exactly sized, into a slab: a post with dozens of groups then costs a
// handful of allocations instead of a few per group.
type parser struct {
	src      string
	pos      int
	maxDepth int

	nodes    []node // scratch: nodes of the sequences being parsed
	alts     []seq  // scratch: alternatives of the groups being parsed
	esc      []byte // scratch: the literal being unescaped
	nodeSlab slab[node]
	seqSlab  slab[seq]
}

// seq parses a run of literals and groups. Inside a group (depth > 0) it
// stops before the "|" or "}" that ends the alternative; at the top level it
// stops only at the end or at an unmatched "}".
func (p *parser) seq(depth int) (seq, error) {
	mark := len(p.nodes)
	start := p.pos   // of the current literal
	escaped := false // whether p.esc holds the current literal's start
	for {
		i := strings.IndexAny(p.src[p.pos:], `\{}|`)
		if i < 0 {
			p.pos = len(p.src)
			break
		}
		p.pos += i
		c := p.src[p.pos]
		if c == '\\' {
			if p.pos+1 < len(p.src) && isSpecial(p.src[p.pos+1]) {
				if !escaped {
					p.esc, escaped = p.esc[:0], true
				}
				p.esc = append(p.esc, p.src[start:p.pos]...)
				p.esc = append(p.esc, p.src[p.pos+1])
				p.pos += 2
				start = p.pos
			} else {
				p.pos++
			}
			continue
		}
		if c == '|' && depth == 0 {
			p.pos++
			continue
		}
		p.literal(start, escaped)
		escaped = false
		if c != '{' {
			return p.pop(mark), nil
		}
		g, err := p.group(depth)
		if err != nil {
			return nil, err
		}
		p.nodes = append(p.nodes, g)
		start = p.pos
	}
	p.literal(start, escaped)
	return p.pop(mark), nil
}

// pop moves the nodes pushed since mark off the scratch stack into the slab.
func (p *parser) pop(mark int) seq {
	s := p.nodeSlab.copy(p.nodes[mark:])
	p.nodes = p.nodes[:mark]
	return s
}

// literal pushes the text from start to p.pos, if any, as a node. Literals
// without escapes are substrings of the input and cost nothing.
func (p *parser) literal(start int, escaped bool) {
	switch {
	case escaped:
		p.esc = append(p.esc, p.src[start:p.pos]...)
		p.nodes = append(p.nodes, node{text: string(p.esc)})
	case p.pos > start:
		p.nodes = append(p.nodes, node{text: p.src[start:p.pos]})
	}
}

// group parses "{...}" starting at the opening brace.
func (p *parser) group(depth int) (node, error) {
	open := p.pos
	if depth >= p.maxDepth {
		return node{}, fmt.Errorf("%w: more than %d levels at offset %d", ErrTooDeep, p.maxDepth, open)
	}
	p.pos++
	mark := len(p.alts)
	for {
		s, err := p.seq(depth + 1)
		if err != nil {
			return node{}, err
		}
		p.alts = append(p.alts, s)
		if p.pos >= len(p.src) {
			return node{}, &SyntaxError{Offset: open, Msg: `unclosed "{"`}
		}
		c := p.src[p.pos]
		p.pos++
		if c == '}' {
			alts := p.seqSlab.copy(p.alts[mark:])
			p.alts = p.alts[:mark]
			return node{alts: alts}, nil
		}
	}
}

// slab hands out exactly sized slices carved from shared chunks, each chunk
// at least twice the last, so allocations grow with the log of the tree's
// size.
type slab[T any] struct {
	chunk []T
}

func (s *slab[T]) copy(src []T) []T {
	if len(src) == 0 {
		return nil
	}
	if cap(s.chunk)-len(s.chunk) < len(src) {
		s.chunk = make([]T, 0, max(2*cap(s.chunk), len(src), 16))
	}
	start := len(s.chunk)
	s.chunk = append(s.chunk, src...)
	// Capped, so that no later append can write into a neighbour.
	return s.chunk[start:len(s.chunk):len(s.chunk)]
}

func isSpecial(c byte) bool {
	return c == '{' || c == '}' || c == '|' || c == '\\'
}

type expander struct {
	pcg *rand.PCG
	out strings.Builder
	max int
}

func (e *expander) seq(s seq) error {
	for _, n := range s {
		if n.alts == nil {
			// Checked before writing so the builder never grows past max.
			if e.out.Len()+len(n.text) > e.max {
				return fmt.Errorf("%w: output exceeds %d bytes", ErrTooLarge, e.max)
			}
			e.out.WriteString(n.text)
			continue
		}
		if err := e.seq(n.alts[e.pick(len(n.alts))]); err != nil {
			return err
		}
	}
	return nil
}

// pick returns a uniform index below n. It reduces raw PCG output itself
// (Lemire's multiply-and-reject) rather than calling rand.Rand.IntN, whose
// algorithm differs on 32-bit platforms and is not promised stable. A group
// with one alternative draws nothing, so bracing text for grouping does not
// shift the choices after it.
func (e *expander) pick(n int) int {
	if n == 1 {
		return 0
	}
	bound := uint64(n)
	hi, lo := bits.Mul64(e.pcg.Uint64(), bound)
	if lo < bound {
		thresh := -bound % bound
		for lo < thresh {
			hi, lo = bits.Mul64(e.pcg.Uint64(), bound)
		}
	}
	return int(hi)
}

func countSeq(s seq) uint64 {
	total := uint64(1)
	for _, n := range s {
		if n.alts == nil {
			continue
		}
		var sum uint64
		for _, a := range n.alts {
			sum = satAdd(sum, countSeq(a))
		}
		total = satMul(total, sum)
	}
	return total
}

func satAdd(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

func satMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}
