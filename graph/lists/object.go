package lists

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// Object is an object marshalled by the fast path graph/gqlgen adds to
// each generated object marshaller: when every field selected is a plain
// read of the Go value (a struct field, no resolver, arguments or
// directives) the object is written straight into one buffer, objects
// below it too, without the field context, resolver middleware call,
// field set and Marshaler value gqlgen spends on each field — most of a
// page's CPU and allocations once the rows are read. The fast path skips
// field middleware, so the handler installs no field interceptor
// (graph.NewHandler).
//
// The writers write what gqlgen's marshallers of the same Go values write
// (graph's TestPlainReadsMarshalAsGqlgenDoes compares them byte for byte).
type Object struct {
	buf []byte
	// small holds the buffer of most objects (a page's edge and its node),
	// so that an object is one allocation.
	small [256]byte
}

// NewObject returns an empty object buffer.
func NewObject() *Object {
	o := &Object{}
	o.buf = o.small[:0]
	return o
}

// MarshalGQL writes what the fast path wrote.
func (o *Object) MarshalGQL(w io.Writer) { _, _ = w.Write(o.buf) }

// Write lets a gqlgen Marshaler write a value into the object.
func (o *Object) Write(p []byte) (int, error) {
	o.buf = append(o.buf, p...)
	return len(p), nil
}

// WriteString is Write of a string, which io.WriteString prefers.
func (o *Object) WriteString(s string) (int, error) {
	o.buf = append(o.buf, s...)
	return len(s), nil
}

// Open starts an object (the outermost or one below it).
func (o *Object) Open() { o.buf = append(o.buf, '{') }

// Close ends the object Open started.
func (o *Object) Close() { o.buf = append(o.buf, '}') }

// Key writes the key of fields[i], after a comma unless it is the first
// of its object, and reports whether its value is to be written: as
// gqlgen's field set does, only the first field of a repeated alias shows.
// Aliases are GraphQL names, which need no escaping.
func (o *Object) Key(fields []graphql.CollectedField, i int) bool {
	alias := fields[i].Alias
	for j := range i {
		if fields[j].Alias == alias {
			return false
		}
	}
	if o.buf[len(o.buf)-1] != '{' { // no value ends in '{'
		o.buf = append(o.buf, ',')
	}
	o.buf = append(o.buf, '"')
	o.buf = append(o.buf, alias...)
	o.buf = append(o.buf, '"', ':')
	return true
}

// Null writes null.
func (o *Object) Null() { o.buf = append(o.buf, "null"...) }

// String writes s as graphql.MarshalString does.
func (o *Object) String(s string) {
	const hex = "0123456789ABCDEF"
	o.buf = append(o.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		o.buf = append(o.buf, s[start:i]...)
		switch c {
		case '\t':
			o.buf = append(o.buf, `\t`...)
		case '\r':
			o.buf = append(o.buf, `\r`...)
		case '\n':
			o.buf = append(o.buf, `\n`...)
		case '\\':
			o.buf = append(o.buf, `\\`...)
		case '"':
			o.buf = append(o.buf, `\"`...)
		default:
			o.buf = append(o.buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	o.buf = append(o.buf, s[start:]...)
	o.buf = append(o.buf, '"')
}

// IntID writes i as graphql.MarshalIntID does: a quoted decimal.
func (o *Object) IntID(i int) {
	o.buf = append(o.buf, '"')
	o.buf = strconv.AppendInt(o.buf, int64(i), 10)
	o.buf = append(o.buf, '"')
}

// Int writes i as graphql.MarshalInt does.
func (o *Object) Int(i int) { o.buf = strconv.AppendInt(o.buf, int64(i), 10) }

// Bool writes b as graphql.MarshalBoolean does.
func (o *Object) Bool(b bool) { o.buf = strconv.AppendBool(o.buf, b) }

// Time writes t as graphql.MarshalTime does: RFC 3339 with nanoseconds,
// quoted (its characters need no escaping), and null for the zero time.
func (o *Object) Time(t time.Time) {
	if t.IsZero() {
		o.Null()
		return
	}
	o.buf = append(o.buf, '"')
	o.buf = t.AppendFormat(o.buf, time.RFC3339Nano)
	o.buf = append(o.buf, '"')
}
